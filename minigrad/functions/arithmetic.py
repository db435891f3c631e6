"""Elementwise arithmetic: add, sub, mul, div, neg, pow, and comparisons.

Inputs broadcast in forward like NumPy; each backward reduces its gradient back
to the shape of its input with :func:`~minigrad.functions.reduction.sum_to`.
"""

from minigrad.autograd import Function
from minigrad.backend import get_array_module
from minigrad.tensor import Tensor, as_tensor
from minigrad.functions.reduction import sum_to
from minigrad.functions import math as _math


def _unbroadcast(grad, inp):
    """``grad`` summed down to the shape of input ``inp`` (None if inp needs no grad)."""
    if not inp.requires_grad:
        return None
    return grad if grad.shape == inp.shape else sum_to(grad, inp.shape)


class Add(Function):
    """y = a + b ;  ∂y/∂a = 1, ∂y/∂b = 1"""

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        a, b = self.inputs
        return _unbroadcast(gy, a), _unbroadcast(gy, b)


class Sub(Function):
    """y = a − b ;  ∂y/∂a = 1, ∂y/∂b = −1"""

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        a, b = self.inputs
        return _unbroadcast(gy, a), _unbroadcast(-gy, b) if b.requires_grad else None


class Mul(Function):
    """y = a · b ;  ∂y/∂a = b, ∂y/∂b = a"""

    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        ga = _unbroadcast(gy * b, a) if a.requires_grad else None
        gb = _unbroadcast(gy * a, b) if b.requires_grad else None
        return ga, gb


class Div(Function):
    """y = a / b ;  ∂y/∂a = 1/b, ∂y/∂b = −a/b²"""

    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        a, b = self.inputs
        ga = _unbroadcast(gy / b, a) if a.requires_grad else None
        gb = _unbroadcast(-gy * a / (b * b), b) if b.requires_grad else None
        return ga, gb


class Neg(Function):
    """y = −x ;  dy/dx = −1"""

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class PowScalar(Function):
    """y = xᶜ for a constant c ;  dy/dx = c·xᶜ⁻¹"""

    def __init__(self, exponent):
        self.exponent = exponent

    def forward(self, x):
        return x ** self.exponent

    def backward(self, gy):
        x, = self.inputs
        c = self.exponent
        if c == 2:
            return gy * (2 * x)
        return gy * (c * x ** (c - 1))


class Pow(Function):
    """y = aᵇ ;  ∂y/∂a = b·aᵇ⁻¹, ∂y/∂b = aᵇ·ln a  (a > 0 where b needs a gradient)"""

    def forward(self, a, b):
        return a ** b

    def backward(self, gy):
        a, b = self.inputs
        ga = _unbroadcast(gy * b * a ** (b - 1), a) if a.requires_grad else None
        gb = _unbroadcast(gy * a ** b * _math.log(a), b) if b.requires_grad else None
        return ga, gb


def add(a, b):
    return Add()(a, b)


def sub(a, b):
    return Sub()(a, b)


def mul(a, b):
    return Mul()(a, b)


def div(a, b):
    return Div()(a, b)


def neg(x):
    return Neg()(x)


def pow(base, exponent):
    """``base ** exponent``; a Python-number exponent is a constant (PowScalar)."""
    if isinstance(exponent, (int, float)) and isinstance(base, Tensor):
        return PowScalar(exponent)(base)
    return Pow()(base, exponent)


_COMPARISONS = ("less", "less_equal", "greater", "greater_equal", "equal", "not_equal")


def compare(a, b, op):
    """Elementwise comparison ``op`` (e.g. "less"): a boolean tensor, never differentiable."""
    if op not in _COMPARISONS:
        raise ValueError(f"compare: unknown comparison {op!r}; expected one of {_COMPARISONS}")
    a = as_tensor(a, like=(a, b))
    b = as_tensor(b, like=(a, b))
    xp = get_array_module(a.data, b.data, op=op)
    return Tensor._wrap(getattr(xp, op)(a.data, b.data))
