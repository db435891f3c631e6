"""A strict, CPU-only stand-in for CuPy, for tests.

Why this exists
---------------
minigrad picks its array module ``xp`` from its inputs (NumPy for host
arrays, CuPy for device arrays).  CI has no GPU, so the CuPy path would go
untested, and the typical GPU bug -- a stray ``np.something(x)`` on what is
really a device array -- would only show up on a machine with a GPU.

This module plays CuPy's part on the CPU.  Use it exactly like
``import cupy as xp``::

    from minigrad.testing import strict_cupy as xp

    a = xp.asarray(np.arange(3.0))   # explicit host -> "device" copy
    b = xp.exp(a) * 2.0              # fine: device function on device data
    np.exp(a)                        # TypeError: stray NumPy call
    a + np.ones(3)                   # TypeError: host/device mix
    xp.asnumpy(b)                    # explicit "device" -> host copy

Arrays are :class:`StrictArray` objects: wrappers (deliberately *not*
``numpy.ndarray`` subclasses) around a private NumPy array.  Like a
``cupy.ndarray`` they refuse every implicit conversion to NumPy, so any
NumPy function, ufunc, ``np.asarray`` or arithmetic mixing a NumPy array with
a StrictArray raises ``TypeError``.  Python scalars and NumPy scalar *types*
(``np.float32(2.0)``) combine with them as they do with CuPy arrays.

Everything is computed by NumPy underneath, so results equal NumPy's; only the
boundary between "host" and "device" is policed.  Only NumPy and the standard
library are used.
"""

import operator as _operator
import sys as _sys

import numpy as _np

_MOD = "strict_cupy"

_PY_SCALARS = (bool, int, float, complex)

# Ufuncs that NumPy calls when a *NumPy scalar* is the left operand of a
# Python operator whose right operand is a StrictArray (``np.float32(2) * a``
# becomes ``np.multiply(np.float32(2), a)``).  CuPy handles these via its own
# ``__array_ufunc__``; we allow exactly that shape of call and nothing else.
_OPERATOR_UFUNCS = frozenset({
    "add", "subtract", "multiply", "true_divide", "divide", "floor_divide",
    "remainder", "divmod", "power", "matmul", "bitwise_and", "bitwise_or",
    "bitwise_xor", "left_shift", "right_shift",
})

# NumPy functions that return a Python bool/int where CuPy returns a 0-d
# array.
_PYSCALAR_RESULT_TO_ARRAY = frozenset({
    "allclose", "array_equal", "array_equiv", "count_nonzero",
})


# ---------------------------------------------------------------------------
# host/device boundary helpers
# ---------------------------------------------------------------------------

def _refuse_numpy(where):
    return TypeError(
        f"{where}: got a numpy.ndarray argument; device functions take device "
        f"arrays (copy with xp.asarray first)")


