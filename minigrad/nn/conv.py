"""nn.Conv2d and nn.ConvTranspose2d: convolution layers over NCHW batches (PyTorch conventions)."""

import math

from minigrad import creation
from minigrad.functions.conv import conv2d, conv_transpose2d, pair
from minigrad.nn import init
from minigrad.nn.module import Module, Parameter


class _ConvNd(Module):
    """What both layers share: the weight, the optional bias and PyTorch's default initialization."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, bias, weight_shape, op):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = pair(kernel_size, "kernel_size", op, 1)
        self.stride = pair(stride, "stride", op, 1)
        self.padding = pair(padding, "padding", op, 0)
        self.dilation = pair(dilation, "dilation", op, 1)
        self.weight = Parameter(creation.zeros(*weight_shape, *self.kernel_size))
        self.bias = Parameter(creation.zeros(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """W ~ kaiming_uniform(a=√5) = U(−1/√fan_in, 1/√fan_in), b ~ U(−1/√fan_in, 1/√fan_in), with
        fan_in read from the weight's axis 1 (in·kh·kw for Conv2d, out·kh·kw for ConvTranspose2d)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if getattr(self, "output_padding", (0, 0)) != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        return text + ("" if self.bias is not None else ", bias=False")


class Conv2d(_ConvNd):
    """y = conv2d(x, W, b): (N, in_channels, H, W) -> (N, out_channels, OH, OW),
    OH = ⌊(H + 2p − d·(k − 1) − 1) / s⌋ + 1. Weight (out_channels, in_channels, kh, kw)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, bias,
                         (out_channels, in_channels), "Conv2d")

    def forward(self, x):
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)


class ConvTranspose2d(_ConvNd):
    """y = conv_transpose2d(x, W, b), the adjoint of a Conv2d(out_channels, in_channels) with the same
    geometry: (N, in_channels, H, W) -> (N, out_channels, OH, OW),
    OH = (H − 1)·s − 2p + d·(k − 1) + output_padding + 1. Weight (in_channels, out_channels, kh, kw)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, dilation=1,
                 bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, bias,
                         (in_channels, out_channels), "ConvTranspose2d")
        self.output_padding = pair(output_padding, "output_padding", "ConvTranspose2d", 0)
        if any(op >= s for op, s in zip(self.output_padding, self.stride)):
            raise ValueError(f"ConvTranspose2d: output_padding {self.output_padding} must be smaller than the "
                             f"stride {self.stride}")

    def forward(self, x):
        return conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                self.dilation)
