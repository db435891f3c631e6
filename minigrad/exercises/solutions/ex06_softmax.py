"""Exercise 6, the reference solution: ``Softmax.backward``, its derivation in comments.

The rest (the statement, the forward, ``check_inputs``, ``SECOND_ORDER``) is the template's,
minigrad/exercises/ex06_softmax.py, imported here: only the backward is written again.
"""

from minigrad.exercises import ex06_softmax as exercise
from minigrad.exercises.ex06_softmax import SECOND_ORDER, check_inputs


class Softmax(exercise.Softmax):
    def backward(self, gy):
        # ∂L/∂x_j = Σ_i g_i y_i (δ_ij − y_j) = y_j (g_j − Σ_i g_i y_i)
        y = self.outputs[0]()
        return y * (gy - (gy * y).sum(axis=-1, keepdims=True))


def apply(x):  # the template's apply, on the class above
    return Softmax()(x)


if __name__ == "__main__":  # `python ex06_softmax.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