def _unwrap(obj, where, seen):
    """Replace StrictArrays by their NumPy arrays, recursively through
    tuples, lists and dicts; refuse NumPy arrays (host data).

    ``seen`` maps ``id(numpy_array) -> StrictArray`` so a result that *is* an
    input's buffer (``out=``, ``astype(copy=False)``) maps back to the input
    object, as CuPy returns the very same ``out`` array.
    """
    if isinstance(obj, StrictArray):
        seen[id(obj._a)] = obj
        return obj._a
    if isinstance(obj, _np.ndarray):
        raise _refuse_numpy(where)
    t = type(obj)
    if t is tuple or t is list:
        return t(_unwrap(x, where, seen) for x in obj)
    if t is dict:
        return {k: _unwrap(v, where, seen) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # namedtuple
        return t(*(_unwrap(x, where, seen) for x in obj))
    return obj


def _from_numpy(a):
    """Wrap a NumPy array (no copy) -- internal constructor."""
    obj = object.__new__(StrictArray)
    obj._a = a
    return obj


def _wrap(obj, seen=None, pyscalars=False):
    """Wrap results: arrays -> StrictArray, NumPy scalars -> 0-d StrictArray
    (CuPy reductions return 0-d arrays), sequences elementwise."""
    if isinstance(obj, _np.ndarray):
        if seen:
            orig = seen.get(id(obj))
            if orig is not None and orig._a is obj:
                return orig
        return _from_numpy(obj)
    if isinstance(obj, _np.generic):
        return _from_numpy(_np.asarray(obj))
    if pyscalars and isinstance(obj, _PY_SCALARS):
        return _from_numpy(_np.asarray(obj))
    t = type(obj)
    if t is tuple or t is list:
        return t(_wrap(x, seen, pyscalars) for x in obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # namedtuple
        return t(*(_wrap(x, seen, pyscalars) for x in obj))
    return obj


def _operand(other, op):
    """Unwrap the other operand of a Python operator.

    Returns NotImplemented for unknown types so Python can try the reflected
    operation, and raises for NumPy arrays (mixing host and device)."""
    if isinstance(other, StrictArray):
        return other._a
    if isinstance(other, _np.ndarray):
        raise TypeError(
            f"{_MOD}: unsupported operand for {op}: cannot mix a "
            f"numpy.ndarray (host) with a StrictArray (device); copy with "
            f"xp.asarray() or .get() first")
    if isinstance(other, _PY_SCALARS) or isinstance(other, _np.generic):
        return other
    return NotImplemented


def _unwrap_index(key):
    """Unwrap an index for ``__getitem__``/``__setitem__``."""
    if isinstance(key, StrictArray):
        return key._a
    if isinstance(key, _np.ndarray):
        raise TypeError(
            f"{_MOD}: cannot index a StrictArray (device) with a "
            f"numpy.ndarray (host); copy the index with xp.asarray() first")
    if type(key) is tuple:
        return tuple(_unwrap_index(k) for k in key)
    if type(key) is list:
        return [_unwrap_index(k) for k in key]
    return key


def _unwrap_value(value):
    """Unwrap a value assigned with ``__setitem__``."""
    if isinstance(value, StrictArray):
        return value._a
    if isinstance(value, _np.ndarray):
        raise TypeError(
            f"{_MOD}: cannot assign a numpy.ndarray (host) into a StrictArray "
            f"(device); copy it with xp.asarray() first")
    if type(value) in (list, tuple):
        return type(value)(_unwrap_value(v) for v in value)
    return value


# ---------------------------------------------------------------------------
# the array type
# ---------------------------------------------------------------------------

# Plain (non-callable) attributes of cupy.ndarray, delegated to NumPy.
_ARRAY_ATTRS = frozenset({
    "dtype", "ndim", "size", "itemsize", "nbytes", "strides", "T", "mT",
    "flags", "real", "imag", "base",
})

# Methods of cupy.ndarray, delegated to NumPy with wrapped results.
_ARRAY_METHODS = frozenset({
    "all", "any", "argmax", "argmin", "argpartition", "argsort", "astype",
    "choose", "clip", "compress", "conj", "conjugate", "copy", "cumprod",
    "cumsum", "diagonal", "dot", "fill", "flatten", "max", "mean", "min",
    "nonzero", "partition", "prod", "ptp", "put", "ravel", "repeat",
    "reshape", "round", "searchsorted", "sort", "squeeze", "std", "sum",
    "swapaxes", "take", "trace", "transpose", "var", "view",
})

# Methods that return host values (Python objects / bytes), as in CuPy.
_HOST_METHODS = frozenset({"item", "tolist", "tobytes"})


class StrictArray:
    """CPU stand-in for ``cupy.ndarray``: a NumPy array behind a wall.

    The wrapped array lives in the private slot ``_a``.  Public behaviour
    follows ``cupy.ndarray``: operators and methods return StrictArrays,
    reductions return 0-d StrictArrays (never scalars), ``item()``,
    ``tolist()`` and ``get()`` return host values, and any implicit
    conversion to NumPy raises ``TypeError``.

    ``StrictArray(shape, dtype=float, order='C')`` allocates an
    uninitialised array like ``cupy.ndarray(shape, dtype)``; use
    ``xp.asarray`` to copy host data in.
    """

    __slots__ = ("_a",)

    def __init__(self, shape, dtype=float, memptr=None, strides=None,
                 order="C"):
        if memptr is not None or strides is not None:
            raise NotImplementedError(
                f"{_MOD}.ndarray: memptr/strides are not supported")
        if isinstance(shape, (_np.ndarray, StrictArray)):
            raise TypeError(
                f"{_MOD}.ndarray(shape, dtype) takes a shape; use xp.asarray "
                f"to copy data")
        self._a = _np.empty(shape, dtype=dtype, order=order)

    # -- refusing implicit conversion to NumPy -----------------------------

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "StrictArray (CuPy stand-in) refuses implicit conversion to a "
            "NumPy array; use .get() or xp.asnumpy()")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # ``np.float32(2) * a``: NumPy turns the operator into
        # ``np.multiply(np.float32(2), a)``; CuPy accepts it, so do we.
        if (method == "__call__" and not kwargs and len(inputs) == 2
                and ufunc.__name__ in _OPERATOR_UFUNCS
                and isinstance(inputs[0], _np.generic)
                and isinstance(inputs[1], StrictArray)):
            return _wrap(ufunc(inputs[0], inputs[1]._a))
        name = ufunc.__name__
        if method != "__call__":
            name += "." + method
        raise TypeError(
            f"numpy.{name}() was called with a StrictArray (CuPy stand-in) "
            f"argument; NumPy functions cannot take device arrays -- use the "
            f"array module (xp.{ufunc.__name__}) or copy to the host with "
            f".get() / xp.asnumpy()")

    def __array_function__(self, func, types, args, kwargs):
        mod = getattr(func, "__module__", None) or "numpy"
        raise TypeError(
            f"{mod}.{func.__name__}() was called with a StrictArray (CuPy "
            f"stand-in) argument; NumPy functions cannot take device arrays "
            f"-- use the array module (xp.{func.__name__}) or copy to the "
            f"host with .get() / xp.asnumpy()")

    __hash__ = None  # like cupy.ndarray / numpy.ndarray

    # -- attribute and method delegation -------------------------------------

    def __getattr__(self, name):
        # Only called when normal lookup fails.  Never delegate private or
        # dunder names: NumPy probes e.g. ``__array_interface__``.
        if name.startswith("_"):
            raise AttributeError(name)
        if name in _ARRAY_ATTRS:
            return _wrap(getattr(self._a, name))
        if name in _HOST_METHODS:
            return getattr(self._a, name)
        if name in _ARRAY_METHODS:
            meth = getattr(self._a, name)
            where = f"{_MOD}.ndarray.{name}"
            me = self

            def method(*args, **kwargs):
                seen = {id(me._a): me}
                args = _unwrap(args, where, seen)
                kwargs = _unwrap(kwargs, where, seen)
                return _wrap(meth(*args, **kwargs), seen)

            method.__name__ = name
            method.__qualname__ = f"ndarray.{name}"
            method.__doc__ = meth.__doc__
            return method
        raise AttributeError(
            f"'{_MOD}.ndarray' object has no attribute '{name}'")

    def __dir__(self):
        return sorted(set(object.__dir__(self)) | _ARRAY_ATTRS
                      | _ARRAY_METHODS | _HOST_METHODS)

    @property
    def shape(self):
        return self._a.shape

    @shape.setter
    def shape(self, value):
        # ``a.shape = s`` works for cupy.ndarray as for numpy.ndarray.
        self._a = self._a.reshape(value)

    def get(self, stream=None, order="C", out=None, blocking=True):
        """Copy to the host: a new NumPy array (or into ``out``)."""
        if out is not None:
            if not isinstance(out, _np.ndarray):
                raise TypeError("out must be a numpy.ndarray")
            out[...] = self._a
            return out
        return _np.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None):
        """Copy a host (NumPy) array into this array, like cupy's ``set``."""
        if not isinstance(arr, _np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to "
                            f"{_MOD}.ndarray, got {type(arr).__name__}")
        if arr.shape != self._a.shape:
            raise ValueError("Shape mismatch")
        if arr.dtype != self._a.dtype:
            raise TypeError("dtype mismatch")
        self._a[...] = arr

    # -- indexing ------------------------------------------------------------

    def __getitem__(self, key):
        k = _unwrap_index(key)
        r = self._a[k]
        if not isinstance(r, _np.ndarray):
            # CuPy returns a 0-d *view*, never a scalar; adding a trailing
            # Ellipsis makes NumPy do the same.
            kk = k if type(k) is tuple else (k,)
            r = self._a[kk + (Ellipsis,)]
        return _from_numpy(r)

    def __setitem__(self, key, value):
        self._a[_unwrap_index(key)] = _unwrap_value(value)

    def __len__(self):
        if self._a.ndim == 0:
            raise TypeError("len() of unsized object")
        return self._a.shape[0]

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        for i in range(self._a.shape[0]):
            yield self[i]

    def __contains__(self, value):
        return bool((self._a == _unwrap_value(value)).any())

    # -- conversion to Python scalars (host values) --------------------------

    def _scalar(self, kind):
        if self._a.size != 1:
            raise TypeError(
                f"only size-1 arrays can be converted to Python scalars "
                f"({kind}() of a {_MOD} array of size {self._a.size})")
        return self._a.reshape(()).item()

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def __complex__(self):
        return complex(self._scalar("complex"))

    def __index__(self):
        if self._a.size != 1 or self._a.dtype.kind not in "iu":
            raise TypeError(
                "only integer scalar arrays can be converted to a scalar "
                "index")
        return int(self._a.reshape(()).item())

    def __round__(self, ndigits=None):
        return _wrap(self._a.round(ndigits or 0))

    def __format__(self, spec):
        if self._a.ndim == 0:
            return format(self._a.item(), spec)
        return format(str(self), spec)

    # -- representation ------------------------------------------------------

    def __repr__(self):
        prefix = f"{_MOD}.array("
        body = _np.array2string(self._a, separator=", ", prefix=prefix)
        return f"{prefix}{body}, dtype={self._a.dtype})"

    def __str__(self):
        return str(self._a)

    # -- copying / pickling --------------------------------------------------

    def __copy__(self):
        return _from_numpy(self._a.copy())

    def __deepcopy__(self, memo):
        return _from_numpy(self._a.copy())

    def __reduce__(self):
        return (_from_numpy, (self._a.copy(),))

    # -- unary operators -----------------------------------------------------

    def __neg__(self):
        return _wrap(-self._a)

    def __pos__(self):
        return _wrap(+self._a)

    def __abs__(self):
        return _wrap(abs(self._a))

    def __invert__(self):
        return _wrap(~self._a)


