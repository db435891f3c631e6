"""nn.BatchNorm1d and nn.BatchNorm2d: per-channel normalization with running statistics."""

from minigrad import creation
from minigrad.functions.normalization import batch_norm
from minigrad.nn.module import Module, Parameter


class _BatchNorm(Module):
    """Normalize each channel with the batch's statistics while training (updating the running
    mean and unbiased variance with ``momentum``) and with the running ones in evaluation.
    ``affine`` adds a learned scale (weight, init 1) and shift (bias, init 0)."""

    expected_ndim = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.weight = Parameter(creation.ones(num_features)) if affine else None
        self.bias = Parameter(creation.zeros(num_features)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features))
            self.register_buffer("running_var", creation.ones(num_features))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.data = self.running_mean.xp.zeros_like(self.running_mean.data)
            self.running_var.data = self.running_var.xp.ones_like(self.running_var.data)

    def forward(self, x):
        if x.ndim not in self.expected_ndim:
            wanted = " or ".join(f"{n}-d" for n in self.expected_ndim)
            raise ValueError(f"{type(self).__name__}: expected a {wanted} input, got shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}): input has {x.shape[1]} channels "
                             f"(shape {x.shape}), expected {self.num_features}")
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          training=self.training, momentum=self.momentum, eps=self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs over N (and L)."""

    expected_ndim = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs over N, H and W."""

    expected_ndim = (4,)
