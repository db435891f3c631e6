"""Reproduce the measured figures of docs/adversarial.md.

    python benchmarks/measure_aae.py                      # every measurement, into runs/aae-measure
    python benchmarks/measure_aae.py --only priors mmd    # some of them
    python benchmarks/measure_aae.py --out DIR --retrain  # elsewhere; train again even if runs exist

Measurements (each trains its runs with the training loop, then measures the checkpoint):

    default      ``autoencoders train aae`` as shipped (its defaults): CPU and wall time, test terms
    priors       aae with each prior (gaussian, uniform; mixture and swiss-roll label-conditioned):
                 codes-over-prior figures, MMD² to the prior, nearest-part fractions
    mixture-seeds   the label-conditioned mixture run with seeds 0, 1, 2 (nearest-part fraction)
    ablation     the label-conditioned mixture without dropout and input masking
    mmd          aae (gaussian prior) vs the plain ``ae`` with the same 2-D MLP: MMD² of test codes
                 to N(0, I), raw and after whitening the codes
    parzen       Parzen-window log-likelihood of 10,000 decoded prior draws on the test set, σ chosen
                 on the last 500 training images (held out of training), for the AAE, the plain AE
                 decoding N(0, I) draws, and the training images themselves as "samples"
    parzen-fashion  the same on full Fashion-MNIST (55,000 train, 5,000 validation, 10,000 test)
    semisupervised  aae-semisupervised with 100 and 1,000 labels: test error after the last epoch
                 (and the mean of the last 10 epochs, to show how much it moves)
    supervised   aae-supervised (25 and 50 epochs): the style grid, and how often a test digit's
                 style decoded with label y is read as y by the semi-supervised AAE's classifier

Results go to OUT/results-NAME.json (one file per measurement, so that measurements can
run in parallel processes; run ``mmd`` after or with ``priors``: they share the gaussian run)
and the figures to OUT/figures/. A finished run is reused unless --retrain. Single-threaded
BLAS is recommended on a shared machine:
``OPENBLAS_NUM_THREADS=1 python benchmarks/measure_aae.py``.
"""

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import minigrad  # noqa: E402
from autoencoders.data import load_dataset  # noqa: E402
from autoencoders.evaluation.adversarial import (  # noqa: E402
    choose_parzen_sigma, decode_prior_samples, mmd, nearest_part_fraction, parzen_log_likelihood, standard_error,
)
from autoencoders.plots import plot_run  # noqa: E402
from autoencoders.plots.adversarial import plot_adversarial, style_codes  # noqa: E402
from autoencoders.plots.latent import decode_all, encode_all  # noqa: E402
from autoencoders.priors import Gaussian, bayes_accuracy  # noqa: E402
from autoencoders.training import load_checkpoint, make_config, open_run, read_metrics, train  # noqa: E402

# The label-conditioned runs: a regularized encoder (dropout after each hidden ReLU, a quarter
# of the input pixels masked) generalizes to test digits better (86% -> 92% nearest-part on the mixture).
CONDITIONAL = {"label_conditioned": True, "dropout": 0.2, "noise": "masking:0.25"}
BANDWIDTHS = [0.25, 0.5, 1.0, 2.0, 4.0]  # MMD kernel widths for 2-D codes of a unit-scale prior
PRIOR_EPOCHS = 100
PARZEN_SAMPLES = 10_000
SIGMAS = np.geomspace(0.05, 1.0, 25)


SMOKE = {}  # --smoke: every run shortened to one epoch on a few hundred images (checks the script only)


def configure(model, **options):
    return make_config(model, **{**options, **SMOKE})


