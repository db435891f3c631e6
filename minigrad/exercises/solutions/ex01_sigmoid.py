"""Exercise 1: the sigmoid.

    y = σ(x) = 1 / (1 + e^(−x))          elementwise, x of any shape

Write ``Sigmoid.backward``. It receives gy = ∂L/∂y (a Tensor shaped like y) and returns
∂L/∂x = gy · dy/dx (a Tensor shaped like x): elementwise ops need nothing more than the
chain rule, one element at a time.

To derive: dσ/dx, expressed through σ itself. Write σ = (1 + e^(−x))^(−1), differentiate,
and notice that e^(−x) / (1 + e^(−x)) = 1 − σ(x).

Useful: ``self.outputs[0]()`` is the output y (outputs are kept through weak references,
hence the call); ``self.inputs`` is the tuple of input Tensors. Compute with minigrad
operations on Tensors (``gy * y``, ``1 - y``), not on ``.data`` arrays: then your backward
can itself be differentiated (the checker tries second derivatives as a bonus).

Check:  python -m minigrad.exercises check 1
"""

import numpy

import minigrad
from minigrad import Function, get_array_module

SECOND_ORDER = True  # the checker also tries gradgradcheck (a bonus)


class Sigmoid(Function):
    def forward(self, x):
        xp = get_array_module(x)
        return 1 / (1 + xp.exp(-x))

    def backward(self, gy):
        # dσ/dx = e^(−x) / (1 + e^(−x))² = σ(x)·(1 − σ(x))
        y = self.outputs[0]()
        return gy * y * (1 - y)


def apply(x):
    """What the checker differentiates."""
    return Sigmoid()(x)


def check_inputs():
    """float64 inputs (the sigmoid is smooth: no kink to avoid)."""
    rng = numpy.random.default_rng(1)
    x = minigrad.tensor(rng.uniform(-4, 4, size=(3, 5)), dtype="float64", requires_grad=True)
    x.name = "x"
    return (x,)


if __name__ == "__main__":  # `python ex01_sigmoid.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
