"""Exercise 16, the reference solution: ``GeneratorLoss.backward``, its derivation in comments.

The rest (the statement, the forward, ``check_inputs``, ``SECOND_ORDER``) is the template's,
minigrad/exercises/ex16_aae_generator.py, imported here: only the backward is written again.
"""

import minigrad
from minigrad.exercises import ex16_aae_generator as exercise
from minigrad.exercises.ex16_aae_generator import SECOND_ORDER, check_inputs


class GeneratorLoss(exercise.GeneratorLoss):
    def backward(self, gy):
        # d/dd −log σ(d) = −(1 − σ(d)) = σ(d) − 1 ;  the mean divides by N
        d, = self.inputs
        return gy * (minigrad.sigmoid(d) - 1) / d.size


def apply(d):  # the template's apply, on the class above
    return GeneratorLoss()(d)


if __name__ == "__main__":  # `python ex16_aae_generator.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
