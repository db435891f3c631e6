"""Connection layers as functions: linear (the fully connected layer, one fused op)."""

from minigrad.autograd import Function
from minigrad.functions.linalg import matmul
from minigrad.functions.reduction import sum_to
from minigrad.functions.shape import reshape, transpose


class Linear(Function):
    """y = x Wᵀ + b  for x (..., in), W (out, in), b (out,)

    ∂L/∂x = g W ,  ∂L/∂W = gᵀ x ,  ∂L/∂b = Σ g  (g = ∂L/∂y; leading axes of x are
    flattened into the batch, so the weight gradient is one GEMM).
    """

    def forward(self, x, weight, bias=None):
        y = x @ weight.T
        if bias is not None:
            y += bias
        return y

    def backward(self, gy):
        x, weight = self.inputs[:2]
        gx = matmul(gy, weight) if x.requires_grad else None
        gw = gb = None
        if weight.requires_grad:
            g2 = reshape(gy, (-1, weight.shape[0]))
            gw = matmul(transpose(g2), reshape(x, (-1, weight.shape[1])))
        if len(self.inputs) == 3 and self.inputs[2].requires_grad:
            gb = sum_to(gy, self.inputs[2].shape)
        return (gx, gw) if len(self.inputs) == 2 else (gx, gw, gb)


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
