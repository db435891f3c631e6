"""Matrix products."""

import numpy

from minigrad.autograd import Function
from minigrad import gemm
from minigrad.functions.reduction import sum_to
from minigrad.functions.shape import reshape, swapaxes


class MatMul(Function):
    """Y = A @ B (batched, broadcasting leading axes, 1-d operands as in NumPy)

    ∂L/∂A = ∂L/∂Y @ Bᵀ ,  ∂L/∂B = Aᵀ @ ∂L/∂Y  (each summed over broadcast batch axes).
    A 1-d A is treated as a row (1, n) and a 1-d B as a column (n, 1).
    """

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: operands must be at least 1-d, got shapes {a.shape} and {b.shape}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(
                f"matmul: inner dimensions differ: {a.shape} @ {b.shape} "
                f"({a.shape[-1]} != {b.shape[-2 if b.ndim > 1 else 0]})"
            )
        return gemm.matmul(a, b)  # the array type's own matmul (NumPy, CuPy, the strict stand-in); see minigrad.gemm

    def backward(self, gy):
        a, b = self.inputs
        # Promote 1-d operands to matrices so that one formula covers every case.
        a2 = reshape(a, (1,) + a.shape) if a.ndim == 1 else a
        b2 = reshape(b, b.shape + (1,)) if b.ndim == 1 else b
        batch = numpy.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        gy2 = reshape(gy, batch + (a2.shape[-2], b2.shape[-1]))
        ga = gb = None
        if a.requires_grad:
            ga = reshape(sum_to(matmul(gy2, swapaxes(b2, -1, -2)), a2.shape), a.shape)
        if b.requires_grad:
            gb = reshape(sum_to(matmul(swapaxes(a2, -1, -2), gy2), b2.shape), b.shape)
        return ga, gb


def matmul(a, b):
    return MatMul()(a, b)
