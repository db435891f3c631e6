"""Exercise 15, the reference solution: ``ContractivePenalty.backward``, its derivation in comments.

The rest (the statement, the forward, ``check_inputs``, ``SECOND_ORDER``) is the template's,
minigrad/exercises/ex15_contractive.py, imported here: only the backward is written again.
"""

import minigrad
from minigrad.exercises import ex15_contractive as exercise
from minigrad.exercises.ex15_contractive import SECOND_ORDER, check_inputs


class ContractivePenalty(exercise.ContractivePenalty):
    def backward(self, gy):
        # δ = ∂P/∂a = (2/N)·s²·(1 − 2h)·w ;  ∂P/∂x = δW ;  ∂P/∂b = Σ_n δ ;
        # ∂P/∂W = δᵀx + (2/N)·W·Σ_n s²  (the second term: W in the weights' norms w_i)
        x, w, b = self.inputs
        n = x.shape[0]
        h = minigrad.sigmoid(x @ w.T + b)
        s = h * (1 - h)
        delta = gy * (2.0 / n) * s * s * (1 - 2 * h) * (w * w).sum(axis=1)
        gx = delta @ w
        gw = delta.T @ x + gy * (2.0 / n) * w * (s * s).sum(axis=0).reshape(-1, 1)
        gb = delta.sum(axis=0)
        return gx, gw, gb


def apply(x, w, b):  # the template's apply, on the class above
    return ContractivePenalty()(x, w, b)


if __name__ == "__main__":  # `python ex15_contractive.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
