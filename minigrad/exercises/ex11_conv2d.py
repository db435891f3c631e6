"""Exercise 11: 2-d convolution (stride 1, zero padding 1), with the im2col helpers.

x: (N, C, H, W), weight W: (O, C, 3, 3), bias b: (O,). As in PyTorch, "convolution" is a
cross-correlation:

    y[n, o, p, q] = b[o] + Σ_{c, i, j} W[o, c, i, j] · xpad[n, c, p + i, q + j]

where xpad is x with one row/column of zeros around it; y is (N, O, H, W).

The forward reads every 3×3 window at once with ``im2col``:

    cols[n, c, i, j, p, q] = xpad[n, c, p + i, q + j]          cols: (N, C, 3, 3, H, W)
    y[n, o, p, q] = b[o] + Σ_{c, i, j} W[o, c, i, j] · cols[n, c, i, j, p, q]

so the convolution is a single tensor contraction (``xp.tensordot``), and it keeps ``self.cols``.

Write ``Conv2d.backward``: return (∂L/∂x, ∂L/∂W, ∂L/∂b) given G = ∂L/∂y (N, O, H, W).

To derive (each is a sum over the indices that are not in the result):

* ∂L/∂b[o] = Σ_{n,p,q} G[n, o, p, q]
* ∂L/∂W[o, c, i, j] = Σ_{n,p,q} G[n, o, p, q] · cols[n, c, i, j, p, q]
* ∂L/∂cols[n, c, i, j, p, q] = Σ_o W[o, c, i, j] · G[n, o, p, q], and since cols only
  *copies* pixels of x (each pixel appears in up to 9 windows), ∂L/∂x adds those copies
  back onto the pixel they came from. That is ``col2im``, the adjoint of ``im2col``:
  ``col2im(gcols, x.shape, STRIDE, PADDING, DILATION)`` with gcols shaped like cols.

This exercise works on arrays: take ``g = gy.data``, ``w = self.inputs[1].data``, compute
with ``xp.tensordot`` / ``.sum`` / ``.transpose``, and return ``minigrad.Tensor(array)`` for each
gradient. (Such a backward is right to first order but cannot be differentiated again;
the library's own conv2d writes its backward with convolutions instead.)

Useful: ``xp.tensordot(a, b, axes=([...], [...]))`` sums over the listed axis pairs; its
result has a's remaining axes, then b's.

Check:  python -m minigrad.exercises check 11
"""

import numpy

import minigrad
from minigrad import Function, Tensor, get_array_module
from minigrad.functions.conv import col2im, im2col

SECOND_ORDER = False  # written on arrays: first order only
STRIDE, PADDING, DILATION = (1, 1), (1, 1), (1, 1)


class Conv2d(Function):
    def forward(self, x, w, b):
        xp = get_array_module(x)
        kernel = w.shape[2:]
        out_size = x.shape[2:]  # 3×3 kernel, padding 1, stride 1: same size
        self.cols = im2col(x, kernel, STRIDE, PADDING, DILATION, out_size)  # (N, C, 3, 3, H, W)
        y = xp.tensordot(w, self.cols, axes=([1, 2, 3], [1, 2, 3]))        # (O, N, H, W)
        return y.transpose(1, 0, 2, 3) + b.reshape(1, -1, 1, 1)

    def backward(self, gy):
        # gy = ∂L/∂y, shaped (N, O, H, W). Work on arrays (gy.data, self.cols ...).
        # Return (∂L/∂x, ∂L/∂W, ∂L/∂b) as minigrad.Tensor(array), each shaped like its input.
        # xp = get_array_module(gy.data) is the array module (NumPy, or CuPy on a GPU).
        raise NotImplementedError("write the backward of Conv2d (see the docstring at the top of this file)")


def apply(x, w, b):
    """What the checker differentiates."""
    return Conv2d()(x, w, b)


def check_inputs():
    """float64 image batch (2, 2, 5, 5), weight (3, 2, 3, 3), bias (3,) (convolution is linear: no kink)."""
    rng = numpy.random.default_rng(11)
    x = minigrad.tensor(rng.normal(size=(2, 2, 5, 5)), dtype="float64", requires_grad=True)
    w = minigrad.tensor(rng.normal(size=(3, 2, 3, 3)), dtype="float64", requires_grad=True)
    b = minigrad.tensor(rng.normal(size=(3,)), dtype="float64", requires_grad=True)
    x.name, w.name, b.name = "x", "weight", "bias"
    return x, w, b


if __name__ == "__main__":  # `python ex11_conv2d.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
