"""Losses, PyTorch's conventions: ``loss(input, target, reduction="mean"|"sum"|"none")``.

Each loss checks its shapes up front and names itself and both shapes when they do
not fit. The ones that are more than two or three ops are a single Function with the
closed-form gradient beside it (fewer nodes, and numerically stable forms such as
log1p(exp(−|x|)) instead of log(sigmoid(x))). Every backward is written with ops, so
second derivatives work (except where a docstring says otherwise).

Two losses are not in PyTorch and serve the VAE family:

* ``gaussian_kl(mu, logvar)``: KL(N(mu, exp(logvar)) ‖ N(0, I)) per sample, summed over
  the last axis (the latent dimensions); "mean" averages it over the samples.
* ``gaussian_nll(x, mean, logvar)``: −log N(x; mean, exp(logvar)) per element, including
  the constant ½·log 2π; reductions as in ``mse_loss`` (over all elements).
"""

import math

import numpy

from minigrad.autograd import Function, is_grad_enabled
from minigrad.backend import get_array_module
from minigrad.functions import activation as _activation
from minigrad.functions import elementwise as _elementwise
from minigrad.functions import math as _math
from minigrad.functions.reduction import log_softmax, mean as _mean, softmax, sum as _sum, sum_to
from minigrad.functions.shape import reshape
from minigrad.tensor import Tensor, as_tensor

REDUCTIONS = ("mean", "sum", "none")
_LOG_2PI = math.log(2.0 * math.pi)


# ----- shared checks ---------------------------------------------------------------------

