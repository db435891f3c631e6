"""Fused elementwise kernels: one GPU kernel where a formula would launch several.

On a GPU every NumPy-style operation is a kernel launch and a trip through memory: the
stable sigmoid ``where(x >= 0, 1/(1+e), e/(1+e))`` with ``e = exp(-|x|)`` is seven of them,
an Adam update per parameter a dozen. An :class:`Elementwise` states such a formula twice,
side by side, and each backend runs its own spelling:

* ``cuda``: the body of a ``cupy.ElementwiseKernel`` (C++ on one element; its parameter
  lists name the inputs and outputs), compiled once per dtype on first use. One launch.
* ``fallback(xp, *args)``: the same formula with the array module's functions, for NumPy
  and the strict CPU stand-in of CuPy (and for CuPy too when kernels are switched off
  with ``MINIGRAD_FUSED_KERNELS=0``, e.g. to compare).

The two must agree: ``tests/test_elementwise.py`` compiles each CUDA body as C++ with the
host compiler (when one is present) and compares it with the fallback, so a kernel is
checked on machines without a GPU too. Keep the bodies to what C++ and CUDA share:
``exp``, ``log1p``, ``sqrt``, ``pow``, ``fabs``, ``fmax``, ``fmin``, arithmetic and ``?:``; a
``raw`` parameter (read as ``name[0]``) only for a 0-d array.

Kernels compute; they are not ops. A Function's forward may call one (the math stays in
its docstring and its backward is still written with ops); optimizers call them on raw
arrays under ``no_grad``.
"""

import os

import numpy

from minigrad import backend as _backend

_numpy_array = numpy.ndarray

ENABLED = os.environ.get("MINIGRAD_FUSED_KERNELS", "1").strip() not in ("0", "false", "no")


class Elementwise:
    """An elementwise formula with a CUDA spelling (one kernel) and an array-module spelling.

    ``in_params`` / ``out_params`` use CuPy's syntax (``"T x, T t"``, ``"T y"``). Outputs
    given as arguments are written in place (as CuPy does); outputs not given are allocated.
    ``fallback(xp, *args)`` receives the same arguments and returns the same outputs.
    """

    def __init__(self, name, in_params, out_params, cuda, fallback):
        self.name = name
        self.in_params = in_params
        self.out_params = out_params
        self.cuda = cuda
        self.fallback = fallback
        self._kernel = None

    def __call__(self, *args):
        first = args[0]
        if type(first) is _numpy_array:
            return self.fallback(numpy, *args)
        if ENABLED and type(first).__module__.startswith("cupy") and _one_float_dtype(args):
            if self._kernel is None:
                cupy = _backend.module_for("cupy")
                self._kernel = cupy.ElementwiseKernel(self.in_params, self.out_params, self.cuda,
                                                      "minigrad_" + self.name)
            return self._kernel(*args)
        return self.fallback(_backend.get_array_module(first), *args)

    def __repr__(self):
        return f"Elementwise({self.name!r}: ({self.in_params}) -> ({self.out_params}))"


def _one_float_dtype(args):
    """True when every array argument has the first one's floating dtype (what ``T`` needs)."""
    dtype = args[0].dtype
    if dtype.kind != "f":
        return False
    for arg in args:
        if hasattr(arg, "dtype") and arg.dtype != dtype:
            return False
    return True


# ----- the kernels ---------------------------------------------------------------------------

# Subnormal floats (below 1.2e−38 in float32) are slow on x86 CPUs: exp, log1p and division
# take 4-60x longer on them. A VAE's logits pass −87 within its first epoch (the black
# background), where e^(−|x|) becomes subnormal; the kernels below keep every exponential
# at or above e^(−80) = 1.8e−35 (normal) and write 0 where the exact value is smaller.
EXP_FLOOR = -80.0


def _sigmoid(xp, x):
    e = xp.negative(x)
    xp.maximum(e, EXP_FLOOR, out=e)                 # e^(−80) is already below float32's 1 − y resolution
    with numpy.errstate(over="ignore"):  # e⁻ˣ = ∞ for x < −88 (float32): y = 1/∞ = 0, as it should be
        xp.exp(e, out=e)
    e += 1
    return xp.reciprocal(e, out=e)


sigmoid = Elementwise(
    "sigmoid", "T x", "T y",
    "y = (T)1 / ((T)1 + exp(fmax(-x, (T)-80)));",
    _sigmoid,
)
"""σ(x) = 1/(1 + e⁻ˣ). Stable as it stands: where e⁻ˣ overflows to ∞ the result is its
limit 0, and tiny outputs keep their relative precision (down to the smallest normal float).
The exponent is floored at −80 (no subnormal e⁻ˣ): y = 1 there in float32 and float64 alike."""


