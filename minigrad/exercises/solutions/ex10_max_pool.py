"""Exercise 10, the reference solution: ``MaxPool2x2.backward``, its derivation in comments.

The rest (the statement, the forward, ``check_inputs``, ``SECOND_ORDER``) is the template's,
minigrad/exercises/ex10_max_pool.py, imported here: only the backward is written again.
"""

from minigrad import Tensor
from minigrad.exercises import ex10_max_pool as exercise
from minigrad.exercises.ex10_max_pool import SECOND_ORDER, check_inputs


class MaxPool2x2(exercise.MaxPool2x2):
    def backward(self, gy):
        # ∂y[p,q]/∂x[2p+i, 2q+j] = 1 for the window's arg-max, 0 for the others
        x, = self.inputs
        n, c, h, w = x.shape
        spread = gy.reshape(n, c, h // 2, 1, w // 2, 1) * Tensor(self.mask)
        return spread.reshape(x.shape)


def apply(x):  # the template's apply, on the class above
    return MaxPool2x2()(x)


if __name__ == "__main__":  # `python ex10_max_pool.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
