"""nn.MaxPool2d, nn.AvgPool2d and nn.Upsample: parameter-free layers over NCHW batches."""

from minigrad.functions.pooling import avg_pool2d, max_pool2d, upsample_nearest2d
from minigrad.nn.module import Module


class MaxPool2d(Module):
    """Max over each window (stride defaults to kernel_size; padding, at most half the kernel, is −∞)."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        return max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over each window, zero padding included in the count (PyTorch's default)."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class Upsample(Module):
    """Upsampling by an integer ``scale_factor`` (or a pair); only ``mode="nearest"`` is implemented."""

    def __init__(self, scale_factor, mode="nearest"):
        super().__init__()
        if mode != "nearest":
            raise ValueError(f"Upsample: mode {mode!r} is not implemented; only 'nearest' is")
        self.scale_factor, self.mode = scale_factor, mode

    def forward(self, x):
        return upsample_nearest2d(x, self.scale_factor)

    def extra_repr(self):
        return f"scale_factor={self.scale_factor}, mode={self.mode!r}"