def _install_operators():
    """Give StrictArray every binary operator: forward, reflected and
    in-place, each unwrapping its operand with :func:`_operand`."""

    def forward(fn, sym):
        def op(self, other):
            o = _operand(other, sym)
            if o is NotImplemented:
                return NotImplemented
            return _wrap(fn(self._a, o))
        return op

    def reflected(fn, sym):
        def op(self, other):
            o = _operand(other, sym)
            if o is NotImplemented:
                return NotImplemented
            return _wrap(fn(o, self._a))
        return op

    def inplace(fn, sym):
        def op(self, other):
            o = _operand(other, sym)
            if o is NotImplemented:
                return NotImplemented
            self._a = fn(self._a, o)  # NumPy's in-place op: same buffer
            return self
        return op

    binary = {
        "add": (_operator.add, _operator.iadd, "+"),
        "sub": (_operator.sub, _operator.isub, "-"),
        "mul": (_operator.mul, _operator.imul, "*"),
        "truediv": (_operator.truediv, _operator.itruediv, "/"),
        "floordiv": (_operator.floordiv, _operator.ifloordiv, "//"),
        "mod": (_operator.mod, _operator.imod, "%"),
        "pow": (_operator.pow, _operator.ipow, "**"),
        "matmul": (_operator.matmul, _operator.imatmul, "@"),
        "and": (_operator.and_, _operator.iand, "&"),
        "or": (_operator.or_, _operator.ior, "|"),
        "xor": (_operator.xor, _operator.ixor, "^"),
        "lshift": (_operator.lshift, _operator.ilshift, "<<"),
        "rshift": (_operator.rshift, _operator.irshift, ">>"),
    }
    for name, (fn, ifn, sym) in binary.items():
        for dunder, maker, f in ((f"__{name}__", forward, fn),
                                 (f"__r{name}__", reflected, fn),
                                 (f"__i{name}__", inplace, ifn)):
            m = maker(f, sym)
            m.__name__ = m.__qualname__ = dunder
            setattr(StrictArray, dunder, m)

    for dunder, maker in (("__divmod__", forward),
                          ("__rdivmod__", reflected)):
        m = maker(divmod, "divmod()")
        m.__name__ = m.__qualname__ = dunder
        setattr(StrictArray, dunder, m)

    comparisons = {
        "__lt__": (_operator.lt, "<"), "__le__": (_operator.le, "<="),
        "__gt__": (_operator.gt, ">"), "__ge__": (_operator.ge, ">="),
        "__eq__": (_operator.eq, "=="), "__ne__": (_operator.ne, "!="),
    }
    for dunder, (fn, sym) in comparisons.items():
        m = forward(fn, sym)
        m.__name__ = m.__qualname__ = dunder
        setattr(StrictArray, dunder, m)


