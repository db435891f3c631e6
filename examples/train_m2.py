"""Semi-supervised M2 with 100 and 1,000 labels: the classifier's test error, then the analogies.

    python examples/train_m2.py                                  # mnist-5k, 100 and 1000 labels
    python examples/train_m2.py --dataset fashion-mnist --epochs 30 --labels 100
    python examples/train_m2.py --baseline                      # the classifier alone, labels only

Each run draws its labelled examples once (balanced over the classes, with the seed) and
treats the whole training set as unlabelled. Printed per epoch: the test error of
q(y|x) and the test bound U(x) on -log p(x). Same as
``autoencoders train m2 --set labels=100 --dataset ...``.

``--baseline`` trains only M2's classifier q(y|x) on the same labelled examples (cross-entropy,
Adam 1e-3, batches of 100 binarized afresh, 1,500 steps): what the unlabelled data add is the
difference between the two errors.
"""

import argparse

import numpy as np

import minigrad
from minigrad import functional as F
from autoencoders.models.m2 import M2, balanced_subset
from autoencoders.training.data import load_data

from autoencoders.plots.variational import plot_variational
from autoencoders.training import make_config, read_metrics, train


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist-5k")
    parser.add_argument("--labels", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--epochs", type=int, default=None, help="default: the model's")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/example-m2")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="other options, JSON values")
    parser.add_argument("--baseline", action="store_true", help="train the classifier on the labels alone")
    args = parser.parse_args()
    if args.baseline:
        for labels in args.labels:
            error = supervised_baseline(args.dataset, labels, args.seed)
            print(f"{args.dataset}, {labels} labels, classifier alone: test error {error:.2%}")
        return

    import json
    extra = {key: json.loads(value) for key, value in (item.split("=", 1) for item in args.set)}
    results = {}
    for labels in args.labels:
        run_dir = f"{args.out}-{args.dataset}-{labels}"
        config = make_config("m2", dataset=args.dataset, labels=labels, epochs=args.epochs, seed=args.seed, **extra)
        train(config, run_dir, overwrite=True)
        records = read_metrics(run_dir)
        for record in records:
            test = record["test"]
            print(f"{labels} labels, epoch {record['epoch']:3d}: test error {test['error']:.2%}, "
                  f"U(x) {test['unlabelled']:.2f}")
        results[labels] = records[-1]["test"]["error"]
        print("wrote", ", ".join(str(path) for path in plot_variational(run_dir)))
    for labels, error in results.items():
        print(f"{args.dataset}, {labels} labels: test error {error:.2%}")


def supervised_baseline(dataset, labels, seed=0, steps=1500):
    """Test error of M2's classifier trained on the ``labels`` labelled examples only."""
    config = make_config("m2", dataset=dataset, labels=labels, seed=seed)
    minigrad.manual_seed(seed)
    data = load_data(config)
    rows = balanced_subset(data.y_train, labels, data.num_classes, seed=seed)  # the same pool as M2's
    x_pool, y_pool = data.x_train[rows], data.y_train[rows]
    model = M2(labels=labels, num_classes=data.num_classes)
    optimizer = minigrad.optim.Adam(model.classifier.parameters(), lr=1e-3)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        pick = rng.permutation(len(y_pool))[:100]
        x = (rng.random(x_pool[pick].shape, dtype=np.float32) < x_pool[pick]).astype(np.float32)
        optimizer.zero_grad()
        F.cross_entropy(model.classify(minigrad.tensor(x)), minigrad.tensor(y_pool[pick])).backward()
        optimizer.step()
    with minigrad.no_grad():
        predicted = model.classify(minigrad.tensor(data.x_test)).data.argmax(axis=1)
    return float(np.mean(predicted != data.y_test))


if __name__ == "__main__":
    main()
