"""nn.Linear: the fully connected layer y = x Wᵀ + b."""

import math

from minigrad import creation
from minigrad.functions.connection import linear
from minigrad.nn import init
from minigrad.nn.module import Module, Parameter


class Linear(Module):
    """y = x Wᵀ + b with weight W (out_features, in_features) and bias b (out_features,).

    Initialized as in PyTorch: W ~ kaiming_uniform(a=√5), i.e. U(−1/√in, 1/√in), and
    b ~ U(−1/√in, 1/√in). Input (…, in_features), output (…, out_features).
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(creation.zeros(out_features, in_features))
        self.bias = Parameter(creation.zeros(out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        parameters = self._parameters  # what self.weight and self.bias look up, without the detour
        return linear(x, parameters["weight"], parameters.get("bias"))  # no bias: a plain None attribute

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