_install_operators()

ndarray = StrictArray


# ---------------------------------------------------------------------------
# the module as an ``xp`` namespace
# ---------------------------------------------------------------------------

def _wrap_function(fn, qualname, pyscalars=False, result_hook=None):
    """Wrap a NumPy callable: unwrap StrictArray arguments, refuse NumPy
    arrays, wrap results."""
    where = f"{_MOD}.{qualname}"

    def wrapper(*args, **kwargs):
        seen = {}
        args = _unwrap(args, where, seen)
        kwargs = _unwrap(kwargs, where, seen)
        out = fn(*args, **kwargs)
        if result_hook is not None:
            out = result_hook(out)
        return _wrap(out, seen, pyscalars)

    wrapper.__name__ = qualname.rpartition(".")[2]
    wrapper.__qualname__ = qualname
    wrapper.__module__ = _MOD
    wrapper.__doc__ = getattr(fn, "__doc__", None)
    wrapper.__wrapped__ = fn
    return wrapper


class _UfuncProxy:
    """A NumPy ufunc seen through the wall, with ``reduce``,
    ``accumulate``, ``reduceat``, ``outer`` and ``at`` (``at`` mutates the
    StrictArray target in place, as ``cupy.add.at`` does)."""

    def __init__(self, ufunc, qualname):
        self._ufunc = ufunc
        self._qualname = qualname
        self.__name__ = ufunc.__name__
        self.__doc__ = ufunc.__doc__
        self._call = _wrap_function(ufunc, qualname)
        for m in ("reduce", "accumulate", "reduceat", "outer", "at"):
            setattr(self, m,
                    _wrap_function(getattr(ufunc, m), f"{qualname}.{m}"))

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)

    def __getattr__(self, name):  # nin, nout, nargs, identity, types, ...
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._ufunc, name)

    def __repr__(self):
        return f"<{_MOD} ufunc '{self._ufunc.__name__}'>"


