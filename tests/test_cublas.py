"""minigrad.cublas: row-major products through column-major cuBLAS calls, checked without a GPU.

The module is run on NumPy arrays with the one ctypes call (``_call``) replaced by a NumPy
emulation of cublas?gemm[StridedBatched]: each operand is read column-major from its first
element with the leading dimension given, transposed for "T", exactly as cuBLAS reads memory.
So the ops, leading dimensions and batch strides the module computes are checked against
numpy.matmul for every layout an op hands it (C order, transposed views, row slices,
broadcast batches, 1-d operands, ``out=``). On a GPU, tests/test_cuda_graph.py runs the real calls.
"""

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

from minigrad import cublas


def _column_major(view, rows, cols, ld, op):
    """The (rows × cols) matrix op(X) cuBLAS reads from ``view``'s first element with leading dimension ld."""
    stored = (rows, cols) if op == cublas._OP_N else (cols, rows)
    matrix = as_strided(view, stored, (view.itemsize, ld * view.itemsize))
    return matrix if op == cublas._OP_N else matrix.T


def emulated_call(ops_and_sizes, first, second, result, count):
    op_x, op_y, m, n, k = ops_and_sizes
    (x, ld_x), (y, ld_y), (z, ld_z) = first, second, result
    assert min(ld_x, ld_y, ld_z) >= 1
    for i in range(count):
        product = _column_major(x[i], m, k, ld_x, op_x) @ _column_major(y[i], k, n, ld_y, op_y)
        target = as_strided(z[i], (m, n), (z.itemsize, ld_z * z.itemsize))
        target[...] = product


@pytest.fixture
def on_numpy(monkeypatch):
    monkeypatch.setattr(cublas._backend, "module_for", lambda name: np)
    monkeypatch.setattr(cublas, "_call", emulated_call)


rng = np.random.default_rng(3)


def arr(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


CASES = {
    "c-order": lambda: (arr(5, 4), arr(4, 3)),
    "x @ W.T (transposed view)": lambda: (arr(6, 4), arr(3, 4).T),
    "g.T @ x": lambda: (arr(6, 5).T, arr(6, 4)),
    "both transposed": lambda: (arr(4, 5).T, arr(3, 4).T),
    "row slices of wider arrays": lambda: (arr(5, 9)[:, 2:6], arr(4, 7)[:, :3]),
    "a row": lambda: (arr(1, 4), arr(4, 3)),
    "a column result": lambda: (arr(5, 4), arr(4, 1)),
    "1-d @ 2-d": lambda: (arr(4), arr(4, 3)),
    "2-d @ 1-d": lambda: (arr(5, 4), arr(4)),
    "1-d @ 1-d": lambda: (arr(4), arr(4)),
    "leading axes @ 2-d": lambda: (arr(2, 3, 5, 4), arr(4, 3)),
    "batched": lambda: (arr(3, 5, 4), arr(3, 4, 2)),
    "2-d @ batched (broadcast)": lambda: (arr(5, 4), arr(3, 4, 2)),
    "batched @ transposed batch": lambda: (arr(3, 5, 4), arr(3, 2, 4).transpose(0, 2, 1)),
    "broadcast batch axes": lambda: (arr(2, 1, 5, 4), arr(1, 3, 4, 2)),
    "strided batch view": lambda: (arr(6, 5, 4)[::2], arr(4, 2)),
    "float32": lambda: (arr(5, 4, dtype="float32"), arr(3, 4, dtype="float32").T),
    "empty inner dimension": lambda: (arr(5, 0), arr(0, 3)),
    "no rows": lambda: (arr(0, 4), arr(4, 3)),
}


@pytest.mark.parametrize("name", CASES)
def test_products_match_numpy_matmul(on_numpy, name):
    a, b = CASES[name]()
    got = cublas.matmul(a, b)
    expected = np.matmul(a, b)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-5 if a.dtype == np.float32 else 1e-12, atol=1e-12)


def test_out_is_written_in_place_also_when_it_is_a_slice(on_numpy):
    a, b = arr(5, 4), arr(4, 3)
    whole = np.zeros((9, 3))
    out = whole[2:7]
    assert cublas.matmul(a, b, out=out) is out
    np.testing.assert_allclose(whole[2:7], a @ b)
    assert not whole[:2].any() and not whole[7:].any()
    strided = np.zeros((5, 6))[:, ::2]   # not row-major: computed aside, then copied in
    cublas.matmul(a, b, out=strided)
    np.testing.assert_allclose(strided, a @ b)


def test_mixed_floats_are_promoted_and_integers_refused(on_numpy):
    a, b = arr(5, 4, dtype="float32"), arr(4, 3)
    got = cublas.matmul(a, b)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, a @ b, rtol=1e-12)
    with pytest.raises(cublas.CaptureError, match=r"int64 and int64 arrays \(2, 2\) @ \(2, 2\)"):
        cublas.matmul(np.ones((2, 2), dtype="int64"), np.ones((2, 2), dtype="int64"))
    with pytest.raises(ValueError, match=r"inner dimensions differ: \(5, 4\) @ \(3, 2\)"):
        cublas.matmul(arr(5, 4), arr(3, 2))
