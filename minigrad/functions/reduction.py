"""Reductions: sum, sum_to, mean, var, max, min, logsumexp, and softmax, log_softmax.

Every reduction takes ``axis`` (None for all axes, an int, or a tuple; negatives
allowed) and ``keepdims``. Backward puts the reduced axes back (``_expand``) and
broadcasts. This module defines ``sum``, ``max`` and ``min``: it uses the builtins
only through ``builtins.``.
"""

import builtins

from minigrad.autograd import Function
from minigrad.backend import get_array_module
from minigrad.tensor import Tensor
from minigrad.functions import shape as _shape
from minigrad.functions import math as _math


def normalize_axis(axis, ndim):
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def keepdims_shape(shape, axes):
    """``shape`` with the reduced ``axes`` kept as size 1."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def reduced_shape(shape, axes, keepdims):
    """The shape of a reduction of ``shape`` over ``axes``."""
    if keepdims:
        return keepdims_shape(shape, axes)
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def count(shape, axes):
    """How many elements a reduction over ``axes`` combines."""
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _keep(g, shape, axes, keepdims):
    """The gradient of a reduction with the reduced axes put back as size 1 (it then broadcasts)."""
    return g if keepdims else _shape.reshape(g, keepdims_shape(shape, axes))


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
        return _shape.broadcast_to(_keep(gy, x.shape, self.axes, self.keepdims), x.shape)


class SumTo(Function):
    """y = x summed down to ``shape`` (undoes broadcasting) ;  backward broadcasts back"""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return sum_to_array(x, self.shape)

    def backward(self, gy):
        x, = self.inputs
        return _shape.broadcast_to(gy, x.shape)


class Var(Function):
    """y = Σ_axis (x − x̄)² / (n − ddof) ;  ∂y/∂x = 2(x − x̄) / (n − ddof)

    (The terms −2(x − x̄)/n·∂x̄ cancel because Σ(x − x̄) = 0.)
    """

    def __init__(self, axis, keepdims, ddof):
        self.axis = axis
        self.keepdims = keepdims
        self.ddof = ddof

    def forward(self, x):
        self.axes = normalize_axis(self.axis, x.ndim)
        return x.var(axis=self.axes, ddof=self.ddof, keepdims=self.keepdims)

    def backward(self, gy):
        x, = self.inputs
        dof = count(x.shape, self.axes) - self.ddof
        centered = x - mean(x, self.axes, keepdims=True)
        scale = 2.0 / dof if dof > 0 else float("nan")  # no degrees of freedom: var itself is inf/nan
        return _keep(gy, x.shape, self.axes, self.keepdims) * centered * scale


class Max(Function):
    """y = max_axis x ;  ∂y/∂x = 1 where x is the maximum, 0 elsewhere

    Ties share the gradient equally: each of k tied maxima gets 1/k (a subgradient, and
    the sum of the gradient is kept). Gradient checks must avoid ties (a kink).
    """

    reduce = "max"

    def __init__(self, axis, keepdims):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        self.axes = normalize_axis(self.axis, x.ndim)
        return getattr(x, self.reduce)(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        x, = self.inputs
        y = self.outputs[0]().data.reshape(keepdims_shape(x.shape, self.axes))
        hits = (x.data == y).astype(gy.dtype)
        share = Tensor._wrap(hits / hits.sum(axis=self.axes, keepdims=True))  # a constant
        return _keep(gy, x.shape, self.axes, self.keepdims) * share


class Min(Max):
    """y = min_axis x ;  ∂y/∂x = 1 where x is the minimum, 0 elsewhere (ties share equally, as in Max)"""

    reduce = "min"


class LogSumExp(Function):
    """y = ln Σ_axis eˣ ;  ∂y/∂x = eˣ⁻ʸ = softmax(x) over the same axes

    Computed as m + ln Σ e^(x − m) with m = max x, so no exponential overflows.
    """

    def __init__(self, axis, keepdims):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        xp = get_array_module(x)
        self.axes = normalize_axis(self.axis, x.ndim)
        m = x.max(axis=self.axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)  # all −∞ (or an ∞): avoid ∞ − ∞, the result is still right
        y = xp.log(xp.exp(x - m).sum(axis=self.axes, keepdims=True)) + m
        return y.reshape(reduced_shape(x.shape, self.axes, self.keepdims))

    def backward(self, gy):
        # softmax(x), not exp(x − y): for large x, x − y cancels and loses float32 precision
        x, = self.inputs
        return _keep(gy, x.shape, self.axes, self.keepdims) * softmax(x, self.axes)


class Softmax(Function):
    """y = eˣ / Σ_axis eˣ ;  ∂L/∂x = y ⊙ (g − Σ_axis g ⊙ y)   (g = ∂L/∂y)

    Computed from e^(x − max x): no overflow.
    """

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        self.axes = normalize_axis(self.axis, x.ndim)
        e = xp.exp(x - x.max(axis=self.axes, keepdims=True))
        return e / e.sum(axis=self.axes, keepdims=True)

    def backward(self, gy):
        y = self.outputs[0]()
        return y * (gy - sum(gy * y, self.axes, keepdims=True))


class LogSoftmax(Function):
    """y = x − ln Σ_axis eˣ ;  ∂L/∂x = g − eʸ · Σ_axis g   (eʸ = softmax(x), g = ∂L/∂y)

    Computed as z − ln Σ eᶻ with z = x − max x: no overflow, and no log of a tiny softmax.
    """

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        self.axes = normalize_axis(self.axis, x.ndim)
        z = x - x.max(axis=self.axes, keepdims=True)
        return z - xp.log(xp.exp(z).sum(axis=self.axes, keepdims=True))

    def backward(self, gy):
        y = self.outputs[0]()
        return gy - _math.exp(y) * sum(gy, self.axes, keepdims=True)


def sum(x, axis=None, keepdims=False):
    return Sum(axis, keepdims)(x)


def sum_to(x, shape):
    """``x`` summed down to ``shape`` (the shape it was broadcast from); x itself if it already has it."""
    if tuple(x.shape) == tuple(shape):
        return x
    return SumTo(shape)(x)


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis``: ``sum / n``, so its gradient is 1/n everywhere."""
    n = count(x.shape, normalize_axis(axis, x.ndim))
    return sum(x, axis, keepdims) * (1.0 / n if n else float("nan"))


def var(x, axis=None, keepdims=False, ddof=0):
    """Variance over ``axis``, divided by n − ddof (ddof=0: the population variance, as NumPy)."""
    return Var(axis, keepdims, ddof)(x)


def max(x, axis=None, keepdims=False):
    """Largest element over ``axis`` (for the elementwise max of two tensors see ``maximum``)."""
    return Max(axis, keepdims)(x)


def min(x, axis=None, keepdims=False):
    """Smallest element over ``axis`` (for the elementwise min of two tensors see ``minimum``)."""
    return Min(axis, keepdims)(x)


def logsumexp(x, axis=None, keepdims=False):
    """ln Σ eˣ over ``axis``, computed without overflow."""
    return LogSumExp(axis, keepdims)(x)


def softmax(x, axis=-1):
    """eˣ / Σ eˣ along ``axis``: non-negative, sums to 1 along it."""
    return Softmax(axis)(x)


def log_softmax(x, axis=-1):
    """ln softmax(x) along ``axis``, computed stably (use it for log-likelihoods, not log(softmax))."""
    return LogSoftmax(axis)(x)
