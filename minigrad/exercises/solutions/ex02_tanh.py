"""Exercise 2: the hyperbolic tangent.

    y = tanh x = (eˣ − e^(−x)) / (eˣ + e^(−x))          elementwise

Write ``Tanh.backward``: return ∂L/∂x = gy · dy/dx.

To derive: d tanh/dx with the quotient rule, then write it with y = tanh x only. (The
numerator of the derivative is (eˣ + e^(−x))² − (eˣ − e^(−x))².) Reusing the output y
instead of recomputing exponentials is what real libraries do.

Useful: ``self.outputs[0]()`` is y. Compute with minigrad operations on Tensors.

Check:  python -m minigrad.exercises check 2
"""

import numpy

import minigrad
from minigrad import Function, get_array_module

SECOND_ORDER = True  # the checker also tries gradgradcheck (a bonus)


class Tanh(Function):
    def forward(self, x):
        return get_array_module(x).tanh(x)

    def backward(self, gy):
        # d tanh/dx = ((eˣ + e⁻ˣ)² − (eˣ − e⁻ˣ)²) / (eˣ + e⁻ˣ)² = 1 − tanh² x
        y = self.outputs[0]()
        return gy * (1 - y * y)


def apply(x):
    """What the checker differentiates."""
    return Tanh()(x)


def check_inputs():
    """float64 inputs (tanh is smooth: no kink to avoid)."""
    rng = numpy.random.default_rng(2)
    x = minigrad.tensor(rng.uniform(-3, 3, size=(4, 3)), dtype="float64", requires_grad=True)
    x.name = "x"
    return (x,)


if __name__ == "__main__":  # `python ex02_tanh.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
