"""Stacked (denoising) autoencoders with few labels: greedy pretraining, fine-tuning, and the baselines.

    python examples/train_stacked_ae.py [MODEL] [LABELS]     # stacked-ae or sdae; 100 or 1000 labels

Trains the model (layer 1, then layer 2 on layer 1's codes, then the whole encoder with a
softmax classifier on LABELS labelled examples), and compares its test accuracy with the
same softmax classifier on raw pixels and on PCA coordinates, fitted on the same labels.
"""

import sys

import numpy as np

import minigrad
from autoencoders.evaluation.pca import fit_pca
from autoencoders.evaluation.probe import few_labels, probe
from autoencoders.training import make_config, open_run, read_metrics, train


def main(model="stacked-ae", labels="100"):
    labels = int(labels)
    run_dir = f"runs/example-{model}-{labels}"
    config = make_config(model, labels=labels)
    train(config, run_dir, overwrite=True, quiet=True)
    for record in read_metrics(run_dir):
        phase = ", ".join(f"{name} {value:.4f}" for name, value in record["train"].items() if name != "loss")
        print(f"epoch {record['epoch']:2d}: {phase}")

    with open_run(run_dir) as run:
        data = run.data
        with minigrad.no_grad():
            predicted = run.model.classify(minigrad.tensor(data.x_test)).numpy().argmax(axis=1)
        rows = few_labels(data.y_train, labels, seed=config["seed"])   # the labels the model was fine-tuned on
        pca = fit_pca(data.x_train)
        k = run.model.latent_dim
        print(f"test accuracy with {labels} labels:")
        print(f"  {model}, fine-tuned     {np.mean(predicted == data.y_test):.3f}")
        print(f"  softmax on pixels       {probe(data.x_train, data.y_train, data.x_test, data.y_test, rows).test_accuracy:.3f}")
        print(f"  softmax on PCA ({k})     "
              f"{probe(pca.encode(data.x_train, k), data.y_train, pca.encode(data.x_test, k), data.y_test, rows).test_accuracy:.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
