"""Exercise 11, the reference solution: ``Conv2d.backward``, its derivation in comments.

The rest (the statement, the forward, ``check_inputs``, ``SECOND_ORDER``) is the template's,
minigrad/exercises/ex11_conv2d.py, imported here: only the backward is written again.
"""

from minigrad import Tensor, get_array_module
from minigrad.exercises import ex11_conv2d as exercise
from minigrad.exercises.ex11_conv2d import DILATION, PADDING, SECOND_ORDER, STRIDE, check_inputs
from minigrad.functions.conv import col2im


class Conv2d(exercise.Conv2d):
    def backward(self, gy):
        # ∂L/∂b = Σ_{n,p,q} G ;  ∂L/∂W = Σ_{n,p,q} G·cols ;  ∂L/∂cols = Σ_o W·G, and ∂L/∂x
        # adds each copied pixel of ∂L/∂cols back onto its place: col2im, the adjoint of im2col.
        xp = get_array_module(gy.data)
        x, w, b = self.inputs
        g = gy.data                                                           # (N, O, H, W)
        gb = g.sum(axis=(0, 2, 3))                                            # (O,)
        gw = xp.tensordot(g, self.cols, axes=([0, 2, 3], [0, 4, 5]))          # (O, C, 3, 3)
        gcols = xp.tensordot(w.data, g, axes=([0], [1]))                      # (C, 3, 3, N, H, W)
        gx = col2im(gcols.transpose(3, 0, 1, 2, 4, 5), x.shape, STRIDE, PADDING, DILATION)
        return Tensor(gx), Tensor(gw), Tensor(gb)


def apply(x, w, b):  # the template's apply, on the class above
    return Conv2d()(x, w, b)


if __name__ == "__main__":  # `python ex11_conv2d.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
