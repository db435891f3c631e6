"""Exercise 8: cross-entropy of class scores (logits) with integer labels.

For logits x of shape (N, C) and labels t_n ∈ {0, …, C−1}:

    L = −(1/N) Σ_n log softmax(x_n)[t_n]          a scalar (the mean over the batch)

The labels are data, not something to differentiate: they are a constant of the node
(``self.labels``, an integer array), and ``self.one_hot`` (N, C) has a 1 at each label.

Write ``CrossEntropy.backward``: gy is the gradient of the scalar L (shape ()); return
∂L/∂x, shaped (N, C).

To derive: from exercise 7, ∂ log softmax(x)_t / ∂x_j = δ_tj − softmax(x)_j. The whole
gradient is remarkably simple: (softmax(x) − one_hot) / N, times gy. Derive it.

Useful: ``minigrad.softmax(x, axis=-1)``; ``minigrad.Tensor(array)`` wraps an array
(here ``self.one_hot``) as a constant Tensor.

Check:  python -m minigrad.exercises check 8
"""

import numpy

import minigrad
from minigrad import Function, Tensor, get_array_module

SECOND_ORDER = True  # the checker also tries gradgradcheck (a bonus)


class CrossEntropy(Function):
    def __init__(self, labels):
        self.labels = labels  # integer array (N,): a constant of the node

    def forward(self, x):
        xp = get_array_module(x)
        n, classes = x.shape
        self.one_hot = (self.labels[:, None] == xp.arange(classes)[None, :]).astype(x.dtype)
        z = x - x.max(axis=-1, keepdims=True)
        log_p = z - xp.log(xp.exp(z).sum(axis=-1, keepdims=True))
        return -(log_p * self.one_hot).sum() / n

    def backward(self, gy):
        # gy = ∂(loss)/∂L, a scalar Tensor (shape ()).
        # Return ∂(loss)/∂x, shaped like the logits x (N, C).
        raise NotImplementedError("write the backward of CrossEntropy (see the docstring at the top of this file)")


def apply(x, labels):
    """What the checker differentiates (labels: an integer Tensor, passed as a constant)."""
    return CrossEntropy(labels.data)(x)


def check_inputs():
    """float64 logits (N=5, C=4) and integer labels."""
    rng = numpy.random.default_rng(8)
    x = minigrad.tensor(rng.normal(scale=2.0, size=(5, 4)), dtype="float64", requires_grad=True)
    labels = minigrad.tensor(numpy.array([0, 3, 1, 1, 2]))
    x.name, labels.name = "logits", "labels"
    return x, labels


if __name__ == "__main__":  # `python ex08_cross_entropy.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