def _check_reduction(name, reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return _mean(loss)
    if reduction == "sum":
        return _sum(loss)
    return loss


def _reduction_scale(reduction, size):
    """The factor of a fused sum: 1 for "sum", 1/n for "mean" (NaN for an empty input, as a mean)."""
    if reduction == "sum":
        return 1.0
    return 1.0 / size if size else float("nan")


def _same_shape(name, input, target, names=("input", "target")):
    if input.shape != target.shape:
        raise ValueError(f"{name}: {names[0]} shape {input.shape} and {names[1]} shape {target.shape} differ; "
                         "they must be equal")


def _as_tensor(value, like):
    return value if isinstance(value, Tensor) else as_tensor(value, like=(like,))


def _labels_array(name, logits, labels):
    """The integer label array of ``labels`` for class scores ``logits`` (N, C, *), checked."""
    labels = labels.data if isinstance(labels, Tensor) else labels
    if not hasattr(labels, "dtype") or not numpy.issubdtype(labels.dtype, numpy.integer):
        raise TypeError(f"{name}: labels must be an integer tensor of class indices, "
                        f"got {getattr(labels, 'dtype', type(labels).__name__)}")
    if logits.ndim < 2:
        raise ValueError(f"{name}: input must be (N, C) or (N, C, *) class scores, got shape {logits.shape}")
    expected = logits.shape[:1] + logits.shape[2:]
    if tuple(labels.shape) != expected:
        raise ValueError(f"{name}: input shape {logits.shape} and labels shape {tuple(labels.shape)} do not fit "
                         f"(labels must have shape {expected}: the input's without the class axis 1)")
    get_array_module(logits.data, labels, op=name)  # one backend
    classes = logits.shape[1]
    if labels.size and ((labels < 0) | (labels >= classes)).any().item():
        raise ValueError(f"{name}: labels must lie in [0, {classes - 1}] for {classes} classes, got values in "
                         f"[{labels.min().item()}, {labels.max().item()}]")
    return labels


def _one_hot_array(labels, num_classes, dtype, axis):
    """Array of ``labels`` with a one-hot class axis inserted at ``axis``."""
    xp = get_array_module(labels)
    labels = xp.expand_dims(labels, axis)
    shape = [1] * labels.ndim
    shape[axis] = num_classes
    return (labels == xp.arange(num_classes).reshape(shape)).astype(dtype)


def one_hot(labels, num_classes=-1, dtype="int64"):
    """One-hot encoding of integer ``labels`` (…,) as (…, num_classes) (not differentiable).

    ``num_classes=-1`` takes ``labels.max() + 1``. The dtype is int64 as in PyTorch;
    pass ``dtype="float32"`` to use the result in arithmetic with float tensors.
    """
    array = labels.data if isinstance(labels, Tensor) else labels
    if not numpy.issubdtype(array.dtype, numpy.integer):
        raise TypeError(f"one_hot: labels must be integers, got {array.dtype}")
    if num_classes == -1:
        num_classes = int(array.max().item()) + 1 if array.size else 0
    if array.size and ((array < 0) | (array >= num_classes)).any().item():
        raise ValueError(f"one_hot: labels must lie in [0, {num_classes - 1}], got values in "
                         f"[{array.min().item()}, {array.max().item()}]")
    return Tensor._wrap(_one_hot_array(array, num_classes, numpy.dtype(dtype), -1))


# ----- regression -----------------------------------------------------------------------

class SquaredError(Function):
    """ℓ = Σ (x − t)² · s  (s = 1 for "sum", 1/n for "mean": the loss and its reduction fused)

    ∂ℓ/∂x = 2s(x − t) ,  ∂ℓ/∂t = −2s(x − t)

    Forward keeps the difference d = x − t (its sum of squares is one dot product), and
    backward scales it: one pass each way.
    """

    def __init__(self, scale):
        self.scale = scale

    def forward(self, x, t):
        self.diff = d = x - t
        return get_array_module(d).vdot(d, d) * self.scale

    def backward(self, g):
        x, t = self.inputs
        if is_grad_enabled():  # create_graph: gx must stay a function of x and t
            gx = (x - t) * _times(g, 2.0 * self.scale)
        else:
            gx = Tensor._wrap(self.diff * (g.data * (2.0 * self.scale)))
        return (gx if x.requires_grad else None), (-gx if t.requires_grad else None)


def _times(g, c):
    """g·c for an incoming gradient g and a constant c: an op only when g is itself part of
    a graph (create_graph), else plain arithmetic on its array."""
    return g * c if g.requires_grad else Tensor._wrap(g.data * c)


def mse_loss(input, target, reduction="mean"):
    """Squared error (input − target)²."""
    _check_reduction("mse_loss", reduction)
    target = _as_tensor(target, input)
    _same_shape("mse_loss", input, target)
    if reduction == "none" or input.dtype != target.dtype:
        return _reduce((input - target) ** 2, reduction)
    return SquaredError(_reduction_scale(reduction, input.size))(input, target)


def l1_loss(input, target, reduction="mean"):
    """Absolute error |input − target| (its gradient is the sign; 0 where they are equal)."""
    _check_reduction("l1_loss", reduction)
    target = _as_tensor(target, input)
    _same_shape("l1_loss", input, target)
    return _reduce(_math.abs(input - target), reduction)


# ----- binary classification ---------------------------------------------------------------

def _clamped_log(p):
    """log p clamped below at −100, as PyTorch's BCE: finite at p = 0, no warning."""
    xp = get_array_module(p)
    return xp.maximum(xp.log(xp.maximum(p, float(numpy.finfo(p.dtype).smallest_subnormal))), -100.0)


class BinaryCrossEntropy(Function):
    """ℓ = −[t·log p + (1 − t)·log(1 − p)]  (each log clamped at −100, as PyTorch, so p = 0 or 1 is finite)

    ∂ℓ/∂p = (p − t) / max(p(1 − p), 10⁻¹²) ,  ∂ℓ/∂t = log(1 − p) − log p

    The target's gradient uses the clamped logs as constants: its derivative with respect
    to p is not provided (an error under create_graph when both need gradients).
    """

    def forward(self, p, t):
        log_p, log_q = _clamped_log(p), _clamped_log(1 - p)
        self.log_odds = log_q - log_p  # the target's gradient
        return -(t * log_p + (1 - t) * log_q)

    def backward(self, g):
        p, t = self.inputs
        gp = gt = None
        if p.requires_grad:
            gp = g * (p - t) / _math.clip(p * (1 - p), 1e-12, None)
        if t.requires_grad:
            if p.requires_grad and is_grad_enabled():
                raise NotImplementedError("binary_cross_entropy: second derivatives through the gradient of the "
                                          "target are not implemented; use binary_cross_entropy_with_logits")
            gt = g * Tensor._wrap(self.log_odds)
        return gp, gt


def binary_cross_entropy(input, target, reduction="mean"):
    """Cross-entropy between probabilities ``input`` in [0, 1] and targets in [0, 1].

    Prefer :func:`binary_cross_entropy_with_logits` on the pre-sigmoid scores: it is
    stable where sigmoid saturates.
    """
    _check_reduction("binary_cross_entropy", reduction)
    target = _as_tensor(target, input)
    _same_shape("binary_cross_entropy", input, target)
    if input.size and ((input.data < 0) | (input.data > 1)).any().item():
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1] (apply sigmoid first, "
                         "or use binary_cross_entropy_with_logits on the scores)")
    return _reduce(BinaryCrossEntropy()(input, target), reduction)


