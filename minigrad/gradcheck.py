"""Check gradients against finite differences: ``gradcheck``, ``gradgradcheck``, ``numerical_grad``.

    x = minigrad.randn(3, 4, dtype="float64", requires_grad=True)
    minigrad.gradcheck(lambda x: minigrad.tanh(x), [x])          # True, or GradcheckError

The conventions are PyTorch's (``torch.autograd.gradcheck``): ``eps=1e-6``,
``atol=1e-5``, ``rtol=1e-3``, inputs in float64, an element passes when
``|analytical − numerical| <= atol + rtol·|numerical|``.

Why central differences
-----------------------
For a smooth scalar function φ, Taylor's theorem gives

    φ(x ± ε) = φ(x) ± ε·φ'(x) + ε²/2·φ''(x) ± ε³/6·φ'''(x) + O(ε⁴)

so in the *central* difference the even terms cancel:

    (φ(x + ε) − φ(x − ε)) / 2ε = φ'(x) + ε²/6·φ'''(x) + O(ε⁴)        error O(ε²)

while the one-sided difference (φ(x + ε) − φ(x)) / ε keeps ε/2·φ''(x): error O(ε).
With ε = 1e-6 the truncation error is about 1e-13·|φ'''|.

Why float64
-----------
Each evaluation of φ is itself rounded, with a relative error of about u·|φ|
(u ≈ 1.1e-16 in float64, 6e-8 in float32). Dividing the difference of two rounded
values by 2ε magnifies that to about u·|φ|/ε. The total error

    ε²/6·|φ'''|  +  u·|φ|/ε

is smallest near ε ≈ u^(1/3). In float64 with ε = 1e-6 both terms are tiny (≈ 1e-13
and ≈ 1e-10). In float32 the rounding term is ≈ 0.06·|φ|: the "numerical gradient" is
noise, and ``x + 1e-6`` may even round back to ``x``. That is why gradcheck warns when
an input is not float64 (if you must check float32, use ε ≈ 1e-3 and rtol ≈ 1e-2).

Kinks
-----
Where φ is not differentiable (relu and abs at 0, clip at its bounds, max with a tie)
a central difference that straddles the kink averages the two one-sided slopes
(relu at 0 gives 0.5) while the analytic gradient picks one side. Both are "right";
they just answer different questions. Check at points well away from kinks (much
farther than ε); our op table keeps every input at least 0.1 away, without ties.

Non-scalar outputs
------------------
Backward computes a vector-Jacobian product gᵀJ, not J itself, so gradcheck compares
gradients of the scalar φ(x) = ⟨g, fn(x)⟩ (sum of g · output over all elements, and
over all outputs when fn returns several). g is 1 for one-element outputs and a fixed
random normal array (from ``seed``) otherwise, the same for both sides. A random g
matters: with g = ones, softmax's gradient would be checked only through
sum(softmax(x)) = 1, whose gradient is always zero.

Modes
-----
``mode="full"`` perturbs every element of every input: 2 evaluations of fn per
element, and reports the worst element. ``mode="random"`` checks directional
derivatives instead: for a random unit direction v of an input,
(φ(x + εv) − φ(x − εv)) / 2ε must equal v·∇φ. That costs 2 evaluations per direction
whatever the input's size, and a wrong gradient is caught with probability 1 by a
random direction (unless the error happens to be orthogonal to it).

Second order
------------
``gradgradcheck`` applies the same check to the function x ↦ ∇ₓ⟨g, fn(x)⟩, whose
analytic gradient is computed with ``create_graph=True`` (so it is itself a graph)
and whose numerical gradient is the central difference of that first-order analytic
gradient. It catches backward methods that are right to first order but not
differentiable (math on ``.data`` instead of minigrad ops).
"""

import warnings

import numpy