class _Namespace:
    """A NumPy submodule (``linalg``, ``fft``, ``lib.stride_tricks``)
    exported through the same rules as the top-level module."""

    def __init__(self, module, qualname, allowed=None, extra=None):
        self._module = module
        self._qualname = qualname
        self._allowed = allowed
        self._cache = dict(extra or {})
        self.__name__ = f"{_MOD}.{qualname}"

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        cache = self.__dict__["_cache"]
        if name in cache:
            return cache[name]
        if self._allowed is not None and name not in self._allowed:
            raise AttributeError(
                f"module '{self.__name__}' has no attribute '{name}'")
        try:
            obj = getattr(self._module, name)
        except AttributeError:
            raise AttributeError(
                f"module '{self.__name__}' has no attribute '{name}'"
            ) from None
        value = _export(obj, f"{self._qualname}.{name}")
        cache[name] = value
        return value

    def __dir__(self):
        names = self._allowed if self._allowed is not None else dir(
            self._module)
        return sorted(set(names) | set(self._cache))

    def __repr__(self):
        return f"<module '{self.__name__}' (strict CuPy stand-in)>"


def _export(obj, qualname):
    """How a NumPy object appears in the ``xp`` namespace."""
    if obj is _np.ndarray:
        return StrictArray
    if isinstance(obj, _np.ufunc):
        return _UfuncProxy(obj, qualname)
    if isinstance(obj, type):
        # dtypes / scalar types, dtype, finfo, iinfo, errstate, exceptions
        return obj
    if callable(obj):
        return _wrap_function(
            obj, qualname,
            pyscalars=qualname.rpartition(".")[2] in _PYSCALAR_RESULT_TO_ARRAY)
    if type(obj) is type(_np):
        raise AttributeError(
            f"module '{_MOD}' has no submodule '{qualname}' in this stand-in")
    return obj  # constants: pi, e, inf, nan, newaxis, ...


