"""The matrix products of arrays that the ops call: ``gemm.matmul(a, b)`` and
``gemm.matmul_into(a, b, out)``.

They are the array type's own matmul (``a @ b``, ``xp.matmul(a, b, out=out)``), except while a
step is being captured as a CUDA graph on CuPy (:mod:`minigrad.cuda_graph`): CuPy refuses to
call cuBLAS while a stream captures, so for the capture :mod:`minigrad.cuda_graph` points both
names at :func:`minigrad.cublas.matmul`, which calls cuBLAS itself and is recorded. Ops look the
names up at each call (``gemm.matmul``, not a copy of it) for that reason; outside a capture a
product costs one builtin call more than ``a @ b``.
"""

import operator

from minigrad.backend import get_array_module

matmul = operator.matmul


def matmul_into(a, b, out):
    """``a @ b`` written into ``out``."""
    return get_array_module(a).matmul(a, b, out=out)
