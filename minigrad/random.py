"""Seeded random numbers on the active backend.

One generator per backend, created by :func:`manual_seed` (seed 0 until then): the
same seed gives the same numbers on every run of the same backend. NumPy and the
strict test backend use NumPy's PCG64 ``Generator``; CuPy uses its own generator on
the device, so its numbers differ from NumPy's for the same seed.
"""

import json

from minigrad import backend as _backend
from minigrad import cuda_graph as _cuda_graph

_generators = {}
_seeds = {}


def manual_seed(seed):
    """Seed the generators of every backend (those created later too)."""
    _seeds.clear()
    _generators.clear()
    _seeds["default"] = int(seed)


def _generator(xp=None):
    xp = xp or _backend.active_module()
    key = xp.__name__
    if key not in _generators:
        seed = _seeds.get("default", 0)
        if key.startswith("cupy"):
            _generators[key] = xp.random.RandomState(seed)
        else:
            _generators[key] = xp.random.default_rng(seed)
    return _generators[key]


def generator(xp=None):
    """The seeded generator of array module ``xp`` (the active backend by default).

    Its methods ``standard_normal(size, dtype=)``, ``random(size, dtype=)`` and
    ``permutation(n)`` exist on both NumPy's Generator and CuPy's RandomState.
    Refused inside a step being captured as a CUDA graph (its draws would be frozen into
    the graph): use :func:`normal` and :func:`uniform` there.
    """
    if _cuda_graph.active_session() is not None:
        raise _cuda_graph.CaptureError(
            "minigrad.random.generator() inside a graphed step: a CUDA graph would replay the numbers it drew at "
            "capture. Draw with minigrad.random.normal/uniform (refilled at every replay), or outside the step")
    return _generator(xp)


def normal(shape, dtype, xp=None):
    """Standard normal samples of ``shape`` and ``dtype``."""
    session = _cuda_graph._session  # read directly: this runs at every draw
    if session is not None:
        return session.random(xp or _backend.active_module(), shape, dtype, _normal)
    return _normal(shape, dtype, xp)


def uniform(shape, dtype, xp=None):
    """Uniform samples in [0, 1) of ``shape`` and ``dtype``."""
    session = _cuda_graph._session  # read directly: this runs at every draw
    if session is not None:
        return session.random(xp or _backend.active_module(), shape, dtype, _uniform)
    return _uniform(shape, dtype, xp)


def _normal(shape, dtype, xp):
    return _generator(xp).standard_normal(size=tuple(shape), dtype=dtype)


def _uniform(shape, dtype, xp):
    gen = _generator(xp)
    if hasattr(gen, "random_sample"):  # CuPy RandomState
        return gen.random_sample(size=tuple(shape), dtype=dtype)
    return gen.random(size=tuple(shape), dtype=dtype)


def get_rng_state():
    """The NumPy generators' state as a JSON string (for checkpoints; CuPy's is not saved)."""
    state = {"seed": _seeds.get("default", 0), "generators": {}}
    for key, gen in _generators.items():
        if hasattr(gen, "bit_generator"):
            state["generators"][key] = gen.bit_generator.state
    return json.dumps(state)


def set_rng_state(text):
    """Restore what :func:`get_rng_state` returned."""
    state = json.loads(text)
    manual_seed(state["seed"])
    for key, gen_state in state["generators"].items():
        xp = _backend.module_for("strict" if "strict" in key else "numpy")
        _generator(xp).bit_generator.state = gen_state