_cache = {}


def __getattr__(name):
    """``xp.<name>``: NumPy's ``<name>``, seen through the wall."""
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return _cache[name]
    except KeyError:
        pass
    try:
        obj = getattr(_np, name)
    except AttributeError:
        raise AttributeError(
            f"module '{_MOD}' has no attribute '{name}'") from None
    value = _export(obj, name)
    _cache[name] = value
    return value


def __dir__():
    public = [n for n in globals() if not n.startswith("_")]
    return sorted(set(public) | set(dir(_np)))


# -- explicit host <-> device transfers -------------------------------------

def _host_data(obj):
    """Turn nested lists/tuples that may contain StrictArrays into host
    data for ``np.array`` (StrictArrays -> their arrays)."""
    if isinstance(obj, StrictArray):
        return obj._a
    if type(obj) in (list, tuple):
        return type(obj)(_host_data(x) for x in obj)
    return obj


def asarray(a, dtype=None, order=None, *, blocking=False):
    """Host -> device: like ``cupy.asarray``.

    Accepts NumPy arrays, lists and scalars and always copies host data.  A
    StrictArray of the requested dtype is returned as is."""
    if isinstance(a, StrictArray):
        if dtype is None or _np.dtype(dtype) == a._a.dtype:
            if order in (None, "K", "A") or (
                    order in ("C", "c") and a._a.flags.c_contiguous) or (
                    order in ("F", "f") and a._a.flags.f_contiguous):
                return a
        return _from_numpy(_np.array(a._a, dtype=dtype, order=order or "K"))
    return _from_numpy(
        _np.array(_host_data(a), dtype=dtype, order=order or "K", copy=True))


asanyarray = asarray


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *,
          blocking=False):
    """Host -> device: like ``cupy.array`` (copies by default).

    Host data (NumPy arrays, lists, scalars) is always copied; for a
    StrictArray ``copy=False`` avoids the copy when possible."""
    if isinstance(obj, StrictArray):
        r = _np.array(obj._a, dtype=dtype, copy=True if copy else None,
                      order=order, ndmin=ndmin)
        return obj if r is obj._a else _from_numpy(r)
    return _from_numpy(_np.array(_host_data(obj), dtype=dtype, copy=True,
                                 order=order, ndmin=ndmin))


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    """Device -> host: like ``cupy.asnumpy``; a NumPy copy of a
    StrictArray, ``np.asarray(a)`` for anything else."""
    if isinstance(a, StrictArray):
        return a.get(order=order, out=out)
    if out is not None:
        out[...] = a
        return out
    return _np.asarray(a, order=order)


