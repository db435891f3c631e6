"""Connection layers as functions: linear (the fully connected layer, one fused op)."""

from minigrad.autograd import Function
from minigrad.functions.linalg import matmul
from minigrad.functions.reduction import sum_to
from minigrad.functions.shape import transpose


class Linear(Function):
    """y = x Wᵀ + b  for x (..., in), W (out, in), b (out,)

    ∂L/∂x = g W ,  ∂L/∂W = gᵀ x ,  ∂L/∂b = Σ g  (g = ∂L/∂y; leading axes of x are
    flattened into the batch, so the weight gradient is one GEMM: ``linear_weight_grad``).
    """

    def forward(self, x, weight, bias=None):
        y = x @ weight.T
        if bias is not None:
            y += bias
        return y

    def backward(self, gy):
        x, weight = self.inputs[:2]
        gx = matmul(gy, weight) if x.requires_grad else None
        gw = linear_weight_grad(gy, x) if weight.requires_grad else None
        if len(self.inputs) == 2:
            return gx, gw
        bias = self.inputs[2]
        return gx, gw, (sum_to(gy, bias.shape) if bias.requires_grad else None)


class LinearWeightGrad(Function):
    """gW = gᵀ x  for g (..., out) and x (..., in), the leading axes summed over: (out, in)

    It is bilinear in (g, x); with ggW the gradient of gW:
    ∂L/∂g = x ggWᵀ ,  ∂L/∂x = g ggW
    """

    def forward(self, gy, x):
        return gy.reshape(-1, gy.shape[-1]).T @ x.reshape(-1, x.shape[-1])

    def backward(self, ggw):
        gy, x = self.inputs
        ggy = matmul(x, transpose(ggw)) if gy.requires_grad else None
        gx = matmul(gy, ggw) if x.requires_grad else None
        return ggy, gx


def linear_weight_grad(grad_output, x):
    """The weight gradient of ``linear``: grad_outputᵀ x, summed over every leading axis."""
    return LinearWeightGrad()(grad_output, x)


def linear(x, weight, bias=None):
    """The fully connected layer ``x @ weight.T + bias`` (PyTorch's layout: weight is (out, in))."""
    if x.ndim < 1 or weight.ndim != 2 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit a weight of shape {weight.shape} "
                         f"(expected input (..., {weight.shape[1] if weight.ndim == 2 else 'in'}) "
                         "and weight (out, in))")
    if bias is None:
        return Linear()(x, weight)
    if bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias of shape {bias.shape} does not fit a weight of shape {weight.shape} "
                         f"(expected ({weight.shape[0]},))")
    return Linear()(x, weight, bias)
