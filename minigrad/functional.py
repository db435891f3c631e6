"""The functional interface, ``import minigrad.functional as F`` (PyTorch's ``torch.nn.functional``).

Stateless functions on Tensors; the layers of :mod:`minigrad.nn` call them.

* activations: relu, leaky_relu, elu, sigmoid, tanh, softplus, softmax, log_softmax, logsumexp
* layers: linear, conv2d, conv_transpose2d, max_pool2d, avg_pool2d, upsample_nearest2d, dropout,
  batch_norm, one_hot, pad
* losses (reduction="mean" | "sum" | "none"): mse_loss, l1_loss, binary_cross_entropy,
  binary_cross_entropy_with_logits, cross_entropy, nll_loss, gaussian_kl, gaussian_nll

Axes are called ``axis`` as in NumPy (``F.softmax(x, 1)``; PyTorch's ``dim``).
"""

from minigrad.functions.activation import relu, leaky_relu, elu, sigmoid, tanh, softplus
from minigrad.functions.reduction import softmax, log_softmax, logsumexp
from minigrad.functions.connection import linear
from minigrad.functions.conv import conv2d, conv_transpose2d
from minigrad.functions.pooling import max_pool2d, avg_pool2d, upsample_nearest2d
from minigrad.functions.noise import dropout
from minigrad.functions.normalization import batch_norm
from minigrad.functions.shape import pad
from minigrad.functions.loss import (
    one_hot, mse_loss, l1_loss, binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, nll_loss,
    gaussian_kl, gaussian_nll,
)

__all__ = [
    "relu", "leaky_relu", "elu", "sigmoid", "tanh", "softplus", "softmax", "log_softmax", "logsumexp",
    "linear", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "upsample_nearest2d",
    "dropout", "batch_norm", "one_hot", "pad",
    "mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
    "gaussian_kl", "gaussian_nll",
]
