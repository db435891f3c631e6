"""Adam and AdamW, with bias correction exactly as PyTorch.

With g the gradient, θ the parameter, t the step (1, 2, ...):

    g ← g + λθ                      (Adam's weight_decay: L2 added to the gradient)
    θ ← θ(1 − lr·λ)                 (AdamW's weight_decay: decoupled, applied to θ first)
    m ← β₁m + (1 − β₁)g
    v ← β₂v + (1 − β₂)g²
    v̂ ← max(v̂, v)                   (amsgrad; v̂ is then used in place of v below)
    θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

Without amsgrad, one parameter's whole update is :data:`minigrad.functions.elementwise.adam`:
one fused kernel on CuPy; on NumPy in-place passes with one temporary array (two with
Adam's weight decay).

``capturable=True`` (PyTorch's name) keeps each parameter's step t in a 0-d array beside the
parameter and computes the bias corrections from it on the device
(:data:`~minigrad.functions.elementwise.adam_at_step`), so the update can be captured in a
CUDA graph (:mod:`minigrad.cuda_graph`) and replayed; the default keeps t a Python int and
the corrections on the host, which is cheaper per call.
"""

import math

import numpy

from minigrad import backend as _backend
from minigrad.backend import get_array_module
from minigrad.functions import elementwise as _elementwise
from minigrad.optim.optimizer import Optimizer


# A weight whose gradient stays exactly 0 (the first layer's weights of an always-black border
# pixel) sees m shrink by β₁ per step into the float32 subnormals, where x86 arithmetic is 4x
# slower or worse. Every FLUSH_EVERY steps the NumPy path sets moments below the smallest normal
# float to 0: their part of an update is below lr·1e−38/ε ≈ 1e−33. (GPUs have no such penalty.)
FLUSH_EVERY = 16


def _flush_subnormals(m, v):
    tiny = numpy.finfo(m.dtype).tiny
    m *= numpy.abs(m) >= tiny
    v *= v >= tiny


