"""Exercise 9: binary cross-entropy on logits.

For logits x and targets t ∈ [0, 1] of the same shape (n elements in all):

    ℓ = −[t log σ(x) + (1 − t) log(1 − σ(x))]        per element,   L = mean of ℓ

The forward uses the equal, stable form ℓ = max(x, 0) − x·t + log(1 + e^(−|x|)): taking
σ first and then its log would give log 0 = −∞ for large |x|. That is why libraries
fuse the two ("with logits").

The targets are data: a constant of the node (``self.targets``), with no gradient.

Write ``BCEWithLogits.backward``: gy is the gradient of the scalar L; return ∂L/∂x.

To derive: log σ(x) = −softplus(−x) and log(1 − σ(x)) = −softplus(x), so
ℓ = t·softplus(−x) + (1 − t)·softplus(x); use exercise 3 (softplus' = σ) and
σ(−x) = 1 − σ(x). The result is short. Don't forget the 1/n of the mean.

Useful: ``minigrad.sigmoid``; ``minigrad.Tensor(array)`` for a constant; ``x.size``.

Check:  python -m minigrad.exercises check 9
"""

import numpy

import minigrad
from minigrad import Function, Tensor, get_array_module

SECOND_ORDER = True  # the checker also tries gradgradcheck (a bonus)


class BCEWithLogits(Function):
    def __init__(self, targets):
        self.targets = targets  # array shaped like x: a constant of the node

    def forward(self, x):
        xp = get_array_module(x)
        loss = xp.maximum(x, 0) - x * self.targets + xp.log1p(xp.exp(-xp.abs(x)))
        return loss.mean()

    def backward(self, gy):
        # dℓ/dx = −t σ(−x) + (1 − t) σ(x) = −t (1 − σ(x)) + (1 − t) σ(x) = σ(x) − t
        x, = self.inputs
        return gy * (minigrad.sigmoid(x) - Tensor(self.targets)) / x.size


def apply(x, targets):
    """What the checker differentiates (targets: a Tensor passed as a constant)."""
    return BCEWithLogits(targets.data)(x)


def check_inputs():
    """float64 logits and soft targets in (0, 1)."""
    rng = numpy.random.default_rng(9)
    x = minigrad.tensor(rng.normal(scale=3.0, size=(4, 3)), dtype="float64", requires_grad=True)
    targets = minigrad.tensor(rng.uniform(0.0, 1.0, size=(4, 3)), dtype="float64")
    x.name, targets.name = "logits", "targets"
    return x, targets


if __name__ == "__main__":  # `python ex09_bce_with_logits.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
