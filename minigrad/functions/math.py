"""Elementwise math: exp, log, sqrt, abs, sin, cos, clip, maximum, minimum, where.

Binary ops broadcast like NumPy; their backward sums the gradient back to each
input's shape with :func:`~minigrad.functions.reduction.sum_to`. Masks that select
where a gradient flows (abs, clip, maximum) are constants: their own derivative is
zero almost everywhere, so a backward written as ``gy * mask`` stays differentiable.
"""

from minigrad.autograd import Function
from minigrad.backend import get_array_module
from minigrad.tensor import Tensor, as_tensor
from minigrad.functions import reduction as _reduction


def _constant(array):
    """A tensor that takes no part in the graph (a mask, a sign)."""
    return Tensor._wrap(array)


class Exp(Function):
    """y = eˣ ;  dy/dx = eˣ = y"""

    def forward(self, x):
        return get_array_module(x).exp(x)

    def backward(self, gy):
        y = self.outputs[0]()
        return gy * y


class Log(Function):
    """y = ln x ;  dy/dx = 1/x"""

    def forward(self, x):
        return get_array_module(x).log(x)

    def backward(self, gy):
        x, = self.inputs
        return gy / x


class Sqrt(Function):
    """y = √x ;  dy/dx = 1/(2√x) = 1/(2y)"""

    def forward(self, x):
        return get_array_module(x).sqrt(x)

    def backward(self, gy):
        y = self.outputs[0]()
        return gy / (2 * y)


class Abs(Function):
    """y = |x| ;  dy/dx = sign(x)  (0 at x = 0)"""

    def forward(self, x):
        return get_array_module(x).abs(x)

    def backward(self, gy):
        x, = self.inputs
        return gy * _constant(get_array_module(x.data).sign(x.data))


class Sin(Function):
    """y = sin x ;  dy/dx = cos x"""

    def forward(self, x):
        return get_array_module(x).sin(x)

    def backward(self, gy):
        x, = self.inputs
        return gy * cos(x)


class Cos(Function):
    """y = cos x ;  dy/dx = −sin x"""

    def forward(self, x):
        return get_array_module(x).cos(x)

    def backward(self, gy):
        x, = self.inputs
        return -gy * sin(x)


class Clip(Function):
    """y = min(max(x, low), high) ;  dy/dx = 1 for low ≤ x ≤ high (bounds included), else 0"""

    def __init__(self, low, high):
        self.low = low
        self.high = high

    def forward(self, x):
        xp = get_array_module(x)
        y = x
        if self.low is not None:
            y = xp.maximum(y, self.low)
        if self.high is not None:
            y = xp.minimum(y, self.high)
        return y

    def backward(self, gy):
        x = self.inputs[0].data
        above_low = x >= self.low if self.low is not None else True
        below_high = x <= self.high if self.high is not None else True
        return gy * _constant((above_low & below_high).astype(gy.dtype))


def _share_of_a(a, b, a_wins, dtype):
    """The part of the gradient that goes to a: 1 where ``a_wins``, ½ at ties (a = b), 0 else."""
    return a_wins.astype(dtype) + (a == b).astype(dtype) * 0.5


class Maximum(Function):
    """y = max(a, b) elementwise ;  ∂y/∂a = [a > b], ∂y/∂b = [b > a]

    Ties (a = b) split the gradient equally: ½ to each input, as for the max reduction.
    """

    def forward(self, a, b):
        return get_array_module(a).maximum(a, b)

    def backward(self, gy):
        a, b = self.inputs
        to_a = _share_of_a(a.data, b.data, a.data > b.data, gy.dtype)
        ga = _reduction.sum_to(gy * _constant(to_a), a.shape) if a.requires_grad else None
        gb = _reduction.sum_to(gy * _constant(1 - to_a), b.shape) if b.requires_grad else None
        return ga, gb


class Minimum(Function):
    """y = min(a, b) elementwise ;  ∂y/∂a = [a < b], ∂y/∂b = [b < a]

    Ties (a = b) split the gradient equally: ½ to each input, as for the min reduction.
    """

    def forward(self, a, b):
        return get_array_module(a).minimum(a, b)

    def backward(self, gy):
        a, b = self.inputs
        to_a = _share_of_a(a.data, b.data, a.data < b.data, gy.dtype)
        ga = _reduction.sum_to(gy * _constant(to_a), a.shape) if a.requires_grad else None
        gb = _reduction.sum_to(gy * _constant(1 - to_a), b.shape) if b.requires_grad else None
        return ga, gb


class Where(Function):
    """y = a where cond else b ;  ∂y/∂a = [cond], ∂y/∂b = [not cond]  (cond gets no gradient)"""

    def forward(self, cond, a, b):
        return get_array_module(a).where(cond, a, b)

    def backward(self, gy):
        cond, a, b = self.inputs
        ga = _reduction.sum_to(where(cond, gy, 0), a.shape) if a.requires_grad else None
        gb = _reduction.sum_to(where(cond, 0, gy), b.shape) if b.requires_grad else None
        return None, ga, gb


def exp(x):
    return Exp()(x)


def log(x):
    return Log()(x)


def sqrt(x):
    return Sqrt()(x)


def abs(x):
    return Abs()(x)


def sin(x):
    return Sin()(x)


def cos(x):
    return Cos()(x)


def clip(x, low=None, high=None):
    """``x`` limited to [low, high]; either bound may be None. The bounds are constants
    (Python numbers, or tensors/arrays that broadcast against x and get no gradient)."""
    low = low.data if isinstance(low, Tensor) else low
    high = high.data if isinstance(high, Tensor) else high
    if low is None and high is None:
        raise ValueError("clip: give at least one of low and high")
    return Clip(low, high)(x)


def maximum(a, b):
    """Elementwise max of a and b (broadcasting; either may be a Python number)."""
    return Maximum()(a, b)


def minimum(a, b):
    """Elementwise min of a and b (broadcasting; either may be a Python number)."""
    return Minimum()(a, b)


def where(cond, a, b):
    """Elements of ``a`` where the boolean ``cond`` holds, else of ``b`` (all three broadcast).

    Python numbers take the dtype of the other operand, so ``where(m, x, 0.0)`` keeps
    a float32 ``x`` float32.
    """
    cond = as_tensor(cond)
    if cond.dtype != bool:
        raise TypeError(f"where: cond must be a boolean tensor (e.g. x > 0), got dtype {cond.dtype}")
    a, b = as_tensor(a, like=(a, b)), as_tensor(b, like=(b, a))
    return Where()(cond, a, b)
