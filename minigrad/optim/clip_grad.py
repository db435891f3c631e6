"""Gradient clipping: by the global norm of all gradients, or elementwise by value.

Both replace ``p.grad`` by a new, clipped gradient instead of writing into the old
array: minigrad's backward may give several tensors the very same gradient array
(``a + b`` hands both the same one) or a read-only broadcast view, so writing in
place could clip a shared gradient twice or fail.
"""

import math

from minigrad.backend import get_array_module
from minigrad.tensor import Tensor


def _with_grads(parameters):
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in params if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients by ``max_norm / total_norm`` when the total norm exceeds ``max_norm``.

    The total norm is the ``norm_type``-norm (2, 1, ``inf``, any p > 0) of all
    gradients taken together as one vector. Returns the total norm *before*
    clipping, as a Python float: reading it synchronises with the GPU once per call.
    Parameters without a gradient are ignored (0.0 is returned when none has one).
    """
    params = _with_grads(parameters)
    grads = [p.grad.data for p in params if p.grad.data.size]
    if not grads:
        return 0.0
    norm_type = float(norm_type)
    xp = get_array_module(*grads, op="clip_grad_norm_")
    norms = xp.stack([xp.linalg.norm(g.ravel(), ord=norm_type) for g in grads])
    total_norm = float(xp.linalg.norm(norms, ord=norm_type))  # the one host sync
    if error_if_nonfinite and not math.isfinite(total_norm):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total_norm}; "
                           "pass error_if_nonfinite=False to clip anyway")
    scale = float(max_norm) / (total_norm + 1e-6)
    if scale < 1.0:
        for p in params:
            p.grad = Tensor._wrap(p.grad.data * scale)  # Python float: float32 stays float32
    return total_norm


def clip_grad_value_(parameters, clip_value):
    """Clip every gradient element to ``[-clip_value, clip_value]``."""
    clip_value = float(clip_value)
    for p in _with_grads(parameters):
        g = p.grad.data
        p.grad = Tensor._wrap(get_array_module(g).clip(g, -clip_value, clip_value))
