"""Connection layers as functions: linear (the fully connected layer, one fused op)."""

from minigrad.autograd import Function
from minigrad import gemm
from minigrad.functions.linalg import matmul
from minigrad.functions.shape import broadcast_to, transpose


class Linear(Function):
    """y = x Wᵀ + b  for x (..., in), W (out, in), b (out,)

    ∂L/∂x = g W ,  ∂L/∂W = gᵀ x ,  ∂L/∂b = Σ g  (g = ∂L/∂y; leading axes of x are
    flattened into the batch): the three come from one op, ``LinearGrad``.
    """

    def forward(self, x, weight, bias=None):
        y = gemm.matmul(x, weight.T)
        if bias is not None:
            y += bias
        return y

    def backward(self, gy):
        inputs = self.inputs
        x, weight = inputs[0], inputs[1]
        count = len(inputs)  # 3 with a bias
        wanted = (x.requires_grad, weight.requires_grad, count == 3 and inputs[2].requires_grad)
        grads = LinearGrad(wanted)(gy, x, weight)
        if type(grads) is not tuple:
            grads = (grads,)
        if len(grads) == count:  # every input gets its gradient (a hidden layer)
            return grads
        grads = iter(grads)      # None in the places of those not wanted
        return tuple([next(grads) if want else None for want in wanted[:count]])


class LinearGrad(Function):
    """The gradients of y = x Wᵀ + b from g = ∂L/∂y, one op (those ``wanted``, for x, W, b):

        gx = g W ,  gW = gᵀ x ,  gb = Σ g      (leading axes of g and x summed as one batch axis)

    For second derivatives, with ggx, ggW, ggb the gradients of its outputs:
    ∂L/∂g = ggx Wᵀ + x ggWᵀ + ggb ,  ∂L/∂x = g ggW ,  ∂L/∂W = ggxᵀ g
    """

    def __init__(self, wanted):
        self.wanted = wanted

    def forward(self, g, x, weight):
        want_x, want_w, want_b = self.wanted
        grads = []
        if want_x:
            grads.append(gemm.matmul(g, weight))
        if g.ndim != 2:  # the leading axes, as one batch axis, for the two sums below
            g, x = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
        if want_w:
            grads.append(gemm.matmul(g.T, x))
        if want_b:
            grads.append(g.sum(axis=0))
        return tuple(grads) if len(grads) > 1 else grads[0]

    def backward(self, *grads):
        g, x, weight = self.inputs
        grads = iter(grads)
        ggx, ggw, ggb = (next(grads) if want else None for want in self.wanted)
        gg = matmul(ggx, transpose(weight)) if ggx is not None else None
        if ggw is not None:
            term = matmul(x, transpose(ggw))
            gg = term if gg is None else gg + term
        if ggb is not None:
            gg = broadcast_to(ggb, g.shape) if gg is None else gg + ggb
        gx = matmul(g, ggw) if ggw is not None and x.requires_grad else None
        gw = linear_weight_grad(g, ggx) if ggx is not None and weight.requires_grad else None
        return gg, gx, gw


class LinearWeightGrad(Function):
    """gW = gᵀ x  for g (..., out) and x (..., in), the leading axes summed over: (out, in)

    It is bilinear in (g, x); with ggW the gradient of gW:
    ∂L/∂g = x ggWᵀ ,  ∂L/∂x = g ggW
    """

    def forward(self, gy, x):
        return gemm.matmul(gy.reshape(-1, gy.shape[-1]).T, x.reshape(-1, x.shape[-1]))

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
    x_shape, weight_shape = x.data.shape, weight.data.shape
    if not x_shape or len(weight_shape) != 2 or x_shape[-1] != weight_shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit a weight of shape {weight.shape} "
                         f"(expected input (..., {weight.shape[1] if weight.ndim == 2 else 'in'}) "
                         "and weight (out, in))")
    if bias is None:
        return Linear()(x, weight)
    if bias.data.shape != (weight_shape[0],):
        raise ValueError(f"linear: bias of shape {bias.shape} does not fit a weight of shape {weight.shape} "
                         f"(expected ({weight.shape[0]},))")
    return Linear()(x, weight, bias)
