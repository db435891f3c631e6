"""Exercise 12: layer normalization.

For x of shape (N, D), each row is normalized over its D features, then scaled and shifted
by parameters γ (gamma) and β (beta) of shape (D,):

    μ = (1/D) Σ_j x_j ,   σ² = (1/D) Σ_j (x_j − μ)² ,   s = 1/√(σ² + ε)
    x̂_j = (x_j − μ)·s ,   y_j = γ_j x̂_j + β_j                     (ε = 1e-5)

Write ``LayerNorm.backward``: return (∂L/∂x, ∂L/∂γ, ∂L/∂β) given g = ∂L/∂y (N, D).

To derive:

* ∂L/∂β and ∂L/∂γ: every row uses the same γ and β, so sum over the rows.
* ∂L/∂x: let ĝ = g·γ (the gradient with respect to x̂). Using ∂x̂_k/∂x_j =
  s·(δ_kj − 1/D − x̂_k x̂_j / D) (derive it: μ and s both depend on x_j; exercise 4 has
  ∂σ²/∂x_j), show that ∂L/∂x = s·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), means over each row.

For second derivatives (the bonus), recompute μ, s and x̂ from the input Tensor x with
minigrad ops (``x.mean(axis=-1, keepdims=True)``, ``** -0.5``) instead of using arrays.

Check:  python -m minigrad.exercises check 12
"""

import numpy

import minigrad
from minigrad import Function, get_array_module

SECOND_ORDER = True  # the checker also tries gradgradcheck (a bonus)
EPS = 1e-5


class LayerNorm(Function):
    def forward(self, x, gamma, beta):
        xp = get_array_module(x)
        centered = x - x.mean(axis=-1, keepdims=True)
        s = 1.0 / xp.sqrt((centered ** 2).mean(axis=-1, keepdims=True) + EPS)
        return centered * s * gamma + beta

    def backward(self, gy):
        # ∂L/∂β = Σ_n g ;  ∂L/∂γ = Σ_n g x̂ ;  ∂L/∂x = s (ĝ − mean ĝ − x̂ mean(ĝ x̂)),  ĝ = g γ
        x, gamma, beta = self.inputs
        centered = x - x.mean(axis=-1, keepdims=True)
        s = ((centered * centered).mean(axis=-1, keepdims=True) + EPS) ** -0.5
        x_hat = centered * s
        g_hat = gy * gamma
        gx = s * (g_hat - g_hat.mean(axis=-1, keepdims=True)
                  - x_hat * (g_hat * x_hat).mean(axis=-1, keepdims=True))
        return gx, (gy * x_hat).sum(axis=0), gy.sum(axis=0)


def apply(x, gamma, beta):
    """What the checker differentiates."""
    return LayerNorm()(x, gamma, beta)


def check_inputs():
    """float64 x (4, 6) with rows of clearly non-zero variance, gamma and beta (6,)."""
    rng = numpy.random.default_rng(12)
    x = minigrad.tensor(rng.normal(scale=2.0, size=(4, 6)), dtype="float64", requires_grad=True)
    gamma = minigrad.tensor(rng.uniform(0.5, 1.5, size=(6,)), dtype="float64", requires_grad=True)
    beta = minigrad.tensor(rng.normal(size=(6,)), dtype="float64", requires_grad=True)
    x.name, gamma.name, beta.name = "x", "gamma", "beta"
    return x, gamma, beta


if __name__ == "__main__":  # `python ex12_layer_norm.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
