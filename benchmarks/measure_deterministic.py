"""Measure the deterministic autoencoders: the figures of docs/deterministic.md.

    python benchmarks/measure_deterministic.py pca --dataset fashion-mnist
    python benchmarks/measure_deterministic.py baselines --dataset mnist-5k
    python benchmarks/measure_deterministic.py train linear-ae --set latent_dim=10 --set epochs=100
    python benchmarks/measure_deterministic.py measure runs/deterministic/linear-ae-mnist-5k

``pca``        exact PCA (NumPy SVD of the centred training set) and its test MSE per pixel for
               k = 2, 10, 20, 32, 64: the reference of docs/benchmarks.md.
``baselines``  the linear probe (autoencoders.evaluation.probe) on raw pixels and on the top-k
               PCA coordinates, with 100 and 1,000 labels (the same labelled rows as everything else).
``train``      trains a model with the project's training loop, exactly as
               ``autoencoders train MODEL --set ...`` would (``--set`` values are JSON), into
               ``--out`` (default runs/deterministic/MODEL-DATASET[-TAG]), times it (wall and this
               process's CPU seconds: the machine is shared, CPU time is the steadier figure),
               then measures it.
``measure``    the measurements of a trained run directory:

               every model   test MSE per pixel of the clean reconstruction (on the [0, 1] scale),
                             linear probe of the codes with 100 and 1,000 labels
               linear-ae     exact PCA's test MSE at the same k, the ratio, the principal angles
                             between span(W_d) and the top-k principal subspace
               stacked-ae,   the fine-tuned classifier's test accuracy (with the run's ``labels``)
               sdae
               dae           per-pixel MSE to the clean test images of the noisy input and of
                             the restoration, for the three noises
               sparse-ae     the mean test activation against ρ, and the share of codes > 0.5
               cae, scae     the mean ‖∂h/∂x‖²_F over the test set

Each command prints a JSON object and appends it to ``--results`` (default
runs/deterministic/results.jsonl).
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import minigrad  # noqa: E402
from autoencoders.data import load_dataset  # noqa: E402
from autoencoders.evaluation.pca import fit_pca, principal_angles  # noqa: E402
from autoencoders.evaluation.probe import few_labels, probe  # noqa: E402
from autoencoders.plots.denoising import NOISES, denoising_errors  # noqa: E402
from autoencoders.plots.latent import decode_all, encode_all  # noqa: E402
from autoencoders.training import make_config, open_run, read_metrics, train  # noqa: E402
from autoencoders.training.config import parse_value  # noqa: E402

LABELS = (100, 1000)
PCA_KS = (2, 10, 20, 32, 64)
OUT = Path("runs/deterministic")


def emit(record, results):
    print(json.dumps(record))
    results.parent.mkdir(parents=True, exist_ok=True)
    with open(results, "a") as f:
        f.write(json.dumps(record) + "\n")


def dataset_pca(data, name, refresh=False):
    """Exact PCA of ``data.x_train`` (the SVD takes about half a minute on Fashion-MNIST), cached in OUT."""
    from autoencoders.evaluation.pca import PCA
    path = OUT / f"pca-{name}-{len(data.x_train)}.npz"
    if path.exists() and not refresh:
        with np.load(path) as saved:
            return PCA(saved["mean"], saved["components"], saved["variances"])
    pca = fit_pca(data.x_train)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, mean=pca.mean, components=pca.components, variances=pca.variances)
    return pca


def probes(train_features, y_train, test_features, y_test, seed=0):
    return {str(n): probe(train_features, y_train, test_features, y_test, few_labels(y_train, n, seed=seed)).test_accuracy
            for n in LABELS}


# ---- pca and baselines ------------------------------------------------------------------------

def cmd_pca(args):
    data = load_dataset(args.dataset, dtype="float64")
    start = time.time()
    pca = dataset_pca(data, args.dataset, refresh=True)
    record = {"what": "pca", "dataset": args.dataset, "svd_seconds": round(time.time() - start, 1),
              "test_mse": {str(k): pca.mse(data.x_test, k) for k in PCA_KS},
              "explained_variance": {str(k): pca.explained_variance_ratio(k) for k in PCA_KS}}
    emit(record, args.results)


def cmd_baselines(args):
    data = load_dataset(args.dataset, dtype="float64")
    pca = dataset_pca(data, args.dataset)
    record = {"what": "baselines", "dataset": args.dataset,
              "probe_pixels": probes(data.x_train, data.y_train, data.x_test, data.y_test)}
    for k in args.pca_k:
        record[f"probe_pca{k}"] = probes(pca.encode(data.x_train, k), data.y_train, pca.encode(data.x_test, k),
                                         data.y_test)
    emit(record, args.results)


# ---- train and measure ------------------------------------------------------------------------

def cmd_train(args):
    overrides = {key: parse_value(value) for key, value in (item.split("=", 1) for item in args.set)}
    config = make_config(args.model, dataset=args.dataset, **overrides)
    run_dir = args.out or OUT / "-".join([args.model, args.dataset] + ([args.tag] if args.tag else []))
    wall, cpu = time.time(), time.process_time()
    train(config, run_dir, overwrite=True, quiet=args.quiet)
    timing = {"wall_seconds": round(time.time() - wall, 1), "cpu_seconds": round(time.process_time() - cpu, 1),
              "load_average": round(os.getloadavg()[0], 1), "cores": os.cpu_count()}
    measure(run_dir, args.results, timing, " ".join(["autoencoders train", args.model, "--dataset", args.dataset]
                                                    + [f"--set {item}" for item in args.set]))


def cmd_measure(args):
    measure(args.run_dir, args.results, {}, None)


def measure(run_dir, results, timing, command):
    with open_run(run_dir) as run:
        config, model, data = run.config, run.model, run.data
        low, high = data.value_range
        scale = (high - low) ** 2  # MSE on the [0, 1] scale
        codes_train, codes_test = encode_all(model, data.x_train), encode_all(model, data.x_test)
        restored = decode_all(model, codes_test).reshape(data.x_test.shape)
        record = {"what": "model", "model": config["model"], "dataset": config["dataset"], "run_dir": str(run_dir),
                  "command": command, "epochs": run.epoch, **timing,
                  "config": {k: v for k, v in config.items() if k not in ("data_root", "limit_train", "limit_test")},
                  "test_mse": float(np.mean((restored - data.x_test) ** 2)) / scale,
                  "last_test_terms": read_metrics(run_dir)[-1]["test"],
                  "probe_codes": probes(codes_train, data.y_train, codes_test, data.y_test)}
        name = config["model"]
        if name == "linear-ae":
            record.update(linear_ae_figures(model, data, dataset_pca(data, config["dataset"])))
        elif name in ("stacked-ae", "sdae") and run.epoch <= len(config["hidden"]) * config["pretrain_epochs"]:
            record["pretrained_only"] = True  # probe_codes: the frozen codes of the greedy pretraining
        elif name in ("stacked-ae", "sdae"):
            with minigrad.no_grad():
                logits = [model.classify(minigrad.tensor(data.x_test[i:i + 500])).numpy()
                          for i in range(0, len(data.x_test), 500)]
            record["finetuned_accuracy"] = float(np.mean(np.concatenate(logits).argmax(1) == data.y_test))
            record["labels"] = config["labels"]  # probe_codes: the codes of the fine-tuned encoder
        elif name == "dae":
            record["denoising"] = {spec: dict(zip(("noisy_mse", "restored_mse"),
                                                  denoising_errors(model, data.x_test, spec, data.value_range)))
                                   for spec in dict.fromkeys(([config["noise"]] if config["noise"] else []) + list(NOISES))}
        elif name == "sparse-ae":
            record.update({"rho": config["rho"], "sparsity": config["sparsity"],
                           "mean_activation": float(codes_test.mean()),
                           "mean_activation_per_unit_range": [float(codes_test.mean(0).min()),
                                                              float(codes_test.mean(0).max())],
                           "share_above_half": float(np.mean(codes_test > 0.5))})
        elif name in ("cae", "scae"):
            from autoencoders.models.cae import jacobian_norm_closed_form
            with minigrad.no_grad():
                norms = [jacobian_norm_closed_form(model.encode(minigrad.tensor(data.x_test[i:i + 500])),
                                                   model.encoder.weight).numpy()
                         for i in range(0, len(data.x_test), 500)]
            record["jacobian_norm"] = float(np.concatenate(norms).mean())
    emit(record, results)


def linear_ae_figures(model, data, pca):
    k = model.latent_dim
    angles = np.degrees(principal_angles(model.decoder.weight.numpy(), pca.components[:, :k]))
    reference = pca.mse(data.x_test, k)
    mse, train_mse = (float(np.mean((decode_all(model, encode_all(model, x)).reshape(x.shape) - x) ** 2))
                      for x in (data.x_test, data.x_train))
    # On the training set PCA is optimal: a ratio below 1 there (beyond float32 rounding) is a bug. On the
    # test set another subspace may do marginally better.
    return {"k": k, "pca_test_mse": reference, "mse_ratio": mse / reference,
            "train_mse_ratio": train_mse / pca.mse(data.x_train, k),
            "largest_angle_deg": float(angles[-1]), "median_angle_deg": float(np.median(angles)),
            "angles_deg": [round(float(a), 3) for a in angles],
            "pca_eigengap": float(pca.variances[k - 1] / pca.variances[k]),
            # a near-tie λ_k ≈ λ_k+1 leaves the last direction free to turn inside the top k+1 or k+2
            "largest_angle_to_top_k_plus_1_deg": float(np.degrees(principal_angles(
                model.decoder.weight.numpy(), pca.components[:, :k + 1])[-1])),
            "largest_angle_to_top_k_plus_2_deg": float(np.degrees(principal_angles(
                model.decoder.weight.numpy(), pca.components[:, :k + 2])[-1]))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=OUT / "results.jsonl")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("pca")
    p.add_argument("--dataset", default="fashion-mnist")
    p = commands.add_parser("baselines")
    p.add_argument("--dataset", default="mnist-5k")
    p.add_argument("--pca-k", type=int, nargs="+", default=[32, 64])
    p = commands.add_parser("train")
    p.add_argument("model")
    p.add_argument("--dataset", default="mnist-5k")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--out", type=Path)
    p.add_argument("--tag")
    p.add_argument("--quiet", action="store_true")
    p = commands.add_parser("measure")
    p.add_argument("run_dir", type=Path)
    args = parser.parse_args(argv)
    {"pca": cmd_pca, "baselines": cmd_baselines, "train": cmd_train, "measure": cmd_measure}[args.command](args)


if __name__ == "__main__":
    main()