class BinaryCrossEntropyWithLogits(Function):
    """ℓ = −[t·log σ(x) + (1 − t)·log(1 − σ(x))] = max(x, 0) − x·t + log(1 + e^(−|x|))

    ∂ℓ/∂x = σ(x) − t ,  ∂ℓ/∂t = −x

    Per element, or s·Σℓ with the reduction fused (``scale`` s = 1 for "sum", 1/n for
    "mean"; the gradients are then times s). The right-hand form never overflows: e^(−|x|) ≤ 1,
    so logits of ±1000 give finite values. Forward keeps e = e^(−|x|), and backward gets
    σ(x) from it without a second exponential.
    """

    def __init__(self, scale=None):
        self.scale = scale

    def forward(self, x, t):
        y, self.e = _elementwise.bce_with_logits(x, t)  # one fused kernel on CuPy
        return y if self.scale is None else y.sum() * self.scale

    def backward(self, g):
        x, t = self.inputs
        if self.scale is not None:
            g = _times(g, self.scale)
        gx = BCEWithLogitsGrad(self.e)(x, t, g) if x.requires_grad else None  # g·(σ(x) − t), one op
        gt = -g * x if t.requires_grad else None
        return gx, gt


class BCEWithLogitsGrad(Function):
    """gx = g·(σ(x) − t): the gradient of BCE with logits as one op (one kernel on CuPy)

    ∂gx/∂x = g·σ(x)(1 − σ(x)) ,  ∂gx/∂t = −g ,  ∂gx/∂g = σ(x) − t   (for second derivatives)

    ``e`` = e^(−|x|) from the forward of the loss (a constant of the node, like relu's mask).
    """

    def __init__(self, e):
        self.e = e

    def forward(self, x, t, g):
        return _elementwise.bce_with_logits_grad(x, self.e, t, g)

    def backward(self, ggx):
        x, t, g = self.inputs
        s = _activation.sigmoid(x) if x.requires_grad or g.requires_grad else None
        gx = _activation.SigmoidGrad()(s, ggx * g) if x.requires_grad else None
        gt = -(ggx * g) if t.requires_grad else None
        gg = sum_to(ggx * (s - t), g.shape) if g.requires_grad else None  # g is a scalar under a reduction
        return gx, gt, gg


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    """Binary cross-entropy on scores (logits) ``input``: sigmoid and log fused, stable for any input."""
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    target = _as_tensor(target, input)
    _same_shape("binary_cross_entropy_with_logits", input, target)
    if reduction == "none":
        return BinaryCrossEntropyWithLogits()(input, target)
    return BinaryCrossEntropyWithLogits(_reduction_scale(reduction, input.size))(input, target)


# ----- multi-class classification --------------------------------------------------------

def _unsqueeze_class_axis(g):
    """(N, *) → (N, 1, *): broadcastable against scores (N, C, *)."""
    return reshape(g, g.shape[:1] + (1,) + g.shape[1:])


