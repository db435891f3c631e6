"""Shared fixtures: every engine test runs on each backend available here.

* "numpy": the CPU backend.
* "strict": a CPU stand-in for CuPy whose arrays refuse implicit conversion to
  NumPy, so a stray ``np.`` call on a device array fails here, without a GPU.
* "cupy": real CuPy, only where CuPy and a GPU are present (skipped otherwise).
"""

import numpy
import pytest

import minigrad

TEST_BACKENDS = ("numpy", "strict", "cupy")


@pytest.fixture(params=TEST_BACKENDS)
def backend(request):
    """The name of a backend, active for the duration of the test."""
    name = request.param
    if name == "cupy" and not minigrad.cupy_available():
        pytest.skip("CuPy with a GPU is not available here")
    with minigrad.use_backend(name):
        minigrad.manual_seed(0)
        yield name


@pytest.fixture
def rng():
    """A host NumPy generator for test data (copied to the backend with minigrad.tensor)."""
    return numpy.random.default_rng(1234)
