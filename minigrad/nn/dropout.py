"""nn.Dropout: inverted dropout in training, the identity in evaluation."""

from minigrad.functions.noise import dropout
from minigrad.nn.module import Module


class Dropout(Module):
    """Zero each element with probability ``p`` while training and scale the others by 1/(1−p)."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
