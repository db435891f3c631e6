"""Tests for minigrad.testing.strict_cupy, the CPU stand-in for CuPy.

The stand-in is only useful if it is strict: every way a NumPy array or a
NumPy function can touch a "device" array must raise, while the ``xp.*``
path must behave like CuPy (and compute what NumPy computes).
"""

import copy
import pickle

import numpy as np
import pytest

from minigrad.testing import strict_cupy as xp
from minigrad.testing.strict_cupy import StrictArray


@pytest.fixture
def a():
    return xp.asarray(np.arange(6, dtype=np.float32).reshape(2, 3))


def host(x):
    """Host copy of a StrictArray, for comparisons."""
    assert isinstance(x, StrictArray), type(x)
    return xp.asnumpy(x)


# ---------------------------------------------------------------------------
# refusals: NumPy must never see a StrictArray implicitly
# ---------------------------------------------------------------------------

def test_np_asarray_refused(a):
    with pytest.raises(TypeError, match="refuses implicit conversion"):
        np.asarray(a)
    with pytest.raises(TypeError, match="refuses implicit conversion"):
        np.array(a)


def test_np_ufunc_refused_and_named(a):
    with pytest.raises(TypeError, match=r"numpy\.exp\(\)"):
        np.exp(a)
    with pytest.raises(TypeError, match=r"numpy\.add\.at\(\)"):
        np.add.at(a, [0], 1.0)


def test_np_function_refused_and_named(a):
    with pytest.raises(TypeError, match=r"numpy\.sum\(\)"):
        np.sum(a)
    with pytest.raises(TypeError, match=r"concatenate"):
        np.concatenate([a, a])


def test_numpy_array_plus_strict_refused(a):
    with pytest.raises(TypeError):
        np.ones(3, dtype=np.float32) + a
    with pytest.raises(TypeError):
        np.ones(3, dtype=np.float32) * a
    with pytest.raises(TypeError):
        np.ones(3, dtype=np.float32) == a


def test_strict_plus_numpy_array_refused(a):
    with pytest.raises(TypeError, match="cannot mix a numpy.ndarray"):
        a + np.ones(3, dtype=np.float32)
    with pytest.raises(TypeError):
        a < np.ones(3, dtype=np.float32)
    with pytest.raises(TypeError):
        a @ np.ones(3, dtype=np.float32)
    b = a.copy()
    with pytest.raises(TypeError):
        b += np.ones(3, dtype=np.float32)


def test_zero_d_numpy_array_refused_like_ndarray(a):
    zero_d = np.array(2.0, dtype=np.float32)
    with pytest.raises(TypeError):
        a * zero_d
    with pytest.raises(TypeError):
        zero_d * a


def test_numpy_index_refused(a):
    with pytest.raises(TypeError, match="index"):
        a[np.array([0, 1])]
    with pytest.raises(TypeError, match="index"):
        a[np.array([True, False])]
    with pytest.raises(TypeError, match="index"):
        a[0, np.array([0, 1])]


def test_numpy_setitem_value_refused(a):
    with pytest.raises(TypeError, match="assign"):
        a[...] = np.zeros((2, 3), dtype=np.float32)
    with pytest.raises(TypeError, match="assign"):
        a[0] = np.zeros(3, dtype=np.float32)


def test_xp_function_refuses_numpy_argument(a):
    with pytest.raises(TypeError, match=r"strict_cupy\.concatenate: got a numpy\.ndarray"):
        xp.concatenate([a, np.ones((1, 3), dtype=np.float32)])
    with pytest.raises(TypeError, match=r"strict_cupy\.exp"):
        xp.exp(np.ones(3))
    with pytest.raises(TypeError, match=r"strict_cupy\.add\.at"):
        xp.add.at(xp.zeros(3), np.array([0]), 1.0)


def test_no_numpy_attributes_leak(a):
    # NumPy probes these; delegating them would let np.asarray succeed.
    for name in ("__array_interface__", "__array_struct__", "__dlpack__", "_a_missing"):
        with pytest.raises(AttributeError):
            getattr(a, name)
    with pytest.raises(AttributeError):
        a.tofile  # not a cupy.ndarray method


# ---------------------------------------------------------------------------
# what must work
# ---------------------------------------------------------------------------

