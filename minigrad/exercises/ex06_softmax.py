"""Exercise 6: softmax.

    y_i = e^(x_i) / Σ_j e^(x_j)          along the last axis (each row sums to 1)

The forward subtracts the row's maximum first (it changes nothing mathematically and
keeps e^x from overflowing).

Write ``Softmax.backward``: return ∂L/∂x given g = ∂L/∂y.

To derive: the Jacobian of one row, ∂y_i/∂x_j = y_i(δ_ij − y_j) (treat i = j and i ≠ j
separately), then the vector-Jacobian product ∂L/∂x_j = Σ_i g_i ∂y_i/∂x_j. It simplifies
to an expression in y and g alone, without forming the D×D Jacobian.

A trap the checker avoids for you: Σ_i y_i = 1 always, so the gradient of y.sum() is zero
whatever you write. That is why it weighs the outputs with a random array.

Useful: ``self.outputs[0]()`` is y; ``t.sum(axis=-1, keepdims=True)`` sums each row.

Check:  python -m minigrad.exercises check 6
"""

import numpy

import minigrad
from minigrad import Function, get_array_module

SECOND_ORDER = True  # the checker also tries gradgradcheck (a bonus)


class Softmax(Function):
    def forward(self, x):
        xp = get_array_module(x)
        e = xp.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def backward(self, gy):
        # gy = ∂L/∂y, shaped like y.
        # Return ∂L/∂x, shaped like x.
        raise NotImplementedError("write the backward of Softmax (see the docstring at the top of this file)")


def apply(x):
    """What the checker differentiates."""
    return Softmax()(x)


def check_inputs():
    """float64 scores (softmax is smooth; the max inside the forward is only a shift)."""
    rng = numpy.random.default_rng(6)
    x = minigrad.tensor(rng.normal(scale=2.0, size=(3, 5)), dtype="float64", requires_grad=True)
    x.name = "x"
    return (x,)


if __name__ == "__main__":  # `python ex06_softmax.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
