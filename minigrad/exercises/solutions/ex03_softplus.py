"""Exercise 3, the reference solution: ``Softplus.backward``, its derivation in comments.

The rest (the statement, the forward, ``check_inputs``, ``SECOND_ORDER``) is the template's,
minigrad/exercises/ex03_softplus.py, imported here: only the backward is written again.
"""

import minigrad
from minigrad.exercises import ex03_softplus as exercise
from minigrad.exercises.ex03_softplus import SECOND_ORDER, check_inputs


class Softplus(exercise.Softplus):
    def backward(self, gy):
        # d/dx ln(1 + eˣ) = eˣ / (1 + eˣ) = 1 / (1 + e⁻ˣ) = σ(x)
        x, = self.inputs
        return gy * minigrad.sigmoid(x)


def apply(x):  # the template's apply, on the class above
    return Softplus()(x)


if __name__ == "__main__":  # `python ex03_softplus.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
