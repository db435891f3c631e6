"""Importance-sampled log-likelihood of a VAE (Burda et al., "Importance Weighted Autoencoders", 2016).

The marginal likelihood p(x) = ∫ p(x|z) p(z) dz has no closed form, but q(z|x) is a good
proposal for it:

    p(x) = E_{z ~ q(z|x)} [ p(x|z) p(z) / q(z|x) ]

    log p(x) ≈ log (1/K) Σₖ wₖ,      log wₖ = log p(x|zₖ) + log p(zₖ) − log q(zₖ|x),  zₖ ~ q(z|x)

computed as a log-mean-exp, so that no weight is ever exponentiated. The estimate is a
lower bound in expectation that tightens as K grows (K = 1 gives a one-sample ELBO, with
the KL term estimated by sampling instead of in closed form). It is reported as a
negative log-likelihood, in nats per example: lower is better.

A model takes part by providing ``log_importance_weights(batch, eps) -> (S, B)``: the
log-weights of the samples z = μ + σ·ε for noise ``eps`` of shape (S, B, latent_dim).
The VAE, β-VAE and CVAE (for which it is log p(x|y)) do.

Memory: the K samples of ``batch_size`` examples are decoded ``max_rows`` (samples ×
examples) at a time, and only the (K, B) log-weights are kept.
"""

import math

import numpy as np

import minigrad
from minigrad import backend as _backend

from autoencoders.models.base import Batch


def importance_sampled_nll(model, x, y=None, *, k=1000, batch_size=100, max_rows=10000, seed=0,
                           return_all=False):
    """−log p(x) estimated with ``k`` importance samples per example, averaged over the rows of ``x``.

    ``x``: host array or Tensor (N, ...) of inputs (already binarized for a Bernoulli model);
    ``y``: their labels (N,), needed only by conditional models. The noise comes from a NumPy
    generator seeded with ``seed`` (on the host), so the estimate does not depend on, or
    disturb, minigrad's generator. Returns the mean NLL in nats (a float), or with
    ``return_all`` the (N,) array of per-example NLLs.
    """
    if k < 1:
        raise ValueError(f"importance_sampled_nll: k must be >= 1, got {k}")
    x = _host(x)
    y = None if y is None else _host(y).astype(np.int64)
    rng = np.random.default_rng(seed)
    latent = model.latent_dim
    samples_per_chunk = max(1, min(k, max_rows // max(1, min(batch_size, len(x)))))
    was_training = model.training
    model.eval()
    nll = np.empty(len(x), dtype=np.float64)
    try:
        with minigrad.no_grad():
            for start in range(0, len(x), batch_size):
                xb = x[start:start + batch_size]
                batch = Batch(x=minigrad.tensor(xb), y=None if y is None else minigrad.tensor(y[start:start + batch_size]))
                log_w = np.empty((k, len(xb)), dtype=np.float64)
                for s in range(0, k, samples_per_chunk):
                    n = min(samples_per_chunk, k - s)
                    eps = rng.standard_normal((n, len(xb), latent), dtype=np.float32)
                    eps = _backend.to_backend(eps.astype(minigrad.get_default_dtype()), minigrad.get_backend())
                    log_w[s:s + n] = _backend.to_numpy(model.log_importance_weights(batch, eps).data)
                nll[start:start + len(xb)] = -(log_mean_exp(log_w, axis=0))
    finally:
        model.train(was_training)
    return nll if return_all else float(nll.mean())


def log_mean_exp(a, axis=0):
    """log(mean(exp(a))) along ``axis``, computed stably (the largest term is factored out)."""
    a = np.asarray(a, dtype=np.float64)
    top = a.max(axis=axis, keepdims=True)
    return np.squeeze(top, axis=axis) + np.log(np.mean(np.exp(a - top), axis=axis))


def _host(array):
    if isinstance(array, minigrad.Tensor):
        return array.numpy()
    return np.asarray(array)


def nll_of_run(run_dir, *, k=1000, batch_size=100, limit=None, seed=0, backend=None):
    """The importance-sampled test NLL of the checkpoint in ``run_dir`` (its test set as the
    training loop sees it: binarized once for ``binarize: dynamic``). ``limit``: first N examples."""
    from autoencoders.training import open_run

    with open_run(run_dir, backend) as run:
        x, y = run.data.x_test[:limit], run.data.y_test[:limit]
        return importance_sampled_nll(run.model, x, y, k=k, batch_size=batch_size, seed=seed)


def bits_per_dim(nll_nats, dims=784):
    """A NLL in nats per example as bits per dimension."""
    return nll_nats / (dims * math.log(2))


def main(argv=None):
    """``python -m autoencoders.evaluation.likelihood RUN_DIR [--k 1000] [--limit N]``: the test
    -ELBO (one z per image) and the importance-sampled NLL of a run's checkpoint."""
    import argparse
    import time

    from autoencoders.evaluation.elbo import negative_elbo
    from autoencoders.training import open_run

    parser = argparse.ArgumentParser(prog="python -m autoencoders.evaluation.likelihood",
                                     description="Test -ELBO and importance-sampled NLL of a VAE run.")
    parser.add_argument("run_dir")
    parser.add_argument("--k", type=int, default=1000, help="importance samples per image (default 1000)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N test images")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with open_run(args.run_dir) as run:
        if not hasattr(run.model, "log_importance_weights"):
            parser.error(f"model {run.config['model']!r} has no log_importance_weights (VAE, beta-VAE, CVAE have)")
        x, y = run.data.x_test[:args.limit], run.data.y_test[:args.limit]
        elbo = negative_elbo(run.model, x, y, seed=args.seed)
        print(f"{args.run_dir}: {len(x)} test images")
        print(f"  -ELBO            {elbo['negative_elbo']:.2f}  (reconstruction {elbo['reconstruction']:.2f}, "
              f"kl {elbo['kl']:.2f})")
        start = time.perf_counter()
        nll = importance_sampled_nll(run.model, x, y, k=args.k, batch_size=args.batch_size, seed=args.seed)
        print(f"  NLL, K={args.k:<6d} {nll:.2f}  ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
