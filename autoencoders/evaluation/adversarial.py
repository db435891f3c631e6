"""Measurements of adversarial autoencoders: does q(z) match p(z), and how good are the samples?

* :func:`mmd` — the maximum mean discrepancy between two samples (codes vs prior draws)
  with Gaussian kernels: MMD² = E k(a, a') + E k(b, b') − 2 E k(a, b), zero iff the two
  distributions are equal (for a characteristic kernel such as the Gaussian).
* :func:`nearest_part_fraction` — for a label-conditioned prior, the fraction of codes whose
  nearest part of the prior (mixture component, swiss-roll segment) is their own label's.
* :func:`parzen_log_likelihood` — the Parzen-window (Gaussian kernel density) estimate of
  log p(x) from model samples, the metric of the GAN and AAE papers, with
  :func:`choose_parzen_sigma` picking the window on a validation split.

All take host arrays (or minigrad Tensors, copied to the host) and compute in float64 NumPy.
"""

import math

import numpy as np

import minigrad


def _host(a):
    if isinstance(a, minigrad.Tensor):
        a = a.numpy()
    a = np.asarray(a, dtype=np.float64)
    return a.reshape(len(a), -1)


def squared_distances(a, b):
    """‖aᵢ − bⱼ‖² for every pair of rows, (len(a), len(b)), clipped at 0 against rounding."""
    d = (a * a).sum(1)[:, None] - 2.0 * a @ b.T + (b * b).sum(1)[None, :]
    return np.maximum(d, 0.0)


def median_bandwidth(a, max_rows=2000):
    """The median heuristic: σ = the median distance between distinct rows of ``a`` (the first max_rows)."""
    a = _host(a)[:max_rows]
    d = squared_distances(a, a)[np.triu_indices(len(a), k=1)]
    return float(np.sqrt(np.median(d)))


def mmd(a, b, bandwidths=None, unbiased=False):
    """MMD² between the rows of ``a`` and of ``b`` with k(u, v) = Σ_σ exp(−‖u − v‖² / 2σ²).

    ``bandwidths``: a number or a list of σ; None takes the median heuristic on ``b`` (pass the
    reference sample, e.g. prior draws, as ``b`` so that the kernel is the same for every model
    compared against it). The default is the biased (V-statistic) estimate, ≥ 0 and exactly 0
    for identical samples; ``unbiased=True`` drops the diagonal terms k(aᵢ, aᵢ), k(bⱼ, bⱼ) (its
    mean is 0 when the distributions are equal, so it can come out slightly negative).
    """
    a, b = _host(a), _host(b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"mmd: samples of dimension {a.shape[1]} and {b.shape[1]}")
    if bandwidths is None:
        bandwidths = [median_bandwidth(b)]
    bandwidths = np.atleast_1d(np.asarray(bandwidths, dtype=np.float64))

    def kernel(u, v):
        d = squared_distances(u, v)
        return sum(np.exp(-d / (2.0 * s * s)) for s in bandwidths)

    kaa, kbb, kab = kernel(a, a), kernel(b, b), kernel(a, b)
    if unbiased:
        m, n = len(a), len(b)
        term_a = (kaa.sum() - np.trace(kaa)) / (m * (m - 1))
        term_b = (kbb.sum() - np.trace(kbb)) / (n * (n - 1))
        return float(term_a + term_b - 2.0 * kab.mean())
    return float(kaa.mean() + kbb.mean() - 2.0 * kab.mean())


def nearest_part_fraction(codes, labels, prior):
    """The fraction of ``codes`` (N, 2) whose ``prior.nearest_part`` is their label (N,)."""
    labels = np.asarray(labels.numpy() if isinstance(labels, minigrad.Tensor) else labels)
    return float(np.mean(prior.nearest_part(_host(codes)) == labels))


def log_mean_exp(a, axis=-1):
    """log(mean(exp(a))) along ``axis``, stably: the largest term is factored out first."""
    top = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(top, axis=axis) + np.log(np.mean(np.exp(a - top), axis=axis))


def parzen_log_likelihood(samples, x, sigma, batch_size=500):
    """log p̂(xᵢ) for each row of ``x`` under the Parzen window of ``samples``:

        p̂(x) = (1/S) Σₛ N(x; sₛ, σ² I)
        log p̂(x) = log-mean-exp over s of (−‖x − sₛ‖² / 2σ²)  −  (D/2)·log(2πσ²)

    Returns an array (N,) in nats; the log-mean-exp never exponentiates a large number, so
    points far from every sample still get a finite (very negative) value. ``sigma`` may
    also be a list: then the result is (len(sigma), N), from one pass over the distances.
    """
    sigmas = np.atleast_1d(np.asarray(sigma, dtype=np.float64))
    if np.any(sigmas <= 0):
        raise ValueError(f"parzen_log_likelihood: sigma must be > 0, got {sigma}")
    samples, x = _host(samples), _host(x)
    dim = x.shape[1]
    out = np.empty((len(sigmas), len(x)))
    for start in range(0, len(x), batch_size):
        d = squared_distances(x[start:start + batch_size], samples)
        for i, s in enumerate(sigmas):
            out[i, start:start + batch_size] = log_mean_exp(-d / (2.0 * s * s), axis=1)
    out -= 0.5 * dim * np.log(2.0 * np.pi * sigmas * sigmas)[:, None]
    return out if np.ndim(sigma) else out[0]


def choose_parzen_sigma(samples, x_validation, sigmas=None):
    """(best σ, {σ: mean validation log-likelihood}) over the grid ``sigmas`` (default:
    20 values from 0.05 to 1, log-spaced: the range used for MNIST pixels in [0, 1])."""
    if sigmas is None:
        sigmas = np.geomspace(0.05, 1.0, 20)
    sigmas = [float(s) for s in sigmas]
    means = parzen_log_likelihood(samples, x_validation, sigmas).mean(axis=1)
    scores = dict(zip(sigmas, means.tolist()))
    best = max(scores, key=scores.get)
    return best, scores


def decode_prior_samples(model, n, seed=0, batch_size=500):
    """``n`` images decoded from draws of an AAE's prior(s), a host array (n, D).

    The draws come from a NumPy generator seeded with ``seed`` (minigrad's is left alone). The
    semi-supervised AAE decodes [one-hot y, z] with y uniform; the supervised one decodes z
    with a uniformly drawn label.
    """
    rng = np.random.default_rng(seed)
    z = model.code_prior.sample(n, rng=rng)
    labels = None
    if hasattr(model, "class_prior"):
        z = np.concatenate([model.class_prior.sample(n, rng=rng), z], axis=1)
    elif hasattr(model, "decode_style"):
        labels = rng.integers(0, model.num_classes, size=n)
    z = z.astype(minigrad.get_default_dtype())
    images = []
    with minigrad.no_grad():
        for start in range(0, n, batch_size):
            code = minigrad.tensor(z[start:start + batch_size])
            out = model.decode(code) if labels is None else model.decode_style(
                code, minigrad.tensor(labels[start:start + batch_size]))
            images.append(out.numpy().reshape(len(code), -1))
    return np.concatenate(images)


def standard_error(values):
    """The standard error of the mean of ``values``."""
    values = np.asarray(values, dtype=np.float64)
    return float(values.std(ddof=1) / math.sqrt(len(values)))