def trained(out, name, config, retrain):
    """The run directory OUT/NAME holding a finished run of ``config`` (trained unless a finished run
    of the same config is there)."""
    run_dir = out / name
    try:
        state = load_checkpoint(run_dir)
        done = state["epoch"] >= config["epochs"] and state["config"] == config and not retrain
    except FileNotFoundError:
        done = False
    if not done:
        print(f"[{name}] training {config['model']} for {config['epochs']} epochs", flush=True)
        start, cpu = time.perf_counter(), time.process_time()
        train(config, run_dir, overwrite=True, quiet=True)
        (run_dir / "time.json").write_text(json.dumps(
            {"wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu}))
    return run_dir


def figure(out, run_dir, name, target):
    (out / "figures").mkdir(exist_ok=True)
    shutil.copy(run_dir / name, out / "figures" / target)


def prior_mmd(codes, prior, seed=0):
    """MMD² (unbiased) of codes to as many prior samples, and the same for a second prior sample
    (the noise floor: what two samples of the prior itself give)."""
    rng = np.random.default_rng(seed)
    reference = prior.sample(len(codes), rng=rng)
    return {"mmd": mmd(codes, reference, BANDWIDTHS, unbiased=True),
            "mmd_prior_vs_prior": mmd(prior.sample(len(codes), rng=rng), reference, BANDWIDTHS, unbiased=True)}


def whiten(codes):
    """Codes moved to mean 0 and identity covariance: the best affine fit to N(0, I)."""
    centred = codes - codes.mean(0)
    values, vectors = np.linalg.eigh(np.cov(centred.T))
    return centred @ vectors / np.sqrt(values)


# ---- the measurements ---------------------------------------------------------------------------

def measure_default(out, retrain):
    config = configure("aae")
    run_dir = trained(out, "default", config, retrain)
    for path in plot_run(run_dir):
        figure(out, run_dir, path.name, f"default_{path.name}")
    times = json.loads((run_dir / "time.json").read_text())
    return {"config": {k: config[k] for k in ("epochs", "batch_size", "lr", "latent_dim", "hidden", "prior")},
            **times, "test": read_metrics(run_dir)[-1]["test"]}


def measure_priors(out, retrain):
    results = {}
    for prior in ("gaussian", "uniform", "mixture", "swiss-roll"):
        conditional = prior in ("mixture", "swiss-roll")
        config = configure("aae", prior=prior, epochs=PRIOR_EPOCHS, **(CONDITIONAL if conditional else {}))
        run_dir = trained(out, f"prior-{prior}", config, retrain)
        plot_adversarial(run_dir)
        figure(out, run_dir, "codes_over_prior.png", f"codes_{prior}.png")
        with open_run(run_dir) as run:
            p = run.model.code_prior
            codes = style_codes(run.model, run.data.x_test)
            entry = {"epochs": config["epochs"], "test": read_metrics(run_dir)[-1]["test"], **prior_mmd(codes, p)}
            if conditional:
                train_codes = style_codes(run.model, run.data.x_train)
                entry["nearest_part_test"] = nearest_part_fraction(codes, run.data.y_test, p)
                entry["nearest_part_train"] = nearest_part_fraction(train_codes, run.data.y_train, p)
                entry["nearest_part_of_prior_samples"] = bayes_accuracy(p)
        results[prior] = entry
        print(f"[priors] {prior}: {entry}", flush=True)
    return results


def measure_mixture_seeds(out, retrain, seeds=(0, 1, 2)):
    """The label-conditioned mixture run of ``priors`` (seed 0) repeated with other seeds."""
    fractions = []
    for seed in seeds:
        config = configure("aae", prior="mixture", epochs=PRIOR_EPOCHS, seed=seed, **CONDITIONAL)
        run_dir = trained(out, "prior-mixture" if seed == 0 else f"prior-mixture-seed{seed}", config, retrain)
        with open_run(run_dir) as run:
            codes = style_codes(run.model, run.data.x_test)
            fractions.append(nearest_part_fraction(codes, run.data.y_test, run.model.code_prior))
        print(f"[mixture-seeds] seed {seed}: {fractions[-1]:.3f}", flush=True)
    return {"seeds": list(seeds), "nearest_part_test": fractions, "mean": float(np.mean(fractions)),
            "min": float(np.min(fractions)), "max": float(np.max(fractions))}


def measure_ablation(out, retrain):
    """The label-conditioned mixture without the regularized encoder (no dropout, clean inputs)."""
    config = configure("aae", prior="mixture", label_conditioned=True, epochs=PRIOR_EPOCHS)
    run_dir = trained(out, "prior-mixture-plain-encoder", config, retrain)
    with open_run(run_dir) as run:
        p = run.model.code_prior
        entry = {"epochs": config["epochs"], "test": read_metrics(run_dir)[-1]["test"],
                 "nearest_part_test": nearest_part_fraction(style_codes(run.model, run.data.x_test), run.data.y_test, p),
                 "nearest_part_train": nearest_part_fraction(style_codes(run.model, run.data.x_train),
                                                             run.data.y_train, p)}
    print(f"[ablation] {entry}", flush=True)
    return entry


def measure_mmd(out, retrain):
    aae_dir = trained(out, "prior-gaussian", configure("aae", epochs=PRIOR_EPOCHS), retrain)
    ae_dir = trained(out, "ae-2d", configure("ae", latent_dim=2, hidden=[512, 256], batch_size=100,
                                                epochs=PRIOR_EPOCHS), retrain)
    results = {}
    for name, run_dir in (("aae", aae_dir), ("ae", ae_dir)):
        with open_run(run_dir) as run:
            codes = encode_all(run.model, run.data.x_test)
        results[name] = {"raw": prior_mmd(codes, Gaussian(2)), "whitened": prior_mmd(whiten(codes), Gaussian(2)),
                         "code_mean": codes.mean(0).tolist(), "code_std": codes.std(0).tolist()}
        print(f"[mmd] {name}: {results[name]}", flush=True)
    return results


def parzen_entry(samples, x_val, x_test):
    sigma, scores = choose_parzen_sigma(samples, x_val, SIGMAS)
    ll = parzen_log_likelihood(samples, x_test, sigma)
    return {"sigma": sigma, "validation_ll": scores[sigma], "test_ll": float(ll.mean()),
            "test_ll_standard_error": standard_error(ll), "samples": len(samples)}


def measure_parzen(out, retrain, dataset="mnist-5k", n_val=500, epochs=100, latent_dims=(2, 8)):
    data = load_dataset(dataset)
    n_train = len(data.x_train) - n_val
    x_val, x_test = data.x_train[n_train:], data.x_test
    results = {"dataset": dataset, "train": n_train, "validation": n_val, "test": len(x_test)}
    tag = "" if dataset == "mnist-5k" else f"-{dataset}"
    for latent in latent_dims:
        config = configure("aae", dataset=dataset, latent_dim=latent, limit_train=n_train, epochs=epochs)
        run_dir = trained(out, f"parzen{tag}-aae-{latent}d", config, retrain)
        with open_run(run_dir) as run:
            samples = decode_prior_samples(run.model, PARZEN_SAMPLES)
        results[f"aae_{latent}d"] = parzen_entry(samples, x_val, x_test)
        print(f"[parzen] aae {latent}-D: {results[f'aae_{latent}d']}", flush=True)
        if n_train < PARZEN_SAMPLES:  # as many samples as the training-images row has
            results[f"aae_{latent}d_{n_train}_samples"] = parzen_entry(samples[:n_train], x_val, x_test)
    config = configure("ae", dataset=dataset, latent_dim=2, hidden=[512, 256], batch_size=100, limit_train=n_train,
                         epochs=epochs)
    run_dir = trained(out, f"parzen{tag}-ae-2d", config, retrain)
    with open_run(run_dir) as run:
        z = np.random.default_rng(0).standard_normal((PARZEN_SAMPLES, 2)).astype(np.float32)
        samples = decode_all(run.model, z).reshape(PARZEN_SAMPLES, -1)
    results["ae_2d_decoding_gaussian_draws"] = parzen_entry(samples, x_val, x_test)
    results["training_images_as_samples"] = parzen_entry(data.x_train[:min(n_train, PARZEN_SAMPLES)], x_val, x_test)
    for key in ("ae_2d_decoding_gaussian_draws", "training_images_as_samples"):
        print(f"[parzen] {key}: {results[key]}", flush=True)
    return results


def measure_parzen_fashion(out, retrain):
    return measure_parzen(out, retrain, dataset="fashion-mnist", n_val=5000, epochs=20, latent_dims=(2, 8))


def measure_semisupervised(out, retrain):
    results = {}
    for labelled in (100, 1000):
        config = configure("aae-semisupervised", labelled=labelled)       # its defaults: 100 epochs ...
        epochs = config["epochs"]
        run_dir = trained(out, f"semisupervised-{labelled}", config, retrain)
        records = read_metrics(run_dir)
        errors = [record["test"]["error"] for record in records]
        results[str(labelled)] = {"epochs": epochs, "test_error_last_epoch": errors[-1],
                                  "test_error_mean_last_10_epochs": float(np.mean(errors[-10:])),
                                  "test_error_std_last_10_epochs": float(np.std(errors[-10:]))}
        plot_adversarial(run_dir)
        figure(out, run_dir, "style_grid.png", f"semisupervised_{labelled}_style_grid.png")
        print(f"[semisupervised] {labelled} labels: {results[str(labelled)]}", flush=True)
    return results


def restyled_label_accuracy(model, x, judge):
    """Decode the style codes of ``x`` with each label in turn; the fraction of these images that
    ``judge`` (a classifier: host images -> host labels) reads as the label they were given."""
    z = style_codes(model, x).astype(np.float32)
    hits = []
    for label in range(model.num_classes):
        images = []
        with minigrad.no_grad():
            for start in range(0, len(z), 500):
                images.append(model.decode_style(minigrad.tensor(z[start:start + 500]),
                                                 minigrad.tensor(np.full(len(z[start:start + 500]), label))).numpy())
        hits.append(np.mean(judge(np.concatenate(images).reshape(len(z), -1)) == label))
    return float(np.mean(hits)), [float(h) for h in hits]


def measure_supervised(out, retrain):
    """aae-supervised with its defaults (25 epochs) and trained twice as long. Judge: the
    classifier head of the semi-supervised AAE trained with 1,000 labels (run it first)."""
    judge_dir = trained(out, "semisupervised-1000", configure("aae-semisupervised", labelled=1000), retrain)
    results = {}
    with open_run(judge_dir) as judge_run:
        def judge(images):
            with minigrad.no_grad():
                return np.concatenate([judge_run.model.classify(minigrad.tensor(images[s:s + 500]))
                                       for s in range(0, len(images), 500)])

        results["judge_test_accuracy"] = float(np.mean(judge(judge_run.data.x_test) == judge_run.data.y_test))
        for epochs in (None, 50):
            config = configure("aae-supervised", **({} if epochs is None else {"epochs": epochs}))
            name = "supervised" if epochs is None else f"supervised-{epochs}-epochs"
            run_dir = trained(out, name, config, retrain)
            plot_run(run_dir)
            figure(out, run_dir, "analogies.png", f"{name.replace('-', '_')}_style_grid.png")
            with open_run(run_dir) as run:
                codes = style_codes(run.model, run.data.x_test)
                accuracy, per_label = restyled_label_accuracy(run.model, run.data.x_test, judge)
                results[name] = {"epochs": config["epochs"], "test": read_metrics(run_dir)[-1]["test"],
                                 "restyled_label_accuracy": accuracy, "per_label": per_label,
                                 **prior_mmd(codes[:, :2], Gaussian(2))}
            print(f"[supervised] {name}: {results[name]}", flush=True)
    return results


MEASUREMENTS = {"default": measure_default, "priors": measure_priors, "mixture-seeds": measure_mixture_seeds,
                "ablation": measure_ablation,
                "mmd": measure_mmd, "parzen": measure_parzen,
                "parzen-fashion": measure_parzen_fashion, "semisupervised": measure_semisupervised,
                "supervised": measure_supervised}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/aae-measure")
    parser.add_argument("--only", nargs="+", choices=list(MEASUREMENTS), default=None)
    parser.add_argument("--retrain", action="store_true", help="train again even where a finished run exists")
    parser.add_argument("--smoke", action="store_true", help="one epoch on a few hundred images: test the script")
    args = parser.parse_args(argv)
    if args.smoke:
        SMOKE.update(epochs=1, limit_train=400, limit_test=300)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.only or [n for n in MEASUREMENTS if n != "parzen-fashion"]:
        result = MEASUREMENTS[name](out, args.retrain)
        path = out / f"results-{name}.json"
        path.write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
