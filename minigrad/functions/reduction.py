"""Reductions: sum, sum_to, mean (and, below, var, max/min, logsumexp, softmax)."""

from minigrad.autograd import Function
from minigrad.functions import shape as _shape


def normalize_axis(axis, ndim):
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def keepdims_shape(shape, axes):
    """``shape`` with the reduced ``axes`` kept as size 1."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def sum_to_array(x, shape):
    """Sum a broadcast array ``x`` back down to ``shape`` (the adjoint of broadcasting)."""
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and x.shape[i + lead] != 1
    )
    y = x.sum(axis=axes, keepdims=True) if axes else x
    return y.reshape(shape) if lead or y.shape != tuple(shape) else y


class Sum(Function):
    """y = Σ_axis x ;  ∂y/∂x = 1 (the gradient is broadcast back over the summed axes)"""

    def __init__(self, axis, keepdims):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        self.axes = normalize_axis(self.axis, x.ndim)
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        x, = self.inputs
        if not self.keepdims:
            gy = _shape.reshape(gy, keepdims_shape(x.shape, self.axes))
        return _shape.broadcast_to(gy, x.shape)


class SumTo(Function):
    """y = x summed down to ``shape`` (undoes broadcasting) ;  backward broadcasts back"""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return sum_to_array(x, self.shape)

    def backward(self, gy):
        x, = self.inputs
        return _shape.broadcast_to(gy, x.shape)


def sum(x, axis=None, keepdims=False):
    return Sum(axis, keepdims)(x)


def sum_to(x, shape):
    if tuple(x.shape) == tuple(shape):
        return x
    return SumTo(shape)(x)


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis``: ``sum / n``, so its gradient is 1/n everywhere."""
    axes = normalize_axis(axis, x.ndim)
    count = 1
    for a in axes:
        count *= x.shape[a]
    return sum(x, axis, keepdims) * (1.0 / max(count, 1))
