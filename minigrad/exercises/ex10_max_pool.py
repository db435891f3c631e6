"""Exercise 10: 2×2 max pooling.

For x of shape (N, C, H, W) with H and W even, each output pixel is the maximum of one
2×2 window; the windows do not overlap:

    y[n, c, p, q] = max_{i, j ∈ {0, 1}} x[n, c, 2p + i, 2q + j]          y: (N, C, H/2, W/2)

The forward views x as (N, C, H/2, 2, W/2, 2) (axes 3 and 5 run inside a window) and
keeps ``self.mask``, an array of that shape with 1.0 where the maximum of each window is
and 0.0 elsewhere.

Write ``MaxPool2x2.backward``: return ∂L/∂x, shaped like x.

To derive: the max of a window depends only on its largest element, with slope 1. So the
gradient of each output pixel goes entirely to the one input that won its window, and the
three others get 0. (Where two elements tie, the max has a kink and no derivative: the
checker's inputs have no ties.)

Useful: ``gy.reshape(N, C, H // 2, 1, W // 2, 1)`` broadcasts against the mask (wrap it:
``minigrad.Tensor(self.mask)``); ``t.reshape(x.shape)`` brings the result back to x's shape.

Check:  python -m minigrad.exercises check 10
"""

import numpy

import minigrad
from minigrad import Function, Tensor

SECOND_ORDER = True  # the checker also tries gradgradcheck (a bonus)


class MaxPool2x2(Function):
    def forward(self, x):
        n, c, h, w = x.shape
        windows = x.reshape(n, c, h // 2, 2, w // 2, 2)
        y = windows.max(axis=(3, 5))
        self.mask = (windows == y[:, :, :, None, :, None]).astype(x.dtype)
        return y

    def backward(self, gy):
        # gy = ∂L/∂y, shaped (N, C, H/2, W/2).
        # Return ∂L/∂x, shaped like x (N, C, H, W).
        raise NotImplementedError("write the backward of MaxPool2x2 (see the docstring at the top of this file)")


def apply(x):
    """What the checker differentiates."""
    return MaxPool2x2()(x)


def check_inputs():
    """float64 inputs without ties: distinct values at least 0.1 apart (ties are kinks of the max)."""
    rng = numpy.random.default_rng(10)
    values = rng.permutation(2 * 2 * 4 * 4) * 0.1 - 3.0
    values = values + rng.uniform(0, 0.02, size=values.shape)
    x = minigrad.tensor(values.reshape(2, 2, 4, 4), dtype="float64", requires_grad=True)
    x.name = "x"
    return (x,)


if __name__ == "__main__":  # `python ex10_max_pool.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
