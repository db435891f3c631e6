"""Exercise 14, the reference solution: ``GaussianKL.backward``, its derivation in comments.

The rest (the statement, the forward, ``check_inputs``, ``SECOND_ORDER``) is the template's,
minigrad/exercises/ex14_gaussian_kl.py, imported here: only the backward is written again.
"""

import minigrad
from minigrad.exercises import ex14_gaussian_kl as exercise
from minigrad.exercises.ex14_gaussian_kl import SECOND_ORDER, check_inputs


class GaussianKL(exercise.GaussianKL):
    def backward(self, gy):
        # ∂KL/∂μ_j = μ_j ;  ∂KL/∂v_j = ½(e^(v_j) − 1) ;  the mean divides by N
        mu, logvar = self.inputs
        n = mu.shape[0]
        return gy * mu / n, gy * 0.5 * (minigrad.exp(logvar) - 1) / n


def apply(mu, logvar):  # the template's apply, on the class above
    return GaussianKL()(mu, logvar)


if __name__ == "__main__":  # `python ex14_gaussian_kl.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
