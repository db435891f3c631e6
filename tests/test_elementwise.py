"""Fused elementwise kernels: the CUDA body and the array-module fallback compute the same thing.

Without a GPU, the CUDA body of each kernel is compiled as C++ with the host compiler, in the
shape CuPy gives it (``const T x`` for an input element, ``T& y`` for an output element,
``const T* s`` for a ``raw`` input),
run over random data and compared with the NumPy fallback in float32 and float64. With
``nvcc`` present the same bodies are also compiled as CUDA device code (syntax and overloads).
On a machine with CuPy and a GPU, the backend-parametrized tests run the real kernels.
"""

import ctypes
import shutil
import subprocess

import numpy
import pytest

import minigrad
from minigrad import functional as F
from minigrad.functions import elementwise

# Inputs for each kernel: name -> (in arrays/scalars, out arrays) as NumPy float64.
rng = numpy.random.default_rng(7)
N = 257


def _cases():
    x = rng.normal(0, 4, N)
    x[:4] = (-80.0, 80.0, 0.0, -0.0)
    return {
        "sigmoid": ([x], []),
        "sigmoid_grad": ([rng.uniform(0, 1, N), rng.normal(0, 1, N)], []),
        "bce_with_logits": ([x, rng.uniform(0, 1, N)], []),
        "bce_with_logits_grad": ([x, numpy.exp(-abs(x)) * (abs(x) < 80), rng.uniform(0, 1, N), rng.normal(0, 1, N)], []),
        "relu_grad": ([x, rng.normal(0, 1, N)], []),
        "gaussian_kl_terms": ([rng.normal(0, 1, N), rng.normal(0, 2, N)], []),
        "gaussian_sample": ([rng.normal(0, 1, N), rng.normal(0, 2, N), rng.normal(0, 1, N)], []),
        "adam": ([rng.normal(0, 1, N), 0.01, 0.999, 0.9, 0.999, 1e-3 / (1 - 0.9 ** 3), (1 - 0.999 ** 3) ** 0.5, 1e-8],
                 [rng.normal(0, 1, N), rng.normal(0, 0.1, N), rng.uniform(0, 0.1, N)]),
        "adam_at_step": ([rng.normal(0, 1, N), 0.01, 0.999, 0.9, 0.999, 1e-3, 1e-8, numpy.array(3.0)],
                         [rng.normal(0, 1, N), rng.normal(0, 0.1, N), rng.uniform(0, 0.1, N)]),
    }


def _names(params):
    return [p.split()[-1] for p in params.split(",")]


def _source(kernels, cuda=False):
    lines = ["#include <cmath>", "using namespace std;"]
    for kernel in kernels:
        ins, outs = _names(kernel.in_params), _names(kernel.out_params)
        for T in ("float", "double"):
            args = ", ".join([f"const {T}* {n}__p" for n in ins] + [f"{T}* {n}__p" for n in outs])
            raw = {p.split()[-1] for p in kernel.in_params.split(",") if p.split()[0] == "raw"}
            loads = ("".join(f"const T* {n} = {n}__p; " if n in raw else f"const T {n} = {n}__p[i]; " for n in ins)
                     + "".join(f"T& {n} = {n}__p[i]; " for n in outs))
            if cuda:
                lines.append(f'extern "C" __global__ void {kernel.name}_{T}(long n, {args}) {{ typedef {T} T; '
                             f"long i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) {{ {loads} {{ {kernel.cuda} }} }} }}")
            else:
                lines.append(f'extern "C" void {kernel.name}_{T}(long n, {args}) {{ typedef {T} T; '
                             f"for (long i = 0; i < n; ++i) {{ {loads} {{ {kernel.cuda} }} }} }}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    compiler = shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
    if compiler is None:
        pytest.skip("no C++ compiler to check the CUDA bodies on the host")
    folder = tmp_path_factory.mktemp("kernels")
    source, library = folder / "kernels.cpp", folder / "kernels.so"
    source.write_text(_source(elementwise.KERNELS))
    result = subprocess.run([compiler, "-O1", "-shared", "-fPIC", "-o", str(library), str(source)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + "\n" + source.read_text()
    return ctypes.CDLL(str(library))


def _run_compiled(library, kernel, dtype, ins, outs):
    T = "float" if dtype == numpy.float32 else "double"
    arrays = [numpy.ascontiguousarray(numpy.broadcast_to(numpy.asarray(a, dtype), (N,))) for a in ins]
    results = [numpy.array(o, dtype) for o in outs] or [numpy.empty(N, dtype) for _ in _names(kernel.out_params)]
    fn = getattr(library, f"{kernel.name}_{T}")
    fn(ctypes.c_long(N), *[a.ctypes.data_as(ctypes.c_void_p) for a in arrays + results])
    return results


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
@pytest.mark.parametrize("kernel", elementwise.KERNELS, ids=lambda k: k.name)
def test_cuda_body_matches_fallback(compiled, kernel, dtype):
    ins, outs = _cases()[kernel.name]
    expected = kernel.fallback(numpy, *[numpy.asarray(a, dtype) if isinstance(a, numpy.ndarray) else a for a in ins],
                               *[numpy.array(o, dtype) for o in outs])
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = _run_compiled(compiled, kernel, dtype, ins, outs)
    rtol = 2e-5 if dtype == numpy.float32 else 1e-12
    for e, g in zip(expected, got):
        numpy.testing.assert_allclose(g, e, rtol=rtol, atol=rtol * float(numpy.abs(e).max()))  # cancellation near 0


def test_cuda_bodies_compile_with_nvcc(tmp_path):
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("nvcc not installed")
    source = tmp_path / "kernels.cu"
    source.write_text(_source(elementwise.KERNELS, cuda=True))
    result = subprocess.run([nvcc, "-c", "-o", str(tmp_path / "kernels.o"), str(source)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def test_every_kernel_is_tested():
    assert {k.name for k in elementwise.KERNELS} == set(_cases())


def test_kernels_run_on_every_backend(backend):
    x = minigrad.tensor([[-30.0, -1.0, 0.0, 2.0, 40.0]])
    t = minigrad.tensor([[0.0, 1.0, 0.5, 1.0, 0.0]])
    numpy.testing.assert_allclose(minigrad.sigmoid(x).numpy(), 1 / (1 + numpy.exp(-x.numpy())), rtol=1e-6)
    expected = numpy.maximum(x.numpy(), 0) - x.numpy() * t.numpy() + numpy.log1p(numpy.exp(-abs(x.numpy())))
    got = F.binary_cross_entropy_with_logits(x, t, reduction="none").numpy()
    numpy.testing.assert_allclose(got, expected, rtol=1e-6)
    assert got.dtype == numpy.float32
