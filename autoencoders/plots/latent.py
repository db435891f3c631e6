"""NumPy helpers of the figures: the normal quantile function, a 2-D PCA, codes of a data set."""

import numpy as np

import minigrad

# Acklam's rational approximation of the normal quantile function (relative error < 1.2e-9),
# polished by one Newton step on the exact CDF below.
_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
      -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
      -1.328068155288572e+01, 1.0)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
      4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00, 1.0)
_P_LOW = 0.02425


def normal_cdf(x):
    """Φ(x) = erfc(−x / √2) / 2, elementwise (erfc from the standard library: accurate in the tails)."""
    from math import erfc
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * np.vectorize(erfc, otypes=[np.float64])(-x / np.sqrt(2.0))


def normal_quantile(p):
    """Φ⁻¹(p), the standard normal quantile function, for p in (0, 1) (numpy only, no scipy)."""
    p = np.asarray(p, dtype=np.float64)
    if np.any((p <= 0) | (p >= 1)):
        raise ValueError("normal_quantile: p must lie strictly between 0 and 1")
    x = np.empty_like(p)
    low, high = p < _P_LOW, p > 1 - _P_LOW
    mid = ~(low | high)
    q = p[mid] - 0.5
    r = q * q
    x[mid] = np.polyval(_A, r) * q / np.polyval(_B, r)
    for tail, sign, prob in ((low, 1.0, p[low]), (high, -1.0, 1 - p[high])):
        q = np.sqrt(-2 * np.log(prob))
        x[tail] = sign * np.polyval(_C, q) / np.polyval(_D, q)
    density = np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)
    return x - (normal_cdf(x) - p) / density


def pca_2d(codes):
    """(coordinates (N, 2), mean (d,), axes (2, d), explained variance ratios (2,)) of ``codes`` (N, d).

    With d == 2 the codes are used as they are (mean 0, identity axes): no rotation.
    """
    codes = np.asarray(codes, dtype=np.float64)
    d = codes.shape[1]
    if d <= 2:
        axes = np.eye(2, d)
        total = codes.var(axis=0).sum() or 1.0
        return codes @ axes.T, np.zeros(d), axes, codes.var(axis=0)[:2] / total
    mean = codes.mean(axis=0)
    _, singular, vt = np.linalg.svd(codes - mean, full_matrices=False)
    ratios = singular[:2] ** 2 / np.sum(singular ** 2)
    return (codes - mean) @ vt[:2].T, mean, vt[:2], ratios


def _label_args(model, labels, start, stop):
    """The label argument of encode/decode for conditional models (CVAE, M2), else nothing."""
    if labels is None or not getattr(model, "conditional", False):
        return ()
    return (minigrad.tensor(labels[start:stop]),)


def _in_batches(method, arrays, labels, batch_size, model):
    """``method`` (a model's encode or decode) over host ``arrays`` in batches, without a graph,
    the conditional models' labels passed along; a host array."""
    outputs = []
    with minigrad.no_grad():
        for start in range(0, len(arrays), batch_size):
            stop = start + batch_size
            outputs.append(method(minigrad.tensor(arrays[start:stop]), *_label_args(model, labels, start, stop)).numpy())
    return np.concatenate(outputs)


def encode_all(model, x, labels=None, batch_size=500):
    """The codes of host array ``x`` as a host array (N, latent_dim), in batches, without a graph.

    ``labels`` (N,) are passed to ``encode(x, y)`` of conditional models (CVAE, M2) and ignored otherwise.
    """
    return _in_batches(model.encode, x, labels, batch_size, model)


def decode_all(model, z, labels=None, batch_size=500):
    """decode() of host codes ``z`` as a host array, in batches, without a graph (``labels`` as in encode_all)."""
    return _in_batches(model.decode, z, labels, batch_size, model)
