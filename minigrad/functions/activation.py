"""Activation functions: tanh, sigmoid, relu, leaky_relu, elu, softplus.

Forwards use forms that cannot overflow (no ``exp`` of a large positive number).
Backwards are written with minigrad ops so that they can be differentiated again:
smooth ones through the output tensor y (tanh, sigmoid, elu), piecewise-linear ones
as ``gy * mask`` with a constant mask (their second derivative is 0 almost everywhere).
"""

from minigrad.autograd import Function
from minigrad.backend import get_array_module
from minigrad.tensor import Tensor
from minigrad.functions import elementwise as _elementwise
from minigrad.functions import math as _math


class Tanh(Function):
    """y = tanh x ;  dy/dx = 1 − y²"""

    def forward(self, x):
        return get_array_module(x).tanh(x)

    def backward(self, gy):
        y = self.outputs[0]()
        return gy * (1 - y * y)


class Sigmoid(Function):
    """y = σ(x) = 1 / (1 + e⁻ˣ) ;  dy/dx = y(1 − y)

    Computed as written, which is stable: where e⁻ˣ overflows (x < −88 in float32) it is
    ∞ and y its limit 0, and tiny outputs keep their relative precision (no 1 − … that
    cancels). Four passes on NumPy (the overflow warning silenced), one fused kernel on CuPy.
    """

    def forward(self, x):
        return _elementwise.sigmoid(x)

    def backward(self, gy):
        return SigmoidGrad()(self.outputs[0](), gy)  # gy · y(1 − y), one op


class SigmoidGrad(Function):
    """gx = gy · y(1 − y): sigmoid's backward as one op (one pass, one kernel on CuPy)

    ∂gx/∂y = gy(1 − 2y) ,  ∂gx/∂gy = y(1 − y)   (for second derivatives)
    """

    def forward(self, y, gy):
        return _elementwise.sigmoid_grad(y, gy)

    def backward(self, ggx):
        y, gy = self.inputs
        g_y = ggx * gy * (1 - 2 * y) if y.requires_grad else None
        g_gy = SigmoidGrad()(y, ggx) if gy.requires_grad else None
        return g_y, g_gy


class ReLU(Function):
    """y = max(x, 0) ;  dy/dx = [x > 0]  (0 at x = 0)"""

    def forward(self, x):
        return get_array_module(x).maximum(x, 0)

    def backward(self, gy):
        return ReLUGrad(self.inputs[0].data)(gy)


class ReLUGrad(Function):
    """gx = gy·[x > 0] for a fixed x: relu's backward as one op (one kernel on CuPy)

    Linear in gy, so its own backward is itself: ∂L/∂gy = ggx·[x > 0] (the mask is a constant).
    """

    def __init__(self, x):
        self.x = x

    def forward(self, gy):
        return _elementwise.relu_grad(self.x, gy)

    def backward(self, ggx):
        return ReLUGrad(self.x)(ggx)


class LeakyReLU(Function):
    """y = x for x > 0, else s·x ;  dy/dx = 1 for x > 0, else s  (s at x = 0)"""

    def __init__(self, negative_slope):
        self.slope = negative_slope

    def forward(self, x):
        return get_array_module(x).where(x > 0, x, x * self.slope)

    def backward(self, gy):
        x, = self.inputs
        positive = (x.data > 0).astype(gy.dtype)
        return gy * Tensor._wrap(positive + (1 - positive) * self.slope)


class ELU(Function):
    """y = x for x > 0, else α(eˣ − 1) ;  dy/dx = 1 for x > 0, else αeˣ = y + α

    The negative branch is ``α·expm1(min(x, 0))``: exact near 0 and no overflow for large x.
    """

    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        xp = get_array_module(x)
        return xp.where(x > 0, x, self.alpha * xp.expm1(xp.minimum(x, 0)))

    def backward(self, gy):
        x, = self.inputs
        y = self.outputs[0]()
        positive = Tensor._wrap(x.data > 0)
        return _math.where(positive, gy, gy * (y + self.alpha))


class Softplus(Function):
    """y = (1/β)·ln(1 + e^(βx)), and y = x where βx > threshold ;  dy/dx = σ(βx)  (1 above the threshold)

    Computed as (ln(1 + e^(−|βx|)) + max(βx, 0)) / β, which never overflows.
    """

    def __init__(self, beta, threshold):
        self.beta = beta
        self.threshold = threshold

    def forward(self, x):
        xp = get_array_module(x)
        bx = x * self.beta
        y = (xp.log1p(xp.exp(-xp.abs(bx))) + xp.maximum(bx, 0)) / self.beta
        return xp.where(bx > self.threshold, x, y)

    def backward(self, gy):
        x, = self.inputs
        linear = Tensor._wrap(x.data * self.beta > self.threshold)
        return _math.where(linear, gy, gy * sigmoid(x * self.beta))


def tanh(x):
    return Tanh()(x)


def sigmoid(x):
    return Sigmoid()(x)


def relu(x):
    return ReLU()(x)


def leaky_relu(x, negative_slope=0.01):
    return LeakyReLU(negative_slope)(x)


def elu(x, alpha=1.0):
    return ELU(alpha)(x)


def softplus(x, beta=1.0, threshold=20.0):
    """A smooth relu: (1/β)·ln(1 + e^(βx)), switching to x where βx > threshold (as in PyTorch)."""
    return Softplus(beta, threshold)(x)
