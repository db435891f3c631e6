"""Neural-network layers, PyTorch style: ``Module``, ``Parameter`` and the layers built on them.

    from minigrad import nn
    import minigrad.functional as F

    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    loss = F.cross_entropy(model(x), labels)

Every layer is a small class whose ``forward`` calls a function of
:mod:`minigrad.functional`; ``nn.init`` holds the weight initializers.
"""

from minigrad.nn.module import Module, Parameter
from minigrad.nn.container import Sequential, ModuleList
from minigrad.nn.linear import Linear
from minigrad.nn.normalization import BatchNorm1d, BatchNorm2d
from minigrad.nn.dropout import Dropout
from minigrad.nn.shape import Flatten, Unflatten
from minigrad.nn.activation import (
    Identity, ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Softplus, Softmax, LogSoftmax,
)
from minigrad.nn.conv import Conv2d, ConvTranspose2d
from minigrad.nn.pooling import MaxPool2d, AvgPool2d, Upsample
from minigrad.nn import init