def _sigmoid_grad(xp, y, gy):
    gx = 1 - y
    gx *= y
    gx *= gy
    return gx


sigmoid_grad = Elementwise(
    "sigmoid_grad", "T y, T gy", "T gx",
    "gx = gy * y * ((T)1 - y);",
    _sigmoid_grad,
)
"""gy · y(1 − y): the gradient of the sigmoid from its output y."""


def _relu_grad(xp, x, gy):
    return gy * (x > 0)  # float · bool keeps the float dtype


relu_grad = Elementwise(
    "relu_grad", "T x, T gy", "T gx",
    "gx = gy * (T)(x > (T)0);",
    _relu_grad,
)
"""gy·[x > 0]: the gradient of relu."""


def _bce_with_logits(xp, x, t):
    e = xp.abs(x)
    normal = e < -EXP_FLOOR                          # where e^(−|x|) is not subnormal
    xp.minimum(e, -EXP_FLOOR, out=e)
    xp.negative(e, out=e)
    xp.exp(e, out=e)
    e *= normal                                      # e^(−|x|) < 1.8e−35 counts as 0
    y = xp.log1p(e)
    y += xp.maximum(x, 0)
    y -= x * t
    return y, e


bce_with_logits = Elementwise(
    "bce_with_logits", "T x, T t", "T y, T e",
    "T a = fabs(x); e = a < (T)80 ? exp(-a) : (T)0; y = fmax(x, (T)0) - x * t + log1p(e);",
    _bce_with_logits,
)
"""y = max(x, 0) − x·t + log(1 + e^(−|x|)): binary cross-entropy of logits x against targets t,
and e = e^(−|x|), which the gradient reuses (e below 1.8e−35, for |x| ≥ 80, is written as 0:
no subnormal arithmetic; y and σ(x) are then exact to float32 and within 1.8e−35 in float64)."""


def _bce_with_logits_grad(xp, x, e, t, g):
    gx = xp.maximum(e, x >= 0)                       # 1 where x ≥ 0, else e (e ≤ 1): σ's numerator
    gx /= e + 1                                      # σ(x) = 1/(1 + e) for x ≥ 0, e/(1 + e) for x < 0
    gx -= t
    gx *= g
    return gx


bce_with_logits_grad = Elementwise(
    "bce_with_logits_grad", "T x, T e, T t, T g", "T gx",
    "gx = g * ((x >= (T)0 ? (T)1 : e) / ((T)1 + e) - t);",
    _bce_with_logits_grad,
)
"""g·(σ(x) − t), the gradient of BCE with logits, from e = e^(−|x|) of the forward (no second
exponential; both branches are stable: neither divides large numbers)."""


def _gaussian_kl_terms(xp, mu, logvar):
    y = xp.exp(logvar)
    y += mu * mu
    y -= logvar
    y -= 1
    y *= 0.5
    return y


gaussian_kl_terms = Elementwise(
    "gaussian_kl_terms", "T mu, T logvar", "T y",
    "y = (T)0.5 * (mu * mu + exp(logvar) - (T)1 - logvar);",
    _gaussian_kl_terms,
)
"""½(μ² + e^logvar − 1 − logvar): the KL of N(μ, e^logvar) from N(0, 1), per dimension."""


def _gaussian_sample(xp, mu, logvar, eps):
    z = logvar * 0.5
    xp.exp(z, out=z)
    z *= eps
    z += mu
    return z


gaussian_sample = Elementwise(
    "gaussian_sample", "T mu, T logvar, T eps", "T z",
    "z = mu + exp((T)0.5 * logvar) * eps;",
    _gaussian_sample,
)
"""z = μ + e^(logvar/2)·ε: the reparameterization trick's sample, for a VAE's forward."""


ADAM_BLOCK = 1 << 16  # elements per block of the NumPy Adam: five float32 blocks (1.25 MB) stay in L2


