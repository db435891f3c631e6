"""Exercise 7: log-softmax.

    y_i = log softmax(x)_i = x_i − log Σ_j e^(x_j)          along the last axis

The forward uses the shift by the row's maximum, as in exercise 6. In a classifier,
log-softmax (not log of softmax) is what keeps tiny probabilities finite.

Write ``LogSoftmax.backward``: return ∂L/∂x given g = ∂L/∂y.

To derive: ∂y_i/∂x_j = δ_ij − softmax(x)_j (the derivative of log Σ e^x is softmax), then
∂L/∂x_j = Σ_i g_i ∂y_i/∂x_j. Note softmax(x) = e^y, so you can reuse the output.

Useful: ``self.outputs[0]()`` is y; ``minigrad.exp``; ``t.sum(axis=-1, keepdims=True)``.

Check:  python -m minigrad.exercises check 7
"""

import numpy

import minigrad
from minigrad import Function, get_array_module

SECOND_ORDER = True  # the checker also tries gradgradcheck (a bonus)


class LogSoftmax(Function):
    def forward(self, x):
        xp = get_array_module(x)
        z = x - x.max(axis=-1, keepdims=True)
        return z - xp.log(xp.exp(z).sum(axis=-1, keepdims=True))

    def backward(self, gy):
        # ∂L/∂x_j = Σ_i g_i (δ_ij − softmax_j) = g_j − e^(y_j) Σ_i g_i
        y = self.outputs[0]()
        return gy - minigrad.exp(y) * gy.sum(axis=-1, keepdims=True)


def apply(x):
    """What the checker differentiates."""
    return LogSoftmax()(x)


def check_inputs():
    """float64 scores."""
    rng = numpy.random.default_rng(7)
    x = minigrad.tensor(rng.normal(scale=2.0, size=(4, 3)), dtype="float64", requires_grad=True)
    x.name = "x"
    return (x,)


if __name__ == "__main__":  # `python ex07_log_softmax.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