class CrossEntropy(Function):
    """ℓₙ = log Σ_c exp(xₙ꜀) − xₙ,yₙ  (log-softmax and negative log-likelihood fused, classes on axis 1)

    ∂ℓₙ/∂xₙ = softmax(xₙ) − onehot(yₙ)
    """

    def __init__(self, labels):
        self.labels = labels

    def forward(self, x):
        xp = get_array_module(x)
        shifted = x - x.max(axis=1, keepdims=True)  # exp never overflows
        log_sum = xp.log(xp.exp(shifted).sum(axis=1))
        picked = xp.take_along_axis(shifted, xp.expand_dims(self.labels, 1), axis=1)
        return log_sum - picked.squeeze(1)

    def backward(self, g):
        x, = self.inputs
        target = Tensor._wrap(_one_hot_array(self.labels, x.shape[1], x.dtype, 1))
        return _unsqueeze_class_axis(g) * (softmax(x, 1) - target)


def cross_entropy(input, target, reduction="mean"):
    """Cross-entropy of class scores (logits) ``input`` (N, C) or (N, C, *) against ``target``:

    * integer class indices (N,) or (N, *): ℓₙ = −log softmax(xₙ)[yₙ];
    * class probabilities of the input's shape (soft labels): ℓₙ = −Σ_c tₙ꜀ log softmax(xₙ)꜀.

    "mean" averages over the N (and *) positions, as PyTorch.
    """
    _check_reduction("cross_entropy", reduction)
    target_array = target.data if isinstance(target, Tensor) else target
    if hasattr(target_array, "dtype") and numpy.issubdtype(target_array.dtype, numpy.floating):
        target = _as_tensor(target, input)
        _same_shape("cross_entropy", input, target, ("input", "probability target"))
        return _reduce(-_sum(target * log_softmax(input, 1), 1), reduction)
    labels = _labels_array("cross_entropy", input, target)
    return _reduce(CrossEntropy(labels)(input), reduction)


class NLLLoss(Function):
    """ℓₙ = −xₙ,yₙ  (x: log-probabilities, classes on axis 1) ;  ∂ℓₙ/∂xₙ = −onehot(yₙ)"""

    def __init__(self, labels):
        self.labels = labels

    def forward(self, x):
        xp = get_array_module(x)
        return -xp.take_along_axis(x, xp.expand_dims(self.labels, 1), axis=1).squeeze(1)

    def backward(self, g):
        x, = self.inputs
        target = Tensor._wrap(_one_hot_array(self.labels, x.shape[1], x.dtype, 1))
        return _unsqueeze_class_axis(-g) * target


def nll_loss(input, target, reduction="mean"):
    """Negative log-likelihood of integer class ``target`` under log-probabilities ``input``
    (N, C) or (N, C, *), e.g. the output of ``log_softmax(x, 1)``."""
    _check_reduction("nll_loss", reduction)
    labels = _labels_array("nll_loss", input, target)
    return _reduce(NLLLoss(labels)(input), reduction)


# ----- Gaussian terms of the VAE ---------------------------------------------------------

class GaussianKL(Function):
    """KL(N(μ, σ²) ‖ N(0, 1)) summed over the last axis, with logvar = log σ²:

    KL = ½ Σ (μ² + e^logvar − 1 − logvar)
    ∂KL/∂μ = μ ,  ∂KL/∂logvar = ½ (e^logvar − 1)

    Per sample, or s·Σ over the samples too with the reduction fused (``scale`` s = 1 for
    "sum", 1/(number of samples) for "mean"; the gradients are then times s).
    """

    def __init__(self, scale=None):
        self.scale = scale

    def forward(self, mu, logvar):
        terms = _elementwise.gaussian_kl_terms(mu, logvar)
        return terms.sum(axis=-1) if self.scale is None else terms.sum() * self.scale

    def backward(self, g):
        mu, logvar = self.inputs
        g = reshape(g, g.shape + (1,)) if self.scale is None else _times(g, self.scale)
        gmu, glogvar = GaussianKLGrad()(g, mu, logvar)
        return (gmu if mu.requires_grad else None), (glogvar if logvar.requires_grad else None)