from minigrad import backend as _backend
from minigrad.autograd import grad as _grad
from minigrad.tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "numerical_grad"]


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with finite differences.

    Attributes: ``input_index``, ``index`` (the worst element, a tuple; None in random
    mode), ``direction`` (the failing direction in random mode, else None),
    ``analytical`` and ``numerical`` (floats).
    """

    def __init__(self, message, *, input_index, index, direction, analytical, numerical):
        super().__init__(message)
        self.input_index = input_index
        self.index = index
        self.direction = direction
        self.analytical = analytical
        self.numerical = numerical


# ----- numerical gradients -----------------------------------------------------------

def numerical_grad(fn, inputs, eps=1e-6, grad_output=None):
    """Central-difference gradient of ⟨grad_output, fn(*inputs)⟩ for every input.

    Each element of each floating Tensor input is moved by ±eps (on a host float64
    copy, converted back to the input's dtype and backend), and fn is evaluated on the
    inputs' backend. ``grad_output`` defaults to ones, i.e. the gradient of
    ``fn(*inputs).sum()``; for a non-scalar output pass a fixed random array (or a list,
    one per output) to test more than the sum. Returns one host float64 NumPy array per
    input (None for inputs that are not floating Tensors).
    """
    inputs = _as_tuple(inputs)
    outputs = _call(fn, inputs)
    if grad_output is None:
        weights = [numpy.ones(out.shape) for out in outputs]
    else:
        weights = [_host(g.data if isinstance(g, Tensor) else g) for g in _as_tuple(grad_output)]
        for k, (w, out) in enumerate(zip(weights, outputs)):
            if w.shape != out.shape:
                raise ValueError(f"numerical_grad: grad_output {k} has shape {w.shape}, output has {out.shape}")
    return [
        _numerical_full(fn, inputs, i, eps, weights) if _is_float_tensor(x) else None
        for i, x in enumerate(inputs)
    ]


def _numerical_full(fn, inputs, i, eps, weights):
    """∂φ/∂xᵢ element by element, with φ = ⟨weights, fn(inputs)⟩."""
    shape = inputs[i].shape
    result = numpy.zeros(shape)
    for index in numpy.ndindex(*shape):
        direction = numpy.zeros(shape)
        direction[index] = 1.0
        result[index] = _directional(fn, inputs, i, direction, eps, weights)
    return result


def _directional(fn, inputs, i, direction, eps, weights):
    """(φ(xᵢ + ε·d) − φ(xᵢ − ε·d)) / 2ε for a host array d shaped like input i."""
    x = inputs[i]
    base = _host(x.data)
    values = []
    for sign in (1.0, -1.0):
        moved = list(inputs)
        moved[i] = _like(x, base + sign * eps * direction, requires_grad=x.requires_grad)
        values.append(_project(_call(fn, moved), weights))
    return (values[0] - values[1]) / (2.0 * eps)


# ----- analytic gradients ------------------------------------------------------------

def _analytical(outputs, inputs, indices, weights):
    """∂φ/∂xᵢ from the backward pass over fn's ``outputs``, as host float64 arrays, and
    whether those outputs are connected to the graph at all."""
    pairs = [(out, w) for out, w in zip(outputs, weights) if out.requires_grad]
    if not pairs:
        return [numpy.zeros(inputs[i].shape) for i in indices], False
    grads = _grad(
        [out for out, _ in pairs], [inputs[i] for i in indices],
        grad_outputs=[_like(out, w) for out, w in pairs], allow_unused=True,
    )
    # allow_unused: an input that fn does not use gets no gradient, i.e. zero.
    return [numpy.zeros(inputs[i].shape) if g is None else _host(g.data) for i, g in zip(indices, grads)], True


# ----- the checks ----------------------------------------------------------------------

def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, mode="full",
              n_directions=8, seed=0):
    """Compare the gradient of ``fn`` from backward with central differences.

    ``fn(*inputs)`` returns a Tensor (or a tuple of Tensors); every input Tensor with
    ``requires_grad=True`` is checked (other inputs are passed through untouched). See
    the module docstring for the projection of non-scalar outputs and for
    ``mode="full"`` (every element) vs ``mode="random"`` (``n_directions`` random
    directions per input). Returns True on success; on failure raises
    :class:`GradcheckError` naming the input, the worst element, both values, the
    errors and the tolerance, or returns False if ``raise_exception=False``.
    """
    inputs = _as_tuple(inputs)
    _warn_if_not_float64(inputs, "gradcheck")
    return _check(fn, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception, mode=mode,
                  n_directions=n_directions, seed=seed, what="gradcheck", constant_ok=False)


def gradgradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, mode="full",
                  n_directions=8, seed=0):
    """Check second derivatives: the gradient of x ↦ ∇ₓ⟨g, fn(x)⟩.

    The first-order gradient is computed with ``minigrad.grad(..., create_graph=True)``
    (g: 1 for one-element outputs, else a fixed random array); its analytic gradient
    (projected again with a fixed random array) is compared with central differences
    of the first-order analytic gradient itself. Same arguments and result as
    :func:`gradcheck`.
    """
    inputs = _as_tuple(inputs)
    _warn_if_not_float64(inputs, "gradgradcheck")
    indices = _differentiable(inputs, "gradgradcheck")
    weights = _projections(_call(fn, inputs), numpy.random.default_rng(seed + 1))

    def first_order(*tensors):
        outputs = _call(fn, tensors)
        pairs = [(out, w) for out, w in zip(outputs, weights) if out.requires_grad]
        if not pairs:
            raise ValueError("gradgradcheck: fn's output does not depend on any input that requires grad")
        grads = _grad(
            [out for out, _ in pairs], [tensors[i] for i in indices],
            grad_outputs=[_like(out, w) for out, w in pairs], create_graph=True, allow_unused=True,
        )
        return tuple(_like(tensors[i], numpy.zeros(tensors[i].shape)) if g is None else g
                     for i, g in zip(indices, grads))

    # A first-order gradient may legitimately be constant (fn linear): its second
    # derivative is then zero, which the numerical side must confirm.
    return _check(first_order, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception,
                  mode=mode, n_directions=n_directions, seed=seed, what="gradgradcheck", constant_ok=True)


def _check(fn, inputs, *, eps, atol, rtol, raise_exception, mode, n_directions, seed, what, constant_ok):
    if mode not in ("full", "random"):
        raise ValueError(f"{what}: mode must be 'full' or 'random', got {mode!r}")
    indices = _differentiable(inputs, what)
    rng = numpy.random.default_rng(seed)
    outputs = _call(fn, inputs)
    weights = _projections(outputs, rng)
    analytical, connected = _analytical(outputs, inputs, indices, weights)
    if not connected and not constant_ok:
        raise ValueError(
            f"{what}: fn's output does not depend on any input that requires grad (no output has "
            "requires_grad): was it computed under no_grad(), from .data, or with detach()?"
        )
    for i, a in zip(indices, analytical):
        if mode == "full":
            n = _numerical_full(fn, inputs, i, eps, weights)
            failure = _worst_element(a, n, atol, rtol)
        else:
            failure = _random_directions(fn, inputs, i, a, eps, weights, atol, rtol, n_directions, rng)
        if failure is not None:
            if not raise_exception:
                return False
            raise _error(what, inputs, i, failure, atol, rtol, mode)
    return True


def _worst_element(a, n, atol, rtol):
    """The failing element with the largest excess error (None if all pass)."""
    error = numpy.abs(a - n)
    allowed = atol + rtol * numpy.abs(n)
    failing = ~(error <= allowed)  # NaN fails too
    if not failing.any():
        return None
    excess = numpy.where(numpy.isnan(error), numpy.inf, error - allowed)
    index = numpy.unravel_index(int(numpy.argmax(excess)), a.shape)
    return {"index": tuple(int(k) for k in index), "direction": None, "analytical": float(a[index]),
            "numerical": float(n[index]), "count": int(failing.sum()), "total": a.size}


def _random_directions(fn, inputs, i, a, eps, weights, atol, rtol, n_directions, rng):
    """Directional derivatives along random unit vectors v: numerical vs v·analytical."""
    for k in range(n_directions):
        v = rng.standard_normal(a.shape)
        v /= numpy.linalg.norm(v) or 1.0
        numerical = _directional(fn, inputs, i, v, eps, weights)
        analytical = float((a * v).sum())
        if not abs(analytical - numerical) <= atol + rtol * abs(numerical):
            return {"index": None, "direction": k, "analytical": analytical, "numerical": numerical}
    return None


def _error(what, inputs, i, failure, atol, rtol, mode):
    x = inputs[i]
    label = f"input {i}" + (f" ({x.name!r})" if x.name else "") + f" of shape {x.shape}, {x.dtype}"
    a, n = failure["analytical"], failure["numerical"]
    error = abs(a - n)
    relative = error / abs(n) if n != 0 else float("inf")
    order = "second derivative (gradient of the gradient)" if what == "gradgradcheck" else "gradient"
    if mode == "full":
        where = f"element {failure['index']} ({failure['count']} of {failure['total']} elements fail)"
    else:
        where = f"random direction {failure['direction']} (directional derivative v·gradient)"
    message = (
        f"{what}: the {order} of {label} disagrees with central differences at {where}:\n"
        f"    analytical: {a:.10g}\n"
        f"    numerical:  {n:.10g}\n"
        f"    absolute error {error:.3g}, relative error {relative:.3g}\n"
        f"    allowed: |analytical - numerical| <= atol + rtol * |numerical| = {atol:g} + {rtol:g} * {abs(n):.3g}"
    )
    return GradcheckError(message, input_index=i, index=failure["index"], direction=failure["direction"],
                          analytical=a, numerical=n)


# ----- small helpers -----------------------------------------------------------------

def _as_tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _call(fn, inputs):
    outputs = _as_tuple(fn(*inputs))
    for k, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"fn must return a Tensor or a tuple of Tensors; output {k} is a {type(out).__name__}")
    return outputs


def _is_float_tensor(x):
    return isinstance(x, Tensor) and numpy.issubdtype(x.dtype, numpy.floating)


def _differentiable(inputs, what):
    indices = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not indices:
        raise ValueError(f"{what}: no input has requires_grad=True, so there is nothing to check")
    return indices


def _warn_if_not_float64(inputs, what):
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype != numpy.float64:
            warnings.warn(
                f"{what}: input {i} is {x.dtype}, not float64: finite differences with eps=1e-6 are "
                "dominated by rounding error in low precision; use x.double()",
                UserWarning, stacklevel=3,
            )


def _projections(outputs, rng):
    """One fixed weight array per output: 1 for a one-element output, N(0, 1) otherwise."""
    return [numpy.ones(out.shape) if out.size == 1 else rng.standard_normal(out.shape) for out in outputs]


def _project(outputs, weights):
    """⟨weights, outputs⟩, summed on the host in float64."""
    return float(sum((_host(out.data) * w).sum() for out, w in zip(outputs, weights)))


def _host(array):
    """A host float64 NumPy copy of an array of any backend."""
    return numpy.array(_backend.to_numpy(array), dtype=numpy.float64)


def _like(x, host, requires_grad=False):
    """A new tensor with the backend and dtype of ``x`` holding the host array ``host``."""
    xp = _backend.module_for(x.backend)
    return Tensor(xp.asarray(numpy.asarray(host).astype(x.dtype)), requires_grad=requires_grad)
