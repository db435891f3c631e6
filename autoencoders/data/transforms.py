"""Host-side (numpy) preprocessing: scaling, binarization, validation split, input noise.

Pixel intensities are first mapped to [0, 1]; binarization works on that scale and the
result is then mapped to the requested value range, [0, 1] or [-1, 1].

The noise classes are the input corruptions of denoising autoencoders (Vincent et al.,
"Stacked Denoising Autoencoders", JMLR 2010, section 4.2). Each is a callable
``noise(x, rng) -> noisy copy of x`` drawing from the numpy Generator ``rng`` and keeping
the values inside the data range.
"""

import numpy as np

VALUE_RANGES = ((0.0, 1.0), (-1.0, 1.0))


def check_value_range(value_range):
    """``value_range`` as a tuple of floats, one of VALUE_RANGES."""
    value_range = tuple(float(v) for v in value_range)
    if value_range not in VALUE_RANGES:
        raise ValueError(f"value_range must be one of {VALUE_RANGES}, got {value_range}")
    return value_range


def to_unit(pixels, dtype=np.float32):
    """uint8 pixels 0..255 -> floats in [0, 1]."""
    dtype = np.dtype(dtype)
    return np.asarray(pixels, dtype=dtype) / dtype.type(255)


def rescale(x, value_range):
    """Map x in [0, 1] to ``value_range`` ((0, 1) returns x itself)."""
    low, high = check_value_range(value_range)
    if (low, high) == (0.0, 1.0):
        return x
    return x * x.dtype.type(high - low) + x.dtype.type(low)


def binarize_threshold(x, threshold=0.5):
    """x in [0, 1] -> 1 where x > threshold, else 0 (same dtype)."""
    return (x > threshold).astype(x.dtype)


def binarize_bernoulli(x, rng):
    """x in [0, 1] -> one Bernoulli draw per pixel with success probability x (same dtype)."""
    return (rng.random(x.shape, dtype=np.float32) < x).astype(x.dtype)


def split_validation(x, y, fraction, seed=0):
    """Hold out ``round(fraction * len(x))`` random examples: (x_train, y_train, x_val, y_val)."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {fraction}")
    n_val = int(round(fraction * len(x)))
    order = np.random.default_rng(seed).permutation(len(x))
    train, val = np.sort(order[n_val:]), np.sort(order[:n_val])
    return x[train], y[train], x[val], y[val]


class GaussianNoise:
    """Additive isotropic Gaussian noise: x + N(0, std^2) per element, clipped to the data range."""

    def __init__(self, std, value_range=(0.0, 1.0)):
        if std < 0:
            raise ValueError(f"std must be >= 0, got {std}")
        self.std = float(std)
        self.value_range = check_value_range(value_range)

    def __call__(self, x, rng):
        noisy = x + rng.normal(0.0, self.std, x.shape).astype(x.dtype)
        return np.clip(noisy, *self.value_range, out=noisy)

    def __repr__(self):
        return f"GaussianNoise(std={self.std}, value_range={self.value_range})"


class _PerExampleFraction:
    """Picks ``round(fraction * d)`` random elements of each example (d elements per example)."""

    def __init__(self, fraction, value_range=(0.0, 1.0)):
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"fraction must be in [0, 1], got {fraction}")
        self.fraction = float(fraction)
        self.value_range = check_value_range(value_range)

    def _chosen(self, flat, rng):
        """Boolean mask, True at the chosen elements of each row of ``flat`` (batch, d)."""
        k = int(round(self.fraction * flat.shape[1]))
        chosen = np.zeros(flat.shape, dtype=bool)
        if k > 0:
            columns = np.argpartition(rng.random(flat.shape), k - 1, axis=1)[:, :k]
            np.put_along_axis(chosen, columns, True, axis=1)
        return chosen

    def __repr__(self):
        return f"{type(self).__name__}(fraction={self.fraction}, value_range={self.value_range})"


class MaskingNoise(_PerExampleFraction):
    """Masking noise: a fraction of each example's elements, chosen at random, is set to the
    range's minimum (zeroed for [0, 1] data). The count per example is exact: round(fraction * d)."""

    def __call__(self, x, rng):
        flat = x.reshape(len(x), -1).copy()
        flat[self._chosen(flat, rng)] = self.value_range[0]
        return flat.reshape(x.shape)


class SaltAndPepperNoise(_PerExampleFraction):
    """Salt-and-pepper noise: a fraction of each example's elements, chosen at random, is set to
    the range's minimum or maximum by a fair coin flip."""

    def __call__(self, x, rng):
        flat = x.reshape(len(x), -1).copy()
        chosen = self._chosen(flat, rng)
        low, high = self.value_range
        flat[chosen] = np.where(rng.random(int(chosen.sum())) < 0.5, low, high)
        return flat.reshape(x.shape)
