"""Every differentiable op of minigrad, grouped by category (one file each).

Each op is a :class:`~minigrad.autograd.Function` subclass whose ``forward`` and
``backward`` sit side by side with the derivative in its docstring, plus a
lowercase wrapper function (``mul(a, b)``) that is the public entry point.

* arithmetic: add, sub, mul, div, neg, pow, compare
* linalg: matmul
* math: exp, log, sqrt, abs, sin, cos, clip, maximum, minimum, where
* activation: tanh, sigmoid, relu, leaky_relu, elu, softplus
* reduction: sum, sum_to, mean, var, max, min, logsumexp, softmax, log_softmax
* shape: reshape, transpose, swapaxes, broadcast_to, cast, getitem, concatenate, stack, split, pad

``sum``, ``max``, ``min``, ``abs`` and ``pow`` shadow the builtins in this module.
"""

from minigrad.functions.shape import (
    reshape, transpose, swapaxes, broadcast_to, cast, getitem, concatenate, stack, split, pad,
)
from minigrad.functions.reduction import sum, sum_to, mean, var, max, min, logsumexp, softmax, log_softmax
from minigrad.functions.math import exp, log, sqrt, abs, sin, cos, clip, maximum, minimum, where
from minigrad.functions.activation import tanh, sigmoid, relu, leaky_relu, elu, softplus
from minigrad.functions.arithmetic import add, sub, mul, div, neg, pow, compare
from minigrad.functions.linalg import matmul

__all__ = [
    "add", "sub", "mul", "div", "neg", "pow", "compare",
    "matmul",
    "exp", "log", "sqrt", "abs", "sin", "cos", "clip", "maximum", "minimum", "where",
    "tanh", "sigmoid", "relu", "leaky_relu", "elu", "softplus",
    "sum", "sum_to", "mean", "var", "max", "min", "logsumexp", "softmax", "log_softmax",
    "reshape", "transpose", "swapaxes", "broadcast_to", "cast", "getitem", "concatenate", "stack", "split", "pad",
]