def test_python_scalars_keep_float32(a):
    for r in (a * 2.0, 2.0 * a, a + 1, 1 - a, a / 3, 2 ** a, a ** 2, -a, abs(a)):
        assert isinstance(r, StrictArray)
        assert r.dtype == np.float32
    np.testing.assert_allclose(host(a * 2.0), np.arange(6).reshape(2, 3) * 2.0)
    np.testing.assert_allclose(host(1 - a), 1 - np.arange(6).reshape(2, 3))


def test_numpy_scalar_types_combine(a):
    r = np.float32(2.0) * a
    assert isinstance(r, StrictArray) and r.dtype == np.float32
    np.testing.assert_allclose(host(r), host(a) * 2)
    r = a - np.float32(1.0)
    assert isinstance(r, StrictArray) and r.dtype == np.float32
    r = np.float32(10.0) - a
    np.testing.assert_allclose(host(r), 10 - host(a))
    assert isinstance(a > np.float32(2.0), StrictArray)


def test_comparisons_and_bitwise(a):
    m = a > 2
    assert isinstance(m, StrictArray) and m.dtype == np.bool_
    assert host(m).tolist() == [[False, False, False], [True, True, True]]
    assert host((a > 1) & (a < 4)).sum() == 2
    assert host(~m).sum() == 3
    assert host(a == a).all()


def test_inplace_ops_keep_identity_and_buffer(a):
    view = a[0]
    b = a
    b += 1
    assert b is a
    assert host(view).tolist() == [1.0, 2.0, 3.0]
    b *= 2
    assert host(a)[1].tolist() == [8.0, 10.0, 12.0]
    assert a.dtype == np.float32


def test_reductions_return_0d_strict_arrays(a):
    for r in (a.sum(), a.mean(), a.max(), a.min(), a.argmax(), a.prod(),
              a.var(), a.std(), a.any(), a.all(), xp.sum(a), xp.max(a),
              xp.linalg.norm(a), xp.count_nonzero(a), xp.allclose(a, a)):
        assert isinstance(r, StrictArray), type(r)
        assert r.ndim == 0 and r.shape == ()
    assert float(a.sum()) == 15.0
    assert a.sum().dtype == np.float32
    assert host(a.sum(axis=0)).tolist() == [3.0, 5.0, 7.0]


def test_host_values(a):
    assert a.item(4) == 4.0 and type(a.item(4)) is float
    assert a.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    g = a.get()
    assert type(g) is np.ndarray and g.dtype == np.float32
    g[0, 0] = 100
    assert float(a[0, 0]) == 0.0  # get() copies


def test_scalar_conversions(a):
    s = a[1, 1]
    assert isinstance(s, StrictArray) and s.ndim == 0
    assert float(s) == 4.0 and int(s) == 4 and bool(s)
    assert float(a[1:2, 1:2]) == 4.0  # size-1, any ndim, like cupy
    with pytest.raises(TypeError):
        float(a)
    with pytest.raises(TypeError):
        int(a)
    i = xp.asarray(2)
    assert [10, 20, 30][i] == 30  # __index__
    with pytest.raises(TypeError):
        [10, 20, 30][s]  # float arrays are not indices
    assert f"{s:.2f}" == "4.00"


def test_getitem_returns_views(a):
    row = a[1]
    assert isinstance(row, StrictArray)
    row[0] = -1
    assert float(a[1, 0]) == -1.0
    elem = a[0, 0]
    elem += 7  # 0-d view: writes through, as in CuPy
    assert float(a[0, 0]) == 7.0


def test_getitem_with_strict_int_and_bool_indices(a):
    idx = xp.asarray([1, 0, 1])
    r = a[idx]
    assert isinstance(r, StrictArray)
    assert host(r).tolist() == [[3, 4, 5], [0, 1, 2], [3, 4, 5]]
    mask = a > 2.5
    r = a[mask]
    assert host(r).tolist() == [3.0, 4.0, 5.0]
    r = a[:, xp.asarray([2, 0])]
    assert host(r).tolist() == [[2, 0], [5, 3]]
    r = a[xp.asarray([True, False])]
    assert host(r).tolist() == [[0, 1, 2]]
    r = a[[0, 1], [2, 2]]  # Python lists are fine
    assert host(r).tolist() == [2, 5]
    r = a[None, ..., 1]
    assert r.shape == (1, 2)


def test_setitem(a):
    a[0] = 9.0
    a[1, xp.asarray([0, 2])] = xp.asarray([7.0, 8.0], dtype=np.float32)
    a[a < 5] = 0
    assert host(a).tolist() == [[9, 9, 9], [7, 0, 8]]


