"""Backend selection (NumPy, CuPy, the strict CuPy stand-in), moving tensors between
backends, refusing to mix them, seeding and default dtypes."""

import os
import pathlib
import subprocess
import sys

import numpy
import pytest

import minigrad
from minigrad import backend as backend_module

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_python(code, **env):
    environment = dict(os.environ, PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                          timeout=60)


# ----- choosing the backend ------------------------------------------------------------

def test_minigrad_backend_environment_variable():
    result = run_python("import minigrad; print(minigrad.get_backend(), minigrad.ones(2).backend)",
                        MINIGRAD_BACKEND="numpy")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["numpy", "numpy"]

    result = run_python("import minigrad", MINIGRAD_BACKEND="tpu")
    assert result.returncode != 0
    assert "BackendError" in result.stderr
    assert "MINIGRAD_BACKEND='tpu'" in result.stderr and "'numpy' or 'cupy'" in result.stderr


def test_use_backend_and_set_backend_restore():
    start = minigrad.get_backend()
    with minigrad.use_backend("strict"):
        assert minigrad.get_backend() == "strict"
        assert minigrad.zeros(2).backend == "strict"
    assert minigrad.get_backend() == start

    with pytest.raises(ZeroDivisionError):
        with minigrad.use_backend("strict"):
            1 / 0
    assert minigrad.get_backend() == start  # restored on errors too

    try:
        minigrad.set_backend("strict")
        assert minigrad.ones(1).backend == "strict"
    finally:
        minigrad.set_backend(start)
    assert minigrad.ones(1).backend == start

    with pytest.raises(minigrad.BackendError, match="unknown backend 'tpu'"):
        minigrad.set_backend("tpu")
    assert minigrad.get_backend() == start


def test_cupy_without_cupy_names_the_install_command(monkeypatch):
    start = minigrad.get_backend()
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes `import cupy` raise ImportError
    monkeypatch.delitem(backend_module._modules, "cupy", raising=False)
    with pytest.raises(minigrad.BackendError) as info:
        minigrad.set_backend("cupy")
    assert 'pip install ".[gpu]"' in str(info.value)
    assert minigrad.get_backend() == start
    assert minigrad.cupy_available() is False


# ----- mixing and moving ---------------------------------------------------------------

def test_mixing_backends_in_an_op_names_the_op_and_both_backends():
    host = numpy.ones(3, dtype=numpy.float32)
    with minigrad.use_backend("strict"):
        device = minigrad.ones(3, requires_grad=True)
    for attempt, op in [(lambda: host + device, "Add"), (lambda: device + host, "Add"),
                        (lambda: device * minigrad.tensor(host, backend="numpy"), "Mul"),
                        (lambda: minigrad.matmul(device, minigrad.ones(3, backend="numpy")), "MatMul")]:
        with pytest.raises(minigrad.BackendError) as info:
            attempt()
        message = str(info.value)
        assert message.startswith(op + ":")
        assert "numpy" in message and "strict" in message


def test_to_moves_between_backends_and_back(rng):
    values = rng.standard_normal((2, 3)).astype(numpy.float32)
    x = minigrad.tensor(values, requires_grad=True)
    on_strict = x.to("strict")
    assert on_strict.backend == "strict" and on_strict.dtype == numpy.float32
    assert on_strict.requires_grad
    back = on_strict.to("numpy")
    assert back.backend == "numpy"
    numpy.testing.assert_array_equal(back.numpy(), values)
    assert x.to("float64").dtype == numpy.float64


def test_numpy_returns_a_host_copy(backend):
    x = minigrad.tensor([1.0, 2.0, 3.0])
    host = x.numpy()
    assert type(host) is numpy.ndarray
    host[0] = 100.0
    assert x.numpy()[0] == 1.0  # a copy, not a view of the tensor
    assert isinstance(x.sum().item(), float)  # reductions come back through item()


def test_creation_functions_use_the_active_backend(backend):
    like = minigrad.ones(2, 2)
    made = [minigrad.tensor([1.0]), minigrad.zeros(2), like, minigrad.full((2,), 3.0), minigrad.arange(4),
            minigrad.randn(3), minigrad.rand(3), minigrad.zeros_like(like), minigrad.ones_like(like),
            minigrad.randn_like(like), minigrad.full_like(like, 7.0)]
    for tensor in made:
        assert tensor.backend == backend
    other = "numpy" if backend != "numpy" else "strict"
    assert minigrad.zeros(2, backend=other).backend == other


def test_manual_seed_makes_random_numbers_repeatable(backend):
    minigrad.manual_seed(123)
    first = minigrad.randn(5).numpy()
    minigrad.manual_seed(123)
    second = minigrad.randn(5).numpy()
    minigrad.manual_seed(124)
    third = minigrad.randn(5).numpy()
    numpy.testing.assert_array_equal(first, second)
    assert not numpy.allclose(first, third)


def test_float32_by_default_and_float64_on_request(backend):
    assert minigrad.tensor([1.0]).dtype == numpy.float32
    assert minigrad.randn(2).dtype == numpy.float32
    assert minigrad.zeros(2).dtype == numpy.float32
    x = minigrad.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    assert x.dtype == numpy.float64
    y = (minigrad.exp(x) * 2 + 1).sum()
    assert y.dtype == numpy.float64
    y.backward()
    assert x.grad.dtype == numpy.float64
    minigrad.set_default_dtype("float64")
    try:
        assert minigrad.randn(2).dtype == numpy.float64 and minigrad.tensor([1.0]).dtype == numpy.float64
    finally:
        minigrad.set_default_dtype("float32")
    with pytest.raises(ValueError, match="float32 or float64"):
        minigrad.set_default_dtype("int32")
