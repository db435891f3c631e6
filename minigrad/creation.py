"""Ways to make tensors: from data, filled, ranges, random (float32 by default)."""

import numpy

from minigrad import backend as _backend
from minigrad import random as _random
from minigrad.tensor import Tensor

_default_dtype = numpy.dtype("float32")


def set_default_dtype(dtype):
    """Set the floating dtype of new tensors ("float32" by default, or "float64")."""
    global _default_dtype
    dtype = numpy.dtype(dtype)
    if dtype not in (numpy.float32, numpy.float64):
        raise ValueError(f"set_default_dtype: expected float32 or float64, got {dtype}")
    _default_dtype = dtype


def get_default_dtype():
    return _default_dtype


def _dtype(dtype):
    return _default_dtype if dtype is None else numpy.dtype(dtype)


def _xp(backend):
    return _backend.active_module() if backend is None else _backend.module_for(backend)


def _make(array, requires_grad):
    return Tensor(array, requires_grad=requires_grad)


def tensor(data, dtype=None, requires_grad=False, backend=None):
    """A new leaf tensor holding a copy of ``data`` on the active backend (or ``backend``).

    Python floats and lists become float32 (the default dtype); arrays keep their
    dtype unless ``dtype`` is given. Host (NumPy) data is copied to the device when
    the backend is CuPy.
    """
    xp = _xp(backend)
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (numpy.ndarray, numpy.generic)) or not hasattr(data, "shape"):
        host = numpy.array(data, dtype=dtype, copy=True)
        if dtype is None and host.dtype == numpy.float64 and not isinstance(data, (numpy.ndarray, numpy.generic)):
            host = host.astype(_default_dtype)
        array = xp.asarray(host)
    else:  # an array of another backend, or of this one
        array = _backend.to_backend(data, _backend.backend_of(xp.empty(0)))
        array = array.astype(dtype) if dtype is not None else array.copy()
    return _make(array, requires_grad)


def zeros(*shape, dtype=None, requires_grad=False, backend=None):
    return _make(_xp(backend).zeros(_shape(shape), dtype=_dtype(dtype)), requires_grad)


def ones(*shape, dtype=None, requires_grad=False, backend=None):
    return _make(_xp(backend).ones(_shape(shape), dtype=_dtype(dtype)), requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False, backend=None):
    return _make(_xp(backend).full(_shape((shape,)), fill_value, dtype=_dtype(dtype)), requires_grad)


def arange(start, stop=None, step=1, dtype=None, backend=None):
    """Like numpy.arange; integer arguments give int64 unless ``dtype`` is set."""
    if stop is None:
        start, stop = 0, start
    ints = all(isinstance(v, int) for v in (start, stop, step))
    dtype = numpy.dtype(dtype) if dtype is not None else (numpy.dtype("int64") if ints else _default_dtype)
    return _make(_xp(backend).arange(start, stop, step, dtype=dtype), False)


def randn(*shape, dtype=None, requires_grad=False, backend=None):
    """Standard normal samples from the seeded generator (see manual_seed)."""
    return _make(_random.normal(_shape(shape), _dtype(dtype), _xp(backend)), requires_grad)


def rand(*shape, dtype=None, requires_grad=False, backend=None):
    """Uniform samples in [0, 1) from the seeded generator (see manual_seed)."""
    return _make(_random.uniform(_shape(shape), _dtype(dtype), _xp(backend)), requires_grad)


def _like(fn, other, dtype, requires_grad, *args):
    return fn(*args, other.shape, dtype=other.dtype if dtype is None else dtype,
              requires_grad=requires_grad, backend=other.backend)


def zeros_like(other, dtype=None, requires_grad=False):
    return _like(zeros, other, dtype, requires_grad)


def ones_like(other, dtype=None, requires_grad=False):
    return _like(ones, other, dtype, requires_grad)


def full_like(other, fill_value, dtype=None, requires_grad=False):
    return full(other.shape, fill_value, dtype=other.dtype if dtype is None else dtype,
                requires_grad=requires_grad, backend=other.backend)


def randn_like(other, dtype=None, requires_grad=False):
    return _like(randn, other, dtype, requires_grad)


def rand_like(other, dtype=None, requires_grad=False):
    return _like(rand, other, dtype, requires_grad)


def _shape(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(int(n) for n in args[0])
    if len(args) == 1 and isinstance(args[0], int):
        return (args[0],)
    return tuple(int(n) for n in args)
