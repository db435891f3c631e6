"""Exercise 1, the reference solution: ``Sigmoid.backward``, its derivation in comments.

The rest (the statement, the forward, ``check_inputs``, ``SECOND_ORDER``) is the template's,
minigrad/exercises/ex01_sigmoid.py, imported here: only the backward is written again.
"""

from minigrad.exercises import ex01_sigmoid as exercise
from minigrad.exercises.ex01_sigmoid import SECOND_ORDER, check_inputs


class Sigmoid(exercise.Sigmoid):
    def backward(self, gy):
        # dσ/dx = e^(−x) / (1 + e^(−x))² = σ(x)·(1 − σ(x))
        y = self.outputs[0]()
        return gy * y * (1 - y)


def apply(x):  # the template's apply, on the class above
    return Sigmoid()(x)


if __name__ == "__main__":  # `python ex01_sigmoid.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
