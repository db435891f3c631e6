"""The matrix product of arrays that every op calls: ``a @ b`` (``out=`` to write in place).

Inside a step being captured as a CUDA graph (:mod:`minigrad.cuda_graph`) CuPy's own
matmul refuses to run (CuPy does not let cuBLAS be called while a stream captures), so
there the product goes to cuBLAS directly (:mod:`minigrad.cublas`), which a graph records.
Everywhere else this is the array type's own matmul.
"""

from minigrad import cuda_graph as _cuda_graph
from minigrad.backend import get_array_module


def gemm(a, b, out=None):
    """``a @ b`` for arrays (``numpy.matmul``'s rules), into ``out`` when it is given."""
    session = _cuda_graph.active_session()
    if session is not None and session.on_device:
        from minigrad import cublas

        return cublas.matmul(a, b, out)
    if out is None:
        return a @ b
    return get_array_module(a).matmul(a, b, out=out)