class GaussianKLGrad(Function):
    """(gμ, glogvar) = (g·μ, ½·g·(e^logvar − 1)): both gradients of the Gaussian KL as one op
    (g broadcasts against μ: one value per sample, or one for all under a reduction)

    For second derivatives, with ggμ and gglogvar the gradients of its outputs:
    ∂L/∂g = Σ ggμ·μ + gglogvar·½(e^logvar − 1)  (summed down to g's shape),
    ∂L/∂μ = ggμ·g ,  ∂L/∂logvar = gglogvar·½·g·e^logvar
    """

    def forward(self, g, mu, logvar):
        glogvar = get_array_module(logvar).exp(logvar)
        glogvar -= 1
        glogvar *= g
        glogvar *= 0.5
        return g * mu, glogvar

    def backward(self, ggmu, gglogvar):
        g, mu, logvar = self.inputs
        var = _math.exp(logvar)
        gg = sum_to(ggmu * mu + gglogvar * (0.5 * (var - 1)), g.shape) if g.requires_grad else None
        gmu = ggmu * g if mu.requires_grad else None
        glogvar = gglogvar * g * (0.5 * var) if logvar.requires_grad else None
        return gg, gmu, glogvar


def gaussian_kl(mu, logvar, reduction="mean"):
    """KL divergence of N(mu, exp(logvar)) from the standard normal N(0, I), in closed form:

        KL = −½ Σ_j (1 + logvar_j − mu_j² − exp(logvar_j))

    summed over the last axis (the latent dimensions) of ``mu`` and ``logvar`` (…, d).
    ``reduction``: "none" gives the per-sample KL (…,), "mean" its mean over the
    samples (the usual VAE term, per example), "sum" its sum.
    """
    _check_reduction("gaussian_kl", reduction)
    _same_shape("gaussian_kl", mu, logvar, ("mu", "logvar"))
    if mu.ndim < 1:
        raise ValueError("gaussian_kl: mu and logvar must have a latent axis (the last one), got 0-d tensors")
    if reduction == "none":
        return GaussianKL()(mu, logvar)
    return GaussianKL(_reduction_scale(reduction, mu.size // mu.shape[-1] if mu.shape[-1] else 0))(mu, logvar)


def _unbroadcast(grad, x):
    return sum_to(grad, x.shape) if x.requires_grad else None


class GaussianNLL(Function):
    """ℓ = −log N(x; m, e^v) = ½ (log 2π + v + (x − m)² e^(−v))  (v = logvar; m and v broadcast to x)

    ∂ℓ/∂x = (x − m) e^(−v) ,  ∂ℓ/∂m = −(x − m) e^(−v) ,  ∂ℓ/∂v = ½ (1 − (x − m)² e^(−v))
    """

    def forward(self, x, m, v):
        xp = get_array_module(x)
        d = x - m
        return 0.5 * (_LOG_2PI + v + d * d * xp.exp(-v))

    def backward(self, g):
        x, m, v = self.inputs
        d = x - m
        w = d * _math.exp(-v)
        gx = g * w if x.requires_grad else None
        gm = _unbroadcast(-g * w, m) if m.requires_grad else None
        gv = _unbroadcast(g * (0.5 * (1 - d * w)), v) if v.requires_grad else None
        return gx, gm, gv


def gaussian_nll(input, mean, logvar, reduction="mean"):
    """Negative log-likelihood of ``input`` under N(mean, exp(logvar)), per element:

        ½ (log 2π + logvar + (input − mean)² / exp(logvar))

    ``mean`` has the input's shape; ``logvar`` has it too or broadcasts to it (a scalar
    or per-feature log-variance). Unlike PyTorch's GaussianNLLLoss it takes the
    log-variance and keeps the constant. Reductions over all elements as in ``mse_loss``
    (for a VAE's per-sample sum use ``reduction="none"`` then ``.sum(-1).mean()``).
    """
    _check_reduction("gaussian_nll", reduction)
    mean = _as_tensor(mean, input)
    logvar = _as_tensor(logvar, input)
    _same_shape("gaussian_nll", input, mean, ("input", "mean"))
    try:
        broadcast = numpy.broadcast_shapes(logvar.shape, input.shape)
    except ValueError:
        broadcast = None
    if broadcast != input.shape:
        raise ValueError(f"gaussian_nll: logvar shape {logvar.shape} does not broadcast to input shape {input.shape}")
    return _reduce(GaussianNLL()(input, mean, logvar), reduction)