def _adam(xp, grad, weight_decay, decay, beta1, beta2, step_size, bias2_sqrt, eps, param, m, v):
    if weight_decay:
        grad = grad + weight_decay * param  # a new array: the gradient is never written
    if decay != 1.0:
        param *= decay
    # The bias correction of v is folded into ε: m/(√v/c + ε) = c·m/(√v + c·ε), c = bias2_sqrt.
    constants = (1.0 - beta1, 1.0 - beta2, eps * bias2_sqrt, -(step_size * bias2_sqrt))
    if xp is not numpy:
        return _adam_pass(xp, grad, *constants, param, m, v, None)
    # On NumPy as 0-d arrays of the parameter's dtype: a ufunc takes one about 200 ns faster
    # than a Python float, and the passes make 72 such calls per VAE step.
    dtype = param.dtype
    constants = [numpy.array(c, dtype) for c in constants]
    n = param.size
    if n <= ADAM_BLOCK or not (grad.flags.c_contiguous and param.flags.c_contiguous
                               and m.flags.c_contiguous and v.flags.c_contiguous):
        return _adam_pass(xp, grad, *constants, param, m, v, None)
    # A dozen passes over a large parameter stream it through memory a dozen times; done a
    # block at a time, the block's five arrays stay in the L2 cache between passes. (A fresh
    # temporary per call was measured faster than one kept from step to step: freshly
    # allocated memory is likely what was just freed, still in the cache.)
    g, p, m1, v1 = grad.reshape(-1), param.reshape(-1), m.reshape(-1), v.reshape(-1)
    tmp = numpy.empty(ADAM_BLOCK, dtype)
    for start in range(0, n, ADAM_BLOCK):
        end = start + ADAM_BLOCK
        _adam_pass(xp, g[start:end], *constants, p[start:end], m1[start:end], v1[start:end],
                   tmp[:min(end, n) - start])
    return param, m, v


def _adam_pass(xp, g, one_minus_beta1, one_minus_beta2, eps_c, minus_step_c, param, m, v, tmp):
    # Twelve in-place passes, one temporary (c = bias2_sqrt).
    tmp = xp.subtract(g, m, out=tmp)
    tmp *= one_minus_beta1
    m += tmp                          # m = β₁m + (1 − β₁)g
    xp.multiply(g, g, out=tmp)
    tmp -= v
    tmp *= one_minus_beta2
    v += tmp                          # v = β₂v + (1 − β₂)g²
    xp.sqrt(v, out=tmp)
    tmp += eps_c                      # c·(√v̂ + ε)
    xp.divide(m, tmp, out=tmp)
    tmp *= minus_step_c
    param += tmp
    return param, m, v


adam = Elementwise(
    "adam",
    "T grad, T weight_decay, T decay, T beta1, T beta2, T step_size, T bias2_sqrt, T eps",
    "T param, T m, T v",
    """T g = grad + weight_decay * param;
       param *= decay;
       m = beta1 * m + ((T)1 - beta1) * g;
       v = beta2 * v + ((T)1 - beta2) * g * g;
       param -= step_size * (m / (sqrt(v) / bias2_sqrt + eps));""",
    _adam,
)
"""One Adam update of (param, m, v) in place (see minigrad.optim.Adam for the formulas).
``weight_decay``: L2 added to the gradient (0 for none); ``decay``: the factor 1 − lr·λ
of AdamW's decoupled decay (1 for none); ``step_size`` = lr/(1 − β₁ᵗ);
``bias2_sqrt`` = √(1 − β₂ᵗ)."""


def _adam_at_step(xp, grad, weight_decay, decay, beta1, beta2, lr, eps, step, param, m, v):
    step_size = lr / (1.0 - beta1 ** step)   # 0-d arrays: the step count never leaves the device
    bias2_sqrt = xp.sqrt(1.0 - beta2 ** step)
    return _adam(xp, grad, weight_decay, decay, beta1, beta2, step_size, bias2_sqrt, eps, param, m, v)


adam_at_step = Elementwise(
    "adam_at_step",
    "T grad, T weight_decay, T decay, T beta1, T beta2, T lr, T eps, raw T step",
    "T param, T m, T v",
    """T t = step[0];
       T g = grad + weight_decay * param;
       param *= decay;
       m = beta1 * m + ((T)1 - beta1) * g;
       v = beta2 * v + ((T)1 - beta2) * g * g;
       T bias2_sqrt = sqrt((T)1 - pow(beta2, t));
       param -= lr / ((T)1 - pow(beta1, t)) * (m / (sqrt(v) / bias2_sqrt + eps));""",
    _adam_at_step,
)
""":data:`adam` with the step t read from a 0-d array on the device (``Adam(capturable=True)``):
the bias corrections are computed in the kernel, so a CUDA graph that replays it stays right."""

KERNELS = (sigmoid, sigmoid_grad, relu_grad, bce_with_logits, bce_with_logits_grad, gaussian_kl_terms, gaussian_sample,
           adam, adam_at_step)
