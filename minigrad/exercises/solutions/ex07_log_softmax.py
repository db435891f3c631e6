"""Exercise 7, the reference solution: ``LogSoftmax.backward``, its derivation in comments.

The rest (the statement, the forward, ``check_inputs``, ``SECOND_ORDER``) is the template's,
minigrad/exercises/ex07_log_softmax.py, imported here: only the backward is written again.
"""

import minigrad
from minigrad.exercises import ex07_log_softmax as exercise
from minigrad.exercises.ex07_log_softmax import SECOND_ORDER, check_inputs


class LogSoftmax(exercise.LogSoftmax):
    def backward(self, gy):
        # ∂L/∂x_j = Σ_i g_i (δ_ij − softmax_j) = g_j − e^(y_j) Σ_i g_i
        y = self.outputs[0]()
        return gy - minigrad.exp(y) * gy.sum(axis=-1, keepdims=True)


def apply(x):  # the template's apply, on the class above
    return LogSoftmax()(x)


if __name__ == "__main__":  # `python ex07_log_softmax.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
