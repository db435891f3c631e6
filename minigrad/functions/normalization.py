"""Normalization: batch_norm (the function behind nn.BatchNorm1d / nn.BatchNorm2d)."""

from minigrad.autograd import Function, is_grad_enabled
from minigrad.backend import get_array_module
from minigrad.functions.reduction import mean, sum as _sum
from minigrad.functions.shape import reshape
from minigrad.tensor import Tensor


def _standardize(x, axes, eps):
    """x̂ = (x − μ)/σ and 1/σ with minigrad ops (differentiable), statistics over ``axes``."""
    centered = x - mean(x, axes, keepdims=True)
    inv_std = (mean(centered * centered, axes, keepdims=True) + eps) ** -0.5
    return centered * inv_std, inv_std


class BatchNormTrain(Function):
    """Batch normalization with the statistics of the batch, per channel (axis 1).

    μ, σ² = mean, biased variance of x over every axis but 1 (n values each)
    x̂ = (x − μ) / √(σ² + ε) ,  y = γ x̂ + β

    ∂L/∂x = γ/√(σ² + ε) · (g − mean(g) − x̂ · mean(g x̂)) ,  ∂L/∂γ = Σ g x̂ ,  ∂L/∂β = Σ g

    (g = ∂L/∂y, means and sums over the same axes as the statistics). Forward keeps x̂ and
    1/σ; when the backward pass is itself recorded (create_graph) they are recomputed
    with ops from x so that second derivatives are right too.
    """

    def __init__(self, eps):
        self.eps = eps

    def forward(self, x, weight, bias):
        xp = get_array_module(x)
        self.axes = (0,) + tuple(range(2, x.ndim))
        self.param_shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        self.mean = x.mean(axis=self.axes, keepdims=True)
        centered = x - self.mean
        self.var = (centered * centered).mean(axis=self.axes, keepdims=True)
        self.inv_std = 1.0 / xp.sqrt(self.var + self.eps)
        self.x_hat = centered * self.inv_std
        return self.x_hat * weight.reshape(self.param_shape) + bias.reshape(self.param_shape)

    def backward(self, gy):
        x, weight, bias = self.inputs
        if is_grad_enabled():
            x_hat, inv_std = _standardize(x, self.axes, self.eps)
        else:
            x_hat, inv_std = Tensor._wrap(self.x_hat), Tensor._wrap(self.inv_std)
        gx = gw = gb = None
        if x.requires_grad:
            g_mean = mean(gy, self.axes, keepdims=True)
            gx_hat_mean = mean(gy * x_hat, self.axes, keepdims=True)
            gamma = reshape(weight, self.param_shape)
            gx = (gamma * inv_std) * (gy - g_mean - x_hat * gx_hat_mean)
        if weight.requires_grad:
            gw = reshape(_sum(gy * x_hat, self.axes, keepdims=True), weight.shape)
        if bias.requires_grad:
            gb = reshape(_sum(gy, self.axes, keepdims=True), bias.shape)
        return gx, gw, gb


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalize each channel (axis 1) of ``x`` (N, C) or (N, C, *) to zero mean and unit variance,
    then scale by ``weight`` and shift by ``bias`` (both (C,), or None for 1 and 0).

    In ``training`` (or without running statistics) the batch's mean and biased variance
    are used, and ``running_mean``/``running_var`` (Tensors of shape (C,), updated in place)
    move towards the batch's mean and *unbiased* variance:
    ``running = (1 − momentum)·running + momentum·batch``, as in PyTorch. Otherwise the
    running statistics normalize, and y = x·γ/√(rv + ε) + (β − rm·γ/√(rv + ε)).
    """
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input (N, C) or (N, C, *), got shape {x.shape}")
    channels = x.shape[1]
    xp = x.xp
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        if value is not None and value.shape != (channels,):
            raise ValueError(f"batch_norm: {name} has shape {value.shape}, expected ({channels},) "
                             f"for an input of shape {x.shape}")
    weight = Tensor._wrap(xp.ones(channels, dtype=x.dtype)) if weight is None else weight
    bias = Tensor._wrap(xp.zeros(channels, dtype=x.dtype)) if bias is None else bias
    if training or running_mean is None or running_var is None:
        count = x.size // channels
        if count < 2:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input shape {x.shape}")
        function = BatchNormTrain(eps)
        y = function(x, weight, bias)
        if training and running_mean is not None and running_var is not None:
            batch_mean = function.mean.reshape(channels)
            batch_var = function.var.reshape(channels) * (count / (count - 1))
            running_mean.data = (1 - momentum) * running_mean.data + momentum * batch_mean.astype(running_mean.dtype)
            running_var.data = (1 - momentum) * running_var.data + momentum * batch_var.astype(running_var.dtype)
        return y
    shape = (1, channels) + (1,) * (x.ndim - 2)
    inv_std = Tensor._wrap((1.0 / xp.sqrt(running_var.data + eps)).astype(x.dtype))
    scale = weight * inv_std
    shift = bias - Tensor._wrap(running_mean.data.astype(x.dtype)) * scale
    return x * reshape(scale, shape) + reshape(shift, shape)
