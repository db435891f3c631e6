"""Weight initialization, in place, with PyTorch's names and formulas.

Every function fills ``tensor.data`` with new values of the same shape, dtype and
backend (the Parameter object stays the same) from the seeded generator of that
backend (:func:`minigrad.manual_seed`), and returns the tensor.

Fans: for a weight (out, in) fan_in = in and fan_out = out; for a convolution weight
(out, in, kh, kw) both are multiplied by the receptive field kh·kw. As in PyTorch the
fans are read from axes 0 and 1 whatever the layer, so for a transposed convolution's
weight (in, out, kh, kw) "fan_in" is out·kh·kw.

=====================  ===========================================================
xavier_uniform_        U(−b, b),  b = gain·√(6 / (fan_in + fan_out))   (Glorot)
xavier_normal_         N(0, s²),  s = gain·√(2 / (fan_in + fan_out))
kaiming_uniform_       U(−b, b),  b = gain·√(3 / fan)                  (He)
kaiming_normal_        N(0, s²),  s = gain / √fan
variance_scaling_      variance scale / n, n = fan_in, fan_out or their mean (JAX / Keras)
=====================  ===========================================================

with gain = :func:`calculate_gain` (nonlinearity, a) and fan = fan_in or fan_out (``mode``).

Layer defaults (as PyTorch): ``Linear``, ``Conv2d`` and ``ConvTranspose2d`` weights use
``kaiming_uniform_(w, a=√5)``, which is U(−1/√fan_in, 1/√fan_in); their biases
U(−1/√fan_in, 1/√fan_in). BatchNorm starts with weight 1 and bias 0.
"""

import math

from minigrad import random as _random

_LINEAR = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """The factor that keeps activations' variance steady through ``nonlinearity``:

    linear, conv, sigmoid: 1 ;  tanh: 5/3 ;  relu: √2 ;  leaky_relu (slope a, default 0.01): √(2 / (1 + a²)) ;
    selu: 3/4
    """
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight (a Tensor or a shape) of at least 2 axes; see the module docstring."""
    shape = tuple(tensor.shape) if hasattr(tensor, "shape") else tuple(tensor)
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a weight of at least 2 dimensions, got shape {shape}")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _fan(tensor, mode):
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    if mode == "fan_avg":
        return (fan_in + fan_out) / 2
    raise ValueError(f"init: mode must be 'fan_in' or 'fan_out' (or 'fan_avg' for variance_scaling_), got {mode!r}")


def _fill(tensor, array):
    tensor.data = array
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with U(a, b)."""
    return _fill(tensor, _random.uniform(tensor.shape, tensor.dtype, tensor.xp) * (b - a) + a)


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with N(mean, std²)."""
    return _fill(tensor, _random.normal(tensor.shape, tensor.dtype, tensor.xp) * std + mean)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    """Fill with N(mean, std²) restricted to [a, b] (out-of-range samples are redrawn)."""
    if not a < b:
        raise ValueError(f"trunc_normal_: the bounds must satisfy a < b, got a={a}, b={b}")
    xp = tensor.xp
    values = _random.normal(tensor.shape, tensor.dtype, xp) * std + mean
    outside = (values < a) | (values > b)
    while outside.any().item():
        redraw = _random.normal(tensor.shape, tensor.dtype, xp) * std + mean
        values = xp.where(outside, redraw, values)
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def constant_(tensor, value):
    return _fill(tensor, tensor.xp.full(tensor.shape, value, dtype=tensor.dtype))


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0):
    """Glorot uniform: U(−b, b) with b = gain·√(6 / (fan_in + fan_out)), variance gain²·2/(fan_in + fan_out)."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Glorot normal: N(0, s²) with s = gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He uniform: U(−b, b) with b = gain·√(3 / fan), gain = calculate_gain(nonlinearity, a)
    (a: the negative slope of leaky_relu; a = 0 is relu's √2)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He normal: N(0, s²) with s = gain / √fan."""
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode)))


def variance_scaling_(tensor, scale=1.0, mode="fan_in", distribution="truncated_normal"):
    """JAX/Keras' variance scaling: samples of variance ``scale / n``, n = fan_in, fan_out or
    fan_avg, from "truncated_normal" (cut at ±2 std, rescaled to keep the variance), "normal"
    or "uniform". ``scale=2, mode="fan_in"`` is He; ``scale=1, mode="fan_avg"`` is Glorot."""
    variance = scale / _fan(tensor, mode)
    if distribution == "truncated_normal":
        # The std of N(0, 1) cut to [−2, 2] is 0.8796…: divide by it to keep the variance.
        std = math.sqrt(variance) / 0.87962566103423978
        return trunc_normal_(tensor, 0.0, std, -2.0 * std, 2.0 * std)
    if distribution == "normal":
        return normal_(tensor, 0.0, math.sqrt(variance))
    if distribution == "uniform":
        bound = math.sqrt(3.0 * variance)
        return uniform_(tensor, -bound, bound)
    raise ValueError(f"variance_scaling_: distribution must be 'truncated_normal', 'normal' or 'uniform', "
                     f"got {distribution!r}")


# The names of the papers, as aliases.
glorot_uniform_ = xavier_uniform_
glorot_normal_ = xavier_normal_
he_uniform_ = kaiming_uniform_
he_normal_ = kaiming_normal_
