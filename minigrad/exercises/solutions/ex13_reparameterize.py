"""Exercise 13, the reference solution: ``Reparameterize.backward``, its derivation in comments.

The rest (the statement, the forward, ``check_inputs``, ``SECOND_ORDER``) is the template's,
minigrad/exercises/ex13_reparameterize.py, imported here: only the backward is written again.
"""

import minigrad
from minigrad import Tensor
from minigrad.exercises import ex13_reparameterize as exercise
from minigrad.exercises.ex13_reparameterize import SECOND_ORDER, check_inputs


class Reparameterize(exercise.Reparameterize):
    def backward(self, gz):
        # ∂z/∂μ = 1 ;  ∂z/∂v = ½·exp(½v)·ε = ½·σ·ε
        mu, logvar = self.inputs
        return gz, gz * minigrad.exp(0.5 * logvar) * Tensor(0.5 * self.eps)


def apply(mu, logvar, eps):  # the template's apply, on the class above
    return Reparameterize(eps.data)(mu, logvar)


if __name__ == "__main__":  # `python ex13_reparameterize.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