def test_len_iter_repr(a):
    assert len(a) == 2
    rows = list(a)
    assert all(isinstance(r, StrictArray) for r in rows)
    assert host(rows[1]).tolist() == [3, 4, 5]
    assert all(isinstance(x, StrictArray) and x.ndim == 0 for x in rows[0])
    with pytest.raises(TypeError):
        len(a.sum())
    with pytest.raises(TypeError):
        iter(a.sum()).__next__()
    assert repr(a).startswith("strict_cupy.array(")
    assert "float32" in repr(a)


def test_attributes_and_methods(a):
    assert a.shape == (2, 3) and a.ndim == 2 and a.size == 6
    assert a.itemsize == 4 and a.nbytes == 24 and a.strides == (12, 4)
    assert a.T.shape == (3, 2) and a.mT.shape == (3, 2)
    assert a.flags.c_contiguous
    for r in (a.T, a.real, a.reshape(3, 2), a.ravel(), a.flatten(),
              a.transpose(1, 0), a.swapaxes(0, 1), a[None].squeeze(0),
              a.astype(np.float64), a.view(np.int32), a.cumsum(),
              a.clip(1, 4), a.round(), a.repeat(2), a.take(xp.asarray([0, 5])),
              a.argsort(axis=None), a.dot(a.T)):
        assert isinstance(r, StrictArray), type(r)
    assert host(a.take(xp.asarray([0, 5]))).tolist() == [0.0, 5.0]
    assert host(a.dot(a.T)).tolist() == [[5, 14], [14, 50]]
    nz = a.nonzero()
    assert isinstance(nz, tuple) and all(isinstance(x, StrictArray) for x in nz)
    assert a.astype(np.float32, copy=False) is a
    b = a.copy()
    b.fill(3)
    assert host(b).sum() == 18 and host(a).sum() == 15
    c = xp.asarray([3.0, 1.0, 2.0])
    c.sort()
    assert host(c).tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(TypeError):
        a.dot(np.ones(3))
    b.shape = (3, 2)
    assert b.shape == (3, 2)


def test_matmul(a):
    r = a @ a.T
    assert isinstance(r, StrictArray)
    assert host(r).tolist() == [[5, 14], [14, 50]]
    assert host(xp.matmul(a, a.T)).tolist() == [[5, 14], [14, 50]]


def test_add_at_mutates_in_place():
    t = xp.zeros(4, dtype=np.float32)
    before = t
    ret = xp.add.at(t, xp.asarray([0, 0, 3]), xp.asarray([1.0, 2.0, 5.0], dtype=np.float32))
    assert ret is None and t is before
    assert host(t).tolist() == [3.0, 0.0, 0.0, 5.0]
    xp.scatter_add(t, xp.asarray([1, 1]), 1.0)
    assert host(t).tolist() == [3.0, 2.0, 0.0, 5.0]


def test_ufunc_methods():
    x = xp.asarray([[1.0, 5.0], [4.0, 2.0]])
    assert host(xp.maximum.reduce(x, axis=0)).tolist() == [4.0, 5.0]
    assert host(xp.add.accumulate(xp.asarray([1, 2, 3]))).tolist() == [1, 3, 6]
    assert xp.multiply.outer(xp.arange(2), xp.arange(3)).shape == (2, 3)
    assert xp.add.nin == 2
    assert isinstance(xp.add.reduce(xp.arange(4)), StrictArray)


def test_out_argument_returns_the_same_object(a):
    out = xp.empty((3,), dtype=np.float32)
    r = xp.add(a[0], a[1], out=out)
    assert r is out
    assert host(out).tolist() == [3.0, 5.0, 7.0]


def test_as_strided_and_sliding_window():
    base = xp.arange(6, dtype=np.int64)
    w = xp.lib.stride_tricks.as_strided(base, shape=(4, 3), strides=(8, 8))
    assert isinstance(w, StrictArray)
    assert host(w).tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]
    base[2] = 99  # a view of the same memory
    assert int(w[0, 2]) == 99
    s = xp.lib.stride_tricks.sliding_window_view(xp.arange(5), 3)
    assert host(s).tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]


