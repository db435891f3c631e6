"""cuBLAS called directly, for the matrix products of a step being captured as a CUDA graph.

CuPy refuses to call cuBLAS while a stream captures (its wrappers raise "calling cuBLAS API
during stream capture is currently unsupported"), although cuBLAS itself supports capture
when each handle has its own workspace. So :func:`minigrad.cuda_graph.graphed` makes, before
each capture, a cuBLAS handle of its own for the capture stream with a workspace set
(:func:`prepare`), and :func:`matmul` calls ``cublas{S,D}gemm[StridedBatched]`` through
ctypes on that handle. It is called only during a capture, where
:func:`minigrad.cuda_graph.products_through_cublas` points the ops' products (:mod:`minigrad.gemm`) at it.

Row-major products through column-major cuBLAS: C = A·B (m×n, row-major) is, read
column-major, Cᵀ = Bᵀ·Aᵀ (n×m); a row-major operand read column-major is its transpose, so
it goes in untransposed ("N"), and a column-major one (a transposed view, ``W.T``) with "T".
"""

import ctypes
import ctypes.util
import math

import numpy

from minigrad import backend as _backend
from minigrad.cuda_graph import CaptureError

WORKSPACE_BYTES = 32 << 20   # NVIDIA's advice for Hopper; a handle's workspace must be set for capture
_OP_N, _OP_T = 0, 1
_library = None
_handles = {}                 # stream pointer -> (handle, workspace array kept alive)
_unprepared = {}              # stream pointer -> why prepare() failed there


def _load():
    """libcublas: the one CuPy loaded (found in this process's memory map), else the system's."""
    global _library
    if _library is None:
        path = None
        try:
            with open("/proc/self/maps") as maps:
                path = next((line.split()[-1] for line in maps if "libcublas.so" in line), None)
        except OSError:
            pass
        path = path or ctypes.util.find_library("cublas")
        if path is None:
            raise CaptureError("graphed step: cannot find libcublas to record matrix products in a CUDA graph")
        library = ctypes.CDLL(path)
        handle, i32, size = ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t
        library.cublasCreate_v2.argtypes = [ctypes.POINTER(handle)]
        library.cublasSetStream_v2.argtypes = [handle, ctypes.c_void_p]
        library.cublasSetWorkspace_v2.argtypes = [handle, ctypes.c_void_p, size]
        for name, scalar in (("S", ctypes.c_float), ("D", ctypes.c_double)):
            pointer = ctypes.POINTER(scalar)
            getattr(library, f"cublas{name}gemm_v2").argtypes = [
                handle, i32, i32, i32, i32, i32, pointer, ctypes.c_void_p, i32, ctypes.c_void_p, i32, pointer,
                ctypes.c_void_p, i32]
            getattr(library, f"cublas{name}gemmStridedBatched").argtypes = [
                handle, i32, i32, i32, i32, i32, pointer, ctypes.c_void_p, i32, ctypes.c_longlong,
                ctypes.c_void_p, i32, ctypes.c_longlong, pointer, ctypes.c_void_p, i32, ctypes.c_longlong, i32]
        _library = library
    return _library


def _check(status, call):
    if status != 0:
        raise CaptureError(f"graphed step: cuBLAS {call} failed with status {status}")


def prepare(stream):
    """A cuBLAS handle bound to ``stream`` with its own workspace (made before the capture: neither
    may be created while the stream captures). Kept for the process, as the graphs that use it."""
    if stream.ptr in _handles:
        return
    try:
        _prepare(stream)
    except (CaptureError, OSError, AttributeError) as exc:  # raised at the first product, if the step has one
        _unprepared[stream.ptr] = str(exc)


def _prepare(stream):
    library = _load()
    cupy = _backend.module_for("cupy")
    handle = ctypes.c_void_p()
    _check(library.cublasCreate_v2(ctypes.byref(handle)), "cublasCreate")
    _check(library.cublasSetStream_v2(handle, ctypes.c_void_p(stream.ptr)), "cublasSetStream")
    workspace = cupy.empty(WORKSPACE_BYTES, dtype=cupy.uint8)  # after SetStream, which resets it
    _check(library.cublasSetWorkspace_v2(handle, ctypes.c_void_p(workspace.data.ptr), WORKSPACE_BYTES),
           "cublasSetWorkspace")
    _handles[stream.ptr] = (handle, workspace)


