"""The one module that decides the array backend.

minigrad runs the same code on NumPy (CPU) and CuPy (GPU). Ops never import an
array library themselves: they ask for the module of their inputs with
:func:`get_array_module` and call ``xp.exp``, ``xp.matmul`` ... on it. New arrays
(constructors, random numbers, data batches) go to the *active* backend, chosen by

* the environment variable ``MINIGRAD_BACKEND=numpy|cupy`` at import time,
* :func:`set_backend`, or
* the :func:`use_backend` context manager.

A third backend, ``"strict"``, is a CPU stand-in for CuPy used by the test suite:
its arrays refuse implicit conversion to NumPy, so a stray ``np.`` call on a
device array fails in CI, where no GPU exists (see ``minigrad.testing.strict_cupy``).
"""

import contextlib
import os

import numpy

BACKENDS = ("numpy", "cupy", "strict")
GPU_INSTALL_HINT = 'pip install ".[gpu]"  (a prebuilt cupy-cuda12x or cupy-cuda13x wheel)'


class BackendError(RuntimeError):
    """A backend was asked for that cannot be used here, or arrays of two backends met."""


_modules = {"numpy": numpy}
_active_name = "numpy"


def _load_module(name):
    """Import a backend's array module on first use (CuPy only when asked for)."""
    if name in _modules:
        return _modules[name]
    if name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)}")
    if name == "strict":
        from minigrad.testing import strict_cupy as module
    else:
        try:
            import cupy as module
        except ImportError as exc:
            raise BackendError(
                f"backend 'cupy' needs CuPy, which is not installed ({exc}). Install it with: {GPU_INSTALL_HINT}"
            ) from None
        try:
            count = module.cuda.runtime.getDeviceCount()
        except Exception as exc:  # CUDA driver missing or broken
            raise BackendError(f"backend 'cupy': CuPy is installed but no usable GPU was found ({exc})") from None
        if count == 0:
            raise BackendError("backend 'cupy': CuPy is installed but no GPU is visible (getDeviceCount() == 0)")
    _modules[name] = module
    return module


def set_backend(name):
    """Make ``name`` ("numpy", "cupy" or the test-only "strict") the active backend."""
    global _active_name
    _load_module(name)
    _active_name = name


def get_backend():
    """The name of the active backend."""
    return _active_name


def active_module():
    """The array module (``numpy``, ``cupy`` ...) of the active backend."""
    return _modules[_active_name]


def module_for(name):
    """The array module of backend ``name``, imported if needed."""
    return _load_module(name)


@contextlib.contextmanager
def use_backend(name):
    """Run a block with ``name`` as the active backend, then restore the previous one."""
    previous = _active_name
    set_backend(name)
    try:
        yield module_for(name)
    finally:
        set_backend(previous)


def cupy_available():
    """True when CuPy imports and sees at least one GPU."""
    try:
        _load_module("cupy")
    except BackendError:
        return False
    return True


def backend_of(array):
    """The backend name an array belongs to ("numpy", "cupy" or "strict")."""
    if isinstance(array, (numpy.ndarray, numpy.generic)):
        return "numpy"
    module = type(array).__module__
    if module.startswith("cupy"):
        return "cupy"
    if module == "minigrad.testing.strict_cupy":
        return "strict"
    raise TypeError(f"expected an array of a minigrad backend, got {type(array).__name__}")


def get_array_module(*arrays, op="operation"):
    """The array module of ``arrays``; an error naming ``op`` if they mix backends.

    Non-array arguments (Python scalars, None) are ignored.
    """
    if len(arrays) == 1 and type(arrays[0]) is numpy.ndarray:  # the common case, decided at once
        return numpy
    name = None
    for array in arrays:
        if array is None or isinstance(array, (int, float, bool)):
            continue
        this = backend_of(array)
        if name is None:
            name = this
        elif this != name:
            shapes = ", ".join(f"{backend_of(a)} {tuple(a.shape)}" for a in arrays if hasattr(a, "shape"))
            raise BackendError(
                f"{op}: inputs live on two backends ({name} and {this}; inputs: {shapes}). "
                f"Move them to one backend first, e.g. tensor.to({name!r})."
            )
    return _modules[name] if name is not None else active_module()


def to_numpy(array):
    """A host NumPy copy (or view, for NumPy input) of an array of any backend."""
    name = backend_of(array)
    if name == "numpy":
        return numpy.asarray(array)
    return array.get()


def to_backend(array, name):
    """``array`` moved to backend ``name`` (no copy when it is already there)."""
    if backend_of(array) == name:
        return array
    return module_for(name).asarray(to_numpy(array))


def _init_from_environment():
    name = os.environ.get("MINIGRAD_BACKEND", "").strip().lower()
    if name:
        if name not in ("numpy", "cupy"):
            raise BackendError(f"MINIGRAD_BACKEND={name!r}: expected 'numpy' or 'cupy'")
        set_backend(name)


_init_from_environment()
