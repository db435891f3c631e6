"""Random regularization: dropout."""

from minigrad import random as _random
from minigrad.backend import get_array_module
from minigrad.functions.arithmetic import mul
from minigrad.tensor import Tensor


def dropout(x, p=0.5, training=True, mask=None):
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by 1/(1−p),
    so that the expected value is unchanged and evaluation needs no rescaling.

    y = x · m / (1−p),  m ~ Bernoulli(1−p) ;  ∂y/∂x = m / (1−p)

    It is a product with a constant, so its gradient is exact and differentiable. ``mask``
    (the keep-mask m: booleans or 0/1, of x's shape) replaces the random draw, e.g. to
    fix the noise for a gradient check. Outside ``training`` (or with p = 0) x is returned.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p}")
    if not training or (p == 0.0 and mask is None):
        return x
    xp = get_array_module(x.data)
    if mask is None:
        keep = _random.uniform(x.shape, x.dtype, xp) >= p
    else:
        keep = mask.data if isinstance(mask, Tensor) else mask
        if tuple(keep.shape) != x.shape:
            raise ValueError(f"dropout: mask of shape {tuple(keep.shape)} does not match the input's {x.shape}")
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return mul(x, Tensor._wrap(keep.astype(x.dtype) * scale))