class Adam(Optimizer):
    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 capturable=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _capture_problem(self):
        if all(group["capturable"] for group in self.param_groups):
            return None
        return (f"{type(self).__name__}(capturable=False) computes its bias corrections on the host from a Python "
                "step count, so a CUDA graph would replay the captured step's corrections forever. Construct it "
                f"with {type(self).__name__}(..., capturable=True)")

    def _check_group(self, group):
        beta1, beta2 = group["betas"]
        self._require_nonnegative(group, "lr", "eps")
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"{type(self).__name__}: invalid betas {tuple(group['betas'])} (each must be in [0, 1))")
        self._require_nonnegative(group, "weight_decay")

    def load_state_dict(self, state_dict):
        """As :meth:`Optimizer.load_state_dict`, but ``capturable`` stays this optimizer's own: it says
        where the step count lives, not how to train, and either kind of state loads into either."""
        capturable = [group["capturable"] for group in self.param_groups]
        super().load_state_dict(state_dict)
        for group, flag in zip(self.param_groups, capturable):
            group["capturable"] = flag
            for p in group["params"]:
                state = self.state.get(p)
                if state is None or (type(state["step"]) is not int) == flag:
                    continue
                if flag:  # a host count, to the device (in the parameter's dtype, as _new_adam_state)
                    state["step"] = get_array_module(p.data).full((), state["step"], p.data.dtype)
                else:     # a device count, to the host
                    state["step"] = int(_backend.to_numpy(state["step"]))

    def _new_adam_state(self, p, group):
        xp = get_array_module(p.data)
        step = xp.zeros((), p.data.dtype) if group["capturable"] else 0  # capturable: t on the device
        state = {"step": step, "exp_avg": xp.zeros_like(p.data), "exp_avg_sq": xp.zeros_like(p.data)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = xp.zeros_like(p.data)
        return self._new_state(p, state)

    def _step_group(self, group):
        # Python floats: NumPy 2 and CuPy treat them as weak scalars, so float32 stays float32.
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        beta1, beta2 = float(beta1), float(beta2)
        eps = float(group["eps"])
        weight_decay = float(group["weight_decay"])
        amsgrad = group["amsgrad"]
        # Decoupled decay (AdamW) scales θ first; Adam's L2 decay is added to the gradient.
        decay, l2 = (1.0 - lr * weight_decay, 0.0) if self.decoupled_weight_decay else (1.0, weight_decay)
        if group["capturable"]:
            return self._step_group_on_device(group, lr, beta1, beta2, eps, l2, decay)
        states = self.state
        corrected_at = None  # the step that step_size and bias2_sqrt were computed for
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            theta, g = p.data, grad.data
            state = states.get(p)
            if state is None:
                state = self._new_adam_state(p, group)
            state["step"] = step = state["step"] + 1
            if step != corrected_at:  # parameters usually share their step: computed once
                step_size = lr / (1.0 - beta1 ** step)
                bias2_sqrt = math.sqrt(1.0 - beta2 ** step)
                corrected_at = step
            if not amsgrad:  # the whole update in one pass (one fused kernel on CuPy)
                _elementwise.adam(g, l2, decay, beta1, beta2, step_size, bias2_sqrt, eps,
                                  theta, state["exp_avg"], state["exp_avg_sq"])
                if step % FLUSH_EVERY == 0 and type(theta) is numpy.ndarray:
                    _flush_subnormals(state["exp_avg"], state["exp_avg_sq"])
                continue

            _amsgrad_update(g, l2, decay, beta1, beta2, step_size, bias2_sqrt, eps, theta, state)

    def _step_group_on_device(self, group, lr, beta1, beta2, eps, l2, decay):
        """``capturable=True``: t is a 0-d array of the parameter's dtype, advanced on the device."""
        for p in group["params"]:
            if p.grad is None:
                continue
            theta, g = p.data, p.grad.data
            state = self.state.get(p)
            if state is None:
                state = self._new_adam_state(p, group)
            step = state["step"]  # a 0-d array (load_state_dict converts a host count)
            step += 1
            if not group["amsgrad"]:
                _elementwise.adam_at_step(g, l2, decay, beta1, beta2, lr, eps, step, theta,
                                          state["exp_avg"], state["exp_avg_sq"])
                if type(theta) is numpy.ndarray and int(step) % FLUSH_EVERY == 0:
                    _flush_subnormals(state["exp_avg"], state["exp_avg_sq"])
                continue
            xp = get_array_module(theta)
            step_size = lr / (1.0 - beta1 ** step)
            bias2_sqrt = xp.sqrt(1.0 - beta2 ** step)
            _amsgrad_update(g, l2, decay, beta1, beta2, step_size, bias2_sqrt, eps, theta, state)


def _amsgrad_update(g, l2, decay, beta1, beta2, step_size, bias2_sqrt, eps, theta, state):
    """One amsgrad update of θ and its state in place (step_size, bias2_sqrt: floats or 0-d arrays)."""
    xp = get_array_module(theta)
    m, v = state["exp_avg"], state["exp_avg_sq"]
    if l2:
        g = g + l2 * theta  # a new array: p.grad is never written
    if decay != 1.0:
        theta *= decay
    tmp = g * (1.0 - beta1)
    m *= beta1
    m += tmp                                  # m = β₁m + (1 − β₁)g
    xp.multiply(g, g, out=tmp)
    tmp *= 1.0 - beta2
    v *= beta2
    v += tmp                                  # v = β₂v + (1 − β₂)g²
    v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])  # v̂ = max(v̂, v)
    xp.sqrt(v, out=tmp)
    tmp /= bias2_sqrt
    tmp += eps                                # denominator √v̂ₜ + ε
    xp.divide(m, tmp, out=tmp)
    tmp *= -step_size
    theta += tmp


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): θ ← θ(1 − lr·λ) before the Adam step."""

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 capturable=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         capturable=capturable)