def _layout(matrix_strides, rows, cols, itemsize):
    """("N" or "T" for the column-major call, leading dimension) of a row- or column-major matrix, else None."""
    s0, s1 = (s // itemsize for s in matrix_strides)
    if s1 == 1 and s0 >= max(1, cols):
        return _OP_N, s0
    if s0 == 1 and s1 >= max(1, rows):
        return _OP_T, s1
    return None


def matmul(a, b, out=None):
    """``a @ b`` (numpy.matmul's rules) for float32/float64 CuPy arrays, recorded by the capture."""
    cupy = _backend.module_for("cupy")
    dtype = numpy.result_type(a.dtype, b.dtype)  # promoted as matmul does: float32 @ float64 is float64
    if dtype.kind != "f" or dtype.itemsize not in (4, 8):
        raise CaptureError(f"graphed step: matmul of {a.dtype} and {b.dtype} arrays {a.shape} @ {b.shape}: a "
                           "captured step multiplies float32 or float64 matrices")
    a, b = (x if x.dtype == dtype else x.astype(dtype) for x in (a, b))
    if a.ndim == 1 or b.ndim == 1:  # numpy.matmul's 1-d rules: a row, or a column, dropped after
        result = matmul(a[None] if a.ndim == 1 else a, b[:, None] if b.ndim == 1 else b)
        result = result[..., 0, :] if a.ndim == 1 else result
        result = result[..., 0] if b.ndim == 1 else result
        return _into(out, result)
    (m, k), (k2, n) = a.shape[-2:], b.shape[-2:]
    if k != k2:
        raise ValueError(f"matmul: inner dimensions differ: {a.shape} @ {b.shape} ({k} != {k2})")
    if b.ndim == 2 and a.ndim > 2 and a.flags.c_contiguous:  # the leading axes of a are just more rows
        return _into(out, matmul(a.reshape(-1, k), b).reshape(a.shape[:-1] + (n,)))
    batch = numpy.broadcast_shapes(a.shape[:-2], b.shape[:-2])  # shapes: host tuples
    count = math.prod(batch)
    result = out if _writable_rows(out, batch, m, n) else cupy.empty(batch + (m, n), dtype)
    if m == 0 or n == 0 or k == 0:
        if k == 0:
            result.fill(0)  # an empty sum
        return _into(out, result)
    _gemm(_operand(a, batch, count), _operand(b, batch, count), result.reshape(count, m, n), count, m, n, k)
    return _into(out, result)


def _writable_rows(out, batch, m, n):
    """``out`` can take the product in place: its shape, rows of unit stride, and (batched) C order."""
    if out is None or tuple(out.shape) != batch + (m, n):
        return False
    if batch:
        return out.flags.c_contiguous
    return _layout(out.strides, m, n, out.itemsize) == (_OP_N, out.strides[0] // out.itemsize)


def _operand(x, batch, count):
    """x broadcast to ``batch`` as a (count, rows, cols) array cuBLAS can read: a view with one batch
    stride where the strides allow it, else a contiguous copy."""
    cupy = _backend.module_for("cupy")
    matrix = x.shape[-2:]
    full = cupy.broadcast_to(x, batch + matrix)
    axes = [(size, stride) for size, stride in zip(full.shape[:-2], full.strides[:-2]) if size != 1]
    if all(stride == 0 for _, stride in axes):  # one matrix for the whole batch
        batch_stride = 0
    else:  # the batch axes must nest like a C-order block of one stride
        batch_stride = expected = axes[-1][1]
        for size, stride in reversed(axes):
            if stride != expected:
                batch_stride = None
                break
            expected *= size
    if batch_stride is not None and _layout(full.strides[-2:], *matrix, x.itemsize):
        return cupy.lib.stride_tricks.as_strided(full, (count,) + matrix, (batch_stride,) + full.strides[-2:])
    return cupy.ascontiguousarray(full).reshape((count,) + matrix)


def _gemm(a3, b3, c3, count, m, n, k):
    """C = A·B for each of ``count`` (m×k)·(k×n) matrices of the batch views a3, b3, c3."""
    itemsize = a3.itemsize
    op_b, ld_b = _layout(b3.strides[1:], k, n, itemsize)   # cuBLAS's first operand: Bᵀ (n×k)
    op_a, ld_a = _layout(a3.strides[1:], m, k, itemsize)   # its second: Aᵀ (k×m)
    ld_c = c3.strides[1] // itemsize
    _call((op_b, op_a, n, m, k), (b3, ld_b), (a3, ld_a), (c3, ld_c), count)


def _call(ops_and_sizes, first, second, result, count):
    """cublas?gemm(handle, opA, opB, m, n, k, 1, A, lda, B, ldb, 0, C, ldc) on the capturing stream, or
    its StridedBatched form for count > 1 (operands: (batch view, leading dimension))."""
    library = _load()
    cupy = _backend.module_for("cupy")
    stream = cupy.cuda.get_current_stream().ptr
    if stream not in _handles:
        raise CaptureError("graphed step: cannot record a matrix product: no cuBLAS handle for the capturing "
                           f"stream ({_unprepared.get(stream, 'prepare() was not called')})")
    handle = _handles[stream][0]
    itemsize = result[0].itemsize
    name, scalar = ("S", ctypes.c_float) if itemsize == 4 else ("D", ctypes.c_double)
    one, zero = ctypes.byref(scalar(1.0)), ctypes.byref(scalar(0.0))
    (x, ld_x), (y, ld_y), (z, ld_z) = first, second, result
    pointers = [ctypes.c_void_p(v.data.ptr) for v in (x, y, z)]
    if count == 1:
        status = getattr(library, f"cublas{name}gemm_v2")(
            handle, *ops_and_sizes, one, pointers[0], ld_x, pointers[1], ld_y, zero, pointers[2], ld_z)
        return _check(status, f"{name}gemm")
    sx, sy, sz = (v.strides[0] // itemsize for v in (x, y, z))
    status = getattr(library, f"cublas{name}gemmStridedBatched")(
        handle, *ops_and_sizes, one, pointers[0], ld_x, sx, pointers[1], ld_y, sy, zero, pointers[2], ld_z, sz,
        count)
    _check(status, f"{name}gemmStridedBatched")


def _into(out, result):
    if out is None or out is result:
        return result
    out[...] = result
    return out
