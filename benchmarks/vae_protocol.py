"""The pytorch/examples VAE protocol, run with our training loop, and its reference figures.

    python benchmarks/vae_protocol.py                        # continuous pixels: test loss ~ 244.2
    python benchmarks/vae_protocol.py --binarized            # -ELBO ~ 242.5, IS NLL (K=1000) ~ 238.9

Protocol (docs/benchmarks.md): 784 -> 400 (ReLU) -> mu, logvar (20 each); z -> 400 (ReLU)
-> 784 logits; loss per batch = sum over pixels and batch of BCE + analytic KL (the gradient
is that of the batch sum); Adam lr 1e-3, batch 128, seed 1, 10 epochs, full Fashion-MNIST;
test loss = the same loss with one z sample per test image, averaged over the 10k test images.
``--binarized``: every training batch binarized afresh (Bernoulli draw per pixel), the test
set binarized once with a fixed seed; then the importance-sampled NLL with K samples.

It is exactly ``autoencoders train vae --dataset fashion-mnist --seed 1 --epochs 10`` (plus
``--binarize dynamic``); this script adds the printout and the likelihood estimate.
"""

import argparse
import json
import sys
import time
from pathlib import Path

REFERENCE = {
    "continuous": {"test loss after 10 epochs": (244.2, 1.0)},
    "binarized": {"-ELBO": (242.5, 1.5), "IS NLL K=1000": (238.9, 1.5)},
}


def main():
    parser = argparse.ArgumentParser(description="Run the pytorch/examples VAE protocol with minigrad.")
    parser.add_argument("--binarized", action="store_true", help="binarize afresh every batch (test set once)")
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--k", type=int, default=1000, help="importance samples for the NLL (--binarized)")
    parser.add_argument("--nll-limit", type=int, default=None, help="estimate the NLL on the first N test images")
    parser.add_argument("--out", default=None, help="run directory (default: runs/vae-protocol[-binarized])")
    parser.add_argument("--skip-training", action="store_true", help="only evaluate the run already in --out")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

    from autoencoders.evaluation.elbo import negative_elbo
    from autoencoders.evaluation.likelihood import importance_sampled_nll
    from autoencoders.training import make_config, open_run, read_metrics, train

    variant = "binarized" if args.binarized else "continuous"
    out = Path(args.out or f"runs/vae-protocol{'-binarized' if args.binarized else ''}")
    config = make_config("vae", dataset=args.dataset, seed=args.seed, epochs=args.epochs, batch_size=128, lr=1e-3,
                         hidden=[400], latent_dim=20, binarize="dynamic" if args.binarized else None)
    print(f"VAE protocol ({variant}) on {args.dataset}: {json.dumps(config)}", flush=True)
    start = time.perf_counter()
    if not args.skip_training:
        train(config, out, overwrite=True)
    train_seconds = time.perf_counter() - start
    print(f"\nepoch  train loss  test loss  (test reconstruction + kl)   train seconds")
    for record in read_metrics(out):
        test = record["test"]
        print(f"{record['epoch']:5d}  {record['train']['loss']:10.2f}  {test['loss']:9.2f}  "
              f"({test['reconstruction']:.2f} + {test['kl']:.2f})   {record['seconds']:.1f}")
    final = read_metrics(out)[-1]["test"]["loss"]
    print(f"total {train_seconds:.0f} s")

    if not args.binarized:
        ref, tol = REFERENCE["continuous"]["test loss after 10 epochs"]
        verdict = "within" if abs(final - ref) <= tol else "OUTSIDE"
        print(f"test loss after {args.epochs} epochs: {final:.2f}   reference {ref} ± {tol}: {verdict}")
        return

    with open_run(out) as run:
        x, y = run.data.x_test[:args.nll_limit], run.data.y_test[:args.nll_limit]
        elbo = negative_elbo(run.model, x, y, seed=0)
        print(f"test -ELBO (loop's evaluation, 1 z sample): {final:.2f}")
        print(f"test -ELBO (autoencoders.evaluation.elbo, 1 z sample, seed 0): {elbo['negative_elbo']:.2f} "
              f"(reconstruction {elbo['reconstruction']:.2f}, kl {elbo['kl']:.2f})")
        start = time.perf_counter()
        nll = importance_sampled_nll(run.model, x, y, k=args.k, batch_size=100, seed=0)
        print(f"importance-sampled NLL, K={args.k}, {len(x)} test images: {nll:.2f}   "
              f"[{time.perf_counter() - start:.0f} s]")
    for name, value in (("-ELBO", final), (f"IS NLL K=1000", nll)):
        ref, tol = REFERENCE["binarized"][name]
        verdict = "within" if abs(value - ref) <= tol else "OUTSIDE"
        print(f"{name}: {value:.2f}   reference {ref} ± {tol}: {verdict}")


if __name__ == "__main__":
    main()
