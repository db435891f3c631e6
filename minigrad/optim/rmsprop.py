"""RMSprop (PyTorch semantics): divide the gradient by a running root mean square.

With g the gradient, θ the parameter, α the smoothing constant, μ the momentum:

    g ← g + λθ                                    (weight_decay)
    v ← αv + (1 − α)g²
    ḡ ← αḡ + (1 − α)g,   d = √(v − ḡ²) + ε        (centered)   or   d = √v + ε
    b ← μb + g/d,   θ ← θ − lr·b                  (momentum)   or   θ ← θ − lr·g/d
"""

from minigrad.backend import get_array_module
from minigrad.optim.optimizer import Optimizer


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered)
        super().__init__(params, defaults)

    def _check_group(self, group):
        self._require_nonnegative(group, "lr", "eps")
        if not 0 <= group["alpha"] <= 1:
            raise ValueError(f"RMSprop: invalid alpha {group['alpha']} (must be in [0, 1])")
        self._require_nonnegative(group, "momentum", "weight_decay")

    def _step_group(self, group):
        # Python floats: NumPy 2 and CuPy treat them as weak scalars, so float32 stays float32.
        lr = float(group["lr"])
        alpha = float(group["alpha"])
        eps = float(group["eps"])
        weight_decay = float(group["weight_decay"])
        momentum = float(group["momentum"])
        centered = group["centered"]
        for p in group["params"]:
            if p.grad is None:
                continue
            theta, g = p.data, p.grad.data
            xp = get_array_module(theta)
            state = self.state.get(p)
            if state is None:
                state = self._new_state(p, {"step": 0, "square_avg": xp.zeros_like(theta)})
                if momentum:
                    state["momentum_buffer"] = xp.zeros_like(theta)
                if centered:
                    state["grad_avg"] = xp.zeros_like(theta)
            state["step"] += 1
            v = state["square_avg"]

            if weight_decay:
                g = g + weight_decay * theta  # a new array: p.grad is never written
            tmp = g * g
            tmp *= 1.0 - alpha
            v *= alpha
            v += tmp                                  # v = αv + (1 − α)g²
            if centered:
                g_avg = state["grad_avg"]
                xp.multiply(g, 1.0 - alpha, out=tmp)
                g_avg *= alpha
                g_avg += tmp                          # ḡ = αḡ + (1 − α)g
                xp.multiply(g_avg, g_avg, out=tmp)
                xp.subtract(v, tmp, out=tmp)
                xp.sqrt(tmp, out=tmp)
            else:
                xp.sqrt(v, out=tmp)
            tmp += eps                                # denominator d
            xp.divide(g, tmp, out=tmp)
            if momentum:
                buf = state["momentum_buffer"]
                buf *= momentum
                buf += tmp
                xp.multiply(buf, -lr, out=tmp)
            else:
                tmp *= -lr
            theta += tmp