def get_array_module(*args):
    """This module if any argument is a StrictArray, else NumPy."""
    for x in args:
        if isinstance(x, StrictArray):
            return _sys.modules[__name__]
    return _np


def fuse(*args, **kwargs):
    """``cupy.fuse``: kernel fusion is an optimisation only, so the
    function is returned unchanged (works as ``@fuse`` and ``@fuse()``)."""
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda f: f


def scatter_add(a, slices, value):
    """``cupyx.scatter_add``: unbuffered ``a[slices] += value`` in place."""
    _ufunc_at(_np.add, "scatter_add", a, slices, value)


def scatter_max(a, slices, value):
    """``cupyx.scatter_max``: unbuffered ``a[slices] = max(a[slices],
    value)`` in place."""
    _ufunc_at(_np.maximum, "scatter_max", a, slices, value)


def scatter_min(a, slices, value):
    """``cupyx.scatter_min``: unbuffered ``a[slices] = min(a[slices],
    value)`` in place."""
    _ufunc_at(_np.minimum, "scatter_min", a, slices, value)


def _ufunc_at(ufunc, name, a, slices, value):
    if not isinstance(a, StrictArray):
        raise TypeError(f"{_MOD}.{name}: target must be a StrictArray, got "
                        f"{type(a).__name__}")
    ufunc.at(a._a, _unwrap_index(slices),
             _unwrap(value, f"{_MOD}.{name}", {}))


# -- submodules ----------------------------------------------------------------

def _random_result(obj):
    if isinstance(obj, (_np.random.Generator, _np.random.RandomState)):
        return _GeneratorProxy(obj)
    if type(obj) is list and obj and isinstance(obj[0], _np.random.Generator):
        return [_GeneratorProxy(g) for g in obj]  # Generator.spawn
    return obj


class _GeneratorProxy:
    """A NumPy ``Generator``/``RandomState`` whose methods return
    StrictArrays (0-d for single draws, as CuPy's do)."""

    def __init__(self, gen):
        self._gen = gen

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        attr = getattr(self._gen, name)
        if callable(attr):
            return _wrap_function(attr, f"random.Generator.{name}",
                                  pyscalars=True, result_hook=_random_result)
        return attr

    def __repr__(self):
        return f"<{_MOD} random generator wrapping {self._gen!r}>"


class _RandomNamespace(_Namespace):
    """``xp.random``: ``default_rng`` / ``Generator`` proxies plus the
    legacy global functions (``seed``, ``rand``, ``randn``, ``randint``,
    ``permutation``, ``normal``, ``uniform``, ...)."""

    def __init__(self):
        super().__init__(_np.random, "random")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        cache = self.__dict__["_cache"]
        if name in cache:
            return cache[name]
        try:
            obj = getattr(_np.random, name)
        except AttributeError:
            raise AttributeError(
                f"module '{_MOD}.random' has no attribute '{name}'") from None
        if obj is _np.random.RandomState or (
                callable(obj) and not isinstance(obj, type)):
            value = _wrap_function(obj, f"random.{name}", pyscalars=True,
                                   result_hook=_random_result)
        else:
            value = obj  # Generator, BitGenerator classes, ...
        cache[name] = value
        return value


random = _RandomNamespace()
linalg = _Namespace(_np.linalg, "linalg")
fft = _Namespace(_np.fft, "fft")
lib = _Namespace(
    _np.lib, "lib", allowed=frozenset({"stride_tricks"}),
    extra={"stride_tricks": _Namespace(
        _np.lib.stride_tricks, "lib.stride_tricks",
        allowed=frozenset({"as_strided", "sliding_window_view"}))})