def test_asarray_asnumpy_round_trip():
    src = np.arange(4, dtype=np.float32)
    d = xp.asarray(src)
    assert isinstance(d, StrictArray) and d.dtype == np.float32
    src[0] = 42  # asarray copied the host data
    assert float(d[0]) == 0.0
    back = xp.asnumpy(d)
    assert type(back) is np.ndarray
    np.testing.assert_array_equal(back, [0, 1, 2, 3])
    back[1] = -5  # asnumpy copied the device data
    assert float(d[1]) == 1.0
    assert xp.asarray(d) is d
    assert xp.asarray(d, dtype=np.float64).dtype == np.float64
    assert host(xp.asarray([[1, 2], [3, 4]])).shape == (2, 2)
    assert xp.asarray(3.0).ndim == 0
    assert host(xp.array(src, dtype=np.float64)).dtype == np.float64
    c = xp.array(d)
    assert c is not d
    assert xp.array(d, copy=False) is d


def test_module_namespace():
    assert xp.ndarray is StrictArray
    assert isinstance(xp.zeros(3), xp.ndarray)
    assert xp.float32 is np.float32 and xp.float64 is np.float64
    assert xp.int64 is np.int64 and xp.bool_ is np.bool_
    assert xp.pi == np.pi and xp.inf == np.inf and np.isnan(xp.nan)
    assert xp.newaxis is None
    assert xp.dtype("float32") == np.float32
    assert xp.finfo(xp.float32).eps == np.finfo(np.float32).eps
    assert xp.iinfo(xp.int32).max == 2**31 - 1
    with pytest.raises(AttributeError):
        xp.definitely_not_a_numpy_name


def test_get_array_module(a):
    assert xp.get_array_module(a) is xp
    assert xp.get_array_module(1.0, a) is xp
    assert xp.get_array_module(np.ones(2)) is np
    assert xp.get_array_module() is np


def test_function_results_are_wrapped(a):
    parts = xp.split(xp.arange(6), 3)
    assert isinstance(parts, list) and all(isinstance(p, StrictArray) for p in parts)
    w = xp.where(a > 2)
    assert isinstance(w, tuple) and all(isinstance(p, StrictArray) for p in w)
    u, s, vt = xp.linalg.svd(a)
    assert all(isinstance(p, StrictArray) for p in (u, s, vt))
    assert host(xp.concatenate([a, a])).shape == (4, 3)
    assert host(xp.einsum("ij->j", a)).tolist() == [3, 5, 7]
    assert xp.ndim(a) == 2 and xp.shape(a) == (2, 3)


def test_random_default_rng_reproducible():
    r1 = xp.random.default_rng(123)
    r2 = xp.random.default_rng(123)
    x1 = r1.standard_normal((3, 4), dtype=np.float32)
    x2 = r2.standard_normal((3, 4), dtype=np.float32)
    assert isinstance(x1, StrictArray) and x1.dtype == np.float32
    np.testing.assert_array_equal(host(x1), host(x2))
    x3 = xp.random.default_rng(124).standard_normal((3, 4), dtype=np.float32)
    assert not np.array_equal(host(x1), host(x3))
    g = xp.random.default_rng(0)
    for r in (g.random(3), g.normal(0, 1, 3), g.uniform(0, 1, 3),
              g.integers(0, 5, 3), g.permutation(5), g.choice(5, 2),
              g.binomial(1, 0.5, 3), g.permutation(xp.arange(4)), g.random()):
        assert isinstance(r, StrictArray), type(r)


def test_random_legacy_functions():
    xp.random.seed(7)
    a1 = xp.random.rand(3)
    xp.random.seed(7)
    a2 = xp.random.rand(3)
    np.testing.assert_array_equal(host(a1), host(a2))
    for r in (xp.random.randn(2, 2), xp.random.randint(0, 3, 4),
              xp.random.permutation(4), xp.random.normal(0, 1, 2),
              xp.random.uniform(0, 1, 2)):
        assert isinstance(r, StrictArray), type(r)


def test_fuse_is_identity():
    def f(x):
        return x * 2

    assert xp.fuse(f) is f
    assert xp.fuse()(f) is f
    assert xp.fuse(kernel_name="k")(f) is f


def test_constructor_copy_and_pickle(a):
    e = xp.ndarray((2, 2), dtype=np.float32)
    assert isinstance(e, StrictArray) and e.shape == (2, 2) and e.dtype == np.float32
    for c in (copy.copy(a), copy.deepcopy(a), pickle.loads(pickle.dumps(a))):
        assert isinstance(c, StrictArray)
        assert host(c).tolist() == host(a).tolist()
        c[0, 0] = 50
        assert float(a[0, 0]) == 0.0


def test_unhashable(a):
    with pytest.raises(TypeError):
        hash(a)
