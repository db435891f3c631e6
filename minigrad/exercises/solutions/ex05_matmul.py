"""Exercise 5: the matrix product, batched and broadcasting.

    Y = A @ B        A: (..., m, k),  B: (..., k, n)  ->  Y: (..., m, n)

As in NumPy, the leading "batch" axes broadcast: here A is (2, 1, 3, 4) and B is (5, 4, 2),
so Y is (2, 5, 3, 2) and every matrix of A is multiplied by each of the 5 matrices of B.

Write ``BatchedMatMul.backward``: return (∂L/∂A, ∂L/∂B), shaped like A and B.

To derive: for one pair of matrices, Y_ik = Σ_j A_ij B_jk. Compute ∂L/∂A_ij =
Σ_k G_ik ∂Y_ik/∂A_ij (G = ∂L/∂Y) and write the result as a matrix product; same for B.
Then broadcasting: a matrix of A that was used in 5 products receives the sum of the 5
gradients. In general the gradient of a broadcast input is summed over the axes it was
broadcast along, back down to its own shape.

Useful (all minigrad ops on Tensors): ``a @ b``; ``minigrad.swapaxes(t, -1, -2)``
(transpose the last two axes); ``minigrad.sum_to(t, shape)`` (sum a broadcast gradient
back down to ``shape``).

Check:  python -m minigrad.exercises check 5
"""

import numpy

import minigrad
from minigrad import Function, get_array_module

SECOND_ORDER = True  # the checker also tries gradgradcheck (a bonus)


class BatchedMatMul(Function):
    def forward(self, a, b):
        return get_array_module(a).matmul(a, b)

    def backward(self, gy):
        # ∂L/∂A_ij = Σ_k G_ik B_jk = (G Bᵀ)_ij ;  ∂L/∂B_jk = Σ_i A_ij G_ik = (Aᵀ G)_jk
        # then summed over the broadcast batch axes, down to each input's shape.
        a, b = self.inputs
        ga = minigrad.sum_to(gy @ minigrad.swapaxes(b, -1, -2), a.shape)
        gb = minigrad.sum_to(minigrad.swapaxes(a, -1, -2) @ gy, b.shape)
        return ga, gb


def apply(a, b):
    """What the checker differentiates."""
    return BatchedMatMul()(a, b)


def check_inputs():
    """float64 inputs whose batch axes broadcast: (2, 1, 3, 4) @ (5, 4, 2)."""
    rng = numpy.random.default_rng(5)
    a = minigrad.tensor(rng.normal(size=(2, 1, 3, 4)), dtype="float64", requires_grad=True)
    b = minigrad.tensor(rng.normal(size=(5, 4, 2)), dtype="float64", requires_grad=True)
    a.name, b.name = "A", "B"
    return a, b


if __name__ == "__main__":  # `python ex05_matmul.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
