"""Shared fixtures of the autoencoder tests: float64 for gradchecks, and the gradcheck helpers.

pytest runs with ``--import-mode=importlib``, so test files cannot import one another: the
helpers are plain functions here, handed to a test through a fixture of the same name.

Gradchecks run on tiny networks in float64. They avoid ReLU's kink on purpose:
``assert_no_relu_kink`` fails when any ReLU input of the checked configuration lies within
1e-3 of 0 (far more than gradcheck's step of 1e-6), so a failure can only be a wrong gradient.
"""

import numpy as np
import pytest

import minigrad
from minigrad import nn


@pytest.fixture
def float64():
    previous = minigrad.get_default_dtype()
    minigrad.set_default_dtype("float64")
    yield
    minigrad.set_default_dtype(previous)


def _gradcheck_parameters(model, objective, params=None, **options):
    """gradcheck of ``objective()`` with respect to ``params`` (default: every parameter of ``model``)."""
    params = list(model.parameters()) if params is None else list(params)
    originals = [p.data for p in params]

    def fn(*values):  # called with the parameters themselves and with perturbed copies of them
        for p, value in zip(params, values):
            p.data = value.data
        return objective()

    try:
        return minigrad.gradcheck(fn, params, **options)
    finally:
        for p, original in zip(params, originals):
            p.data = original


def _as_function_of_parameters(model, loss):
    """(fn, params): ``fn(*params)`` evaluates ``loss()`` with ``params`` standing in for the
    model's parameters, so that gradcheck can perturb them one at a time."""
    slots = [(module, name) for _, module in model.named_modules()
             for name, p in module._parameters.items() if p is not None]
    originals = [module._parameters[name] for module, name in slots]

    def fn(*params):
        for (module, name), p in zip(slots, params):
            module._parameters[name] = p
        try:
            return loss()
        finally:
            for (module, name), p in zip(slots, originals):
                module._parameters[name] = p

    return fn, originals


def _assert_no_relu_kink(model, run, margin=1e-3):
    """Run ``run()`` and fail if any ReLU of ``model`` receives an input within ``margin`` of 0."""
    seen = []
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    originals = [m.forward for m in relus]
    for m, forward in zip(relus, originals):
        def spy(x, forward=forward):
            seen.append(np.abs(x.numpy()).min())
            return forward(x)
        object.__setattr__(m, "forward", spy)
    try:
        run()
    finally:
        for m in relus:
            del m.__dict__["forward"]
    assert seen and min(seen) > margin, f"a ReLU input is within {margin} of 0: pick another seed"


@pytest.fixture
def gradcheck_parameters():
    return _gradcheck_parameters


@pytest.fixture
def as_function_of_parameters():
    return _as_function_of_parameters


@pytest.fixture
def assert_no_relu_kink():
    return _assert_no_relu_kink
