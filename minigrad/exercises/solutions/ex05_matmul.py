"""Exercise 5, the reference solution: ``BatchedMatMul.backward``, its derivation in comments.

The rest (the statement, the forward, ``check_inputs``, ``SECOND_ORDER``) is the template's,
minigrad/exercises/ex05_matmul.py, imported here: only the backward is written again.
"""

import minigrad
from minigrad.exercises import ex05_matmul as exercise
from minigrad.exercises.ex05_matmul import SECOND_ORDER, check_inputs


class BatchedMatMul(exercise.BatchedMatMul):
    def backward(self, gy):
        # ∂L/∂A_ij = Σ_k G_ik B_jk = (G Bᵀ)_ij ;  ∂L/∂B_jk = Σ_i A_ij G_ik = (Aᵀ G)_jk
        # then summed over the broadcast batch axes, down to each input's shape.
        a, b = self.inputs
        ga = minigrad.sum_to(gy @ minigrad.swapaxes(b, -1, -2), a.shape)
        gb = minigrad.sum_to(minigrad.swapaxes(a, -1, -2) @ gy, b.shape)
        return ga, gb


def apply(a, b):  # the template's apply, on the class above
    return BatchedMatMul()(a, b)


if __name__ == "__main__":  # `python ex05_matmul.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
