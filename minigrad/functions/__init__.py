"""Every differentiable op of minigrad, grouped by category (one file each).

Each op is a :class:`~minigrad.autograd.Function` subclass whose ``forward`` and
``backward`` sit side by side with the derivative in its docstring, plus a
lowercase wrapper function (``mul(a, b)``) that is the public entry point.
"""

from minigrad.functions.shape import reshape, transpose, swapaxes, broadcast_to, cast
from minigrad.functions.reduction import sum, sum_to, mean
from minigrad.functions.math import exp, log
from minigrad.functions.arithmetic import add, sub, mul, div, neg, pow, compare
from minigrad.functions.linalg import matmul
