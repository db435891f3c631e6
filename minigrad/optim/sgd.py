"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay (PyTorch semantics).

With g the gradient, θ the parameter, μ the momentum, τ the dampening, λ the weight decay:

    g ← g + λθ
    b ← g                   on the first step,   b ← μb + (1 − τ)g   after
    g ← g + μb   (nesterov)   or   g ← b
    θ ← θ − lr·g
"""

from minigrad.optim.optimizer import Optimizer


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                        weight_decay=weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group):
        self._require_nonnegative(group, "lr", "momentum", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: nesterov momentum needs momentum > 0 and dampening = 0")

    def _step_group(self, group):
        # Python floats: NumPy 2 and CuPy treat them as weak scalars, so float32 stays float32.
        lr = float(group["lr"])
        momentum = float(group["momentum"])
        dampening = float(group["dampening"])
        weight_decay = float(group["weight_decay"])
        nesterov = group["nesterov"]
        for p in group["params"]:
            if p.grad is None:
                continue
            theta, g = p.data, p.grad.data
            if weight_decay:
                g = g + weight_decay * theta  # a new array: p.grad is never written
            if momentum:
                state = self.state.get(p)
                if state is None:
                    buf = g.copy()
                    self._new_state(p, {"momentum_buffer": buf})
                else:
                    buf = state["momentum_buffer"]
                    buf *= momentum
                    buf += g if dampening == 0 else (1.0 - dampening) * g
                g = g + momentum * buf if nesterov else buf
            theta -= lr * g
