"""Exercise 4: mean and variance, a function with two outputs.

For x of shape (N, D), over the last axis (n = D values per row):

    m = (1/n) Σ_j x_j                     shape (N,)
    v = (1/n) Σ_j (x_j − m)²              shape (N,)     (the population variance)

``MeanVar`` returns both. A function with two outputs receives two gradients,
``backward(self, gm, gv)`` with gm = ∂L/∂m and gv = ∂L/∂v (each shaped (N,)), and returns
the one gradient of its input: the contributions through both outputs, added:

    ∂L/∂x_j = gm · ∂m/∂x_j + gv · ∂v/∂x_j

To derive: ∂m/∂x_j, then ∂v/∂x_j. For the variance, differentiate the square and mind
that m depends on x_j too; the term through m vanishes, because Σ_k (x_k − m) = 0.

gm and gv have shape (N,), x has (N, D): reshape them to (N, 1) (``gm.reshape(-1, 1)``) so
that they broadcast along the row. ``x.mean(axis=-1, keepdims=True)`` is allowed.

Check:  python -m minigrad.exercises check 4
"""

import numpy

import minigrad
from minigrad import Function

SECOND_ORDER = True  # the checker also tries gradgradcheck (a bonus)


class MeanVar(Function):
    def forward(self, x):
        m = x.mean(axis=-1)
        v = ((x - m[:, None]) ** 2).mean(axis=-1)
        return m, v

    def backward(self, gm, gv):
        # gm = ∂L/∂m and gv = ∂L/∂v, both shaped (N,).
        # Return ∂L/∂x, shaped like x (N, D): the contributions through m and v, added.
        raise NotImplementedError("write the backward of MeanVar (see the docstring at the top of this file)")


def apply(x):
    """What the checker differentiates: both outputs (it weighs each with its own random array)."""
    return MeanVar()(x)


def check_inputs():
    """float64 inputs (mean and variance are smooth)."""
    rng = numpy.random.default_rng(4)
    x = minigrad.tensor(rng.normal(size=(3, 5)), dtype="float64", requires_grad=True)
    x.name = "x"
    return (x,)


if __name__ == "__main__":  # `python ex04_mean_var.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
