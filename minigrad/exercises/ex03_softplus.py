"""Exercise 3: softplus, the smooth ReLU.

    y = softplus(x) = ln(1 + eˣ)          elementwise

The forward computes it as max(x, 0) + ln(1 + e^(−|x|)), which is the same function
but never overflows (e^(−|x|) ≤ 1). The max and the |x| have kinks at 0, yet their
sum is smooth: the kinks cancel. Differentiate the simple form ln(1 + eˣ).

Write ``Softplus.backward``: return ∂L/∂x = gy · dy/dx.

To derive: d/dx ln(1 + eˣ). You should recognise a function from exercise 1
(``minigrad.sigmoid`` is allowed here).

Check:  python -m minigrad.exercises check 3
"""

import numpy

import minigrad
from minigrad import Function, get_array_module

SECOND_ORDER = True  # the checker also tries gradgradcheck (a bonus)


class Softplus(Function):
    def forward(self, x):
        xp = get_array_module(x)
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        # gy = ∂L/∂y, shaped like y.
        # Return ∂L/∂x = gy · dy/dx, shaped like x.
        raise NotImplementedError("write the backward of Softplus (see the docstring at the top of this file)")


def apply(x):
    """What the checker differentiates."""
    return Softplus()(x)


def check_inputs():
    """float64 inputs on both sides of 0 (softplus is smooth there, despite the max and |x|)."""
    rng = numpy.random.default_rng(3)
    x = minigrad.tensor(rng.uniform(-5, 5, size=(3, 4)), dtype="float64", requires_grad=True)
    x.name = "x"
    return (x,)


if __name__ == "__main__":  # `python ex03_softplus.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
