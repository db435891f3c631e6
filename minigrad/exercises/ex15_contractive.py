"""Exercise 15: the contractive autoencoder's penalty, for a sigmoid layer.

A contractive autoencoder (Rifai et al., 2011) penalizes how fast its code h(x) moves
when the input moves: the squared Frobenius norm of the Jacobian J = ∂h/∂x. For one
sigmoid layer h = σ(W x + b) (x: D inputs, h: H units, W: (H, D), b: (H,)),

    J_ij = ∂h_i/∂x_j = h_i(1 − h_i)·W_ij ,   so   ‖J‖_F² = Σ_i (h_i(1 − h_i))² Σ_j W_ij²

a closed form: no Jacobian is ever built. For a batch x of shape (N, D) (rows are
examples, h = σ(x Wᵀ + b)) the penalty is the mean over the examples:

    P = (1/N) Σ_n Σ_i s_ni² w_i ,    s = h(1 − h) ,   w_i = Σ_j W_ij²

Write ``ContractivePenalty.backward``: gy is the gradient of the scalar P; return
(∂P/∂x, ∂P/∂W, ∂P/∂b) times gy.

To derive: with a = x Wᵀ + b (the pre-activation, so h = σ(a)):

* ∂P/∂h_ni = (2/N)·s_ni·w_i·(1 − 2h_ni)       (d s/dh = 1 − 2h)
* δ_ni = ∂P/∂a_ni = ∂P/∂h_ni · s_ni            (dh/da = s, exercise 1)
* then as in a linear layer: ∂P/∂x = δ W, ∂P/∂b = Σ_n δ_n, and ∂P/∂W = δᵀ x **plus** the
  direct term, because W also appears in w_i: ∂P/∂W_ij (direct) = (2/N)·W_ij·Σ_n s_ni².

Useful: ``minigrad.sigmoid``, ``@``, ``W.T``, ``t.sum(axis=0)``, ``t.reshape(-1, 1)``.
Recompute h from the inputs with minigrad ops.

Check:  python -m minigrad.exercises check 15
"""

import numpy

import minigrad
from minigrad import Function, get_array_module

SECOND_ORDER = True  # the checker also tries gradgradcheck (a bonus)


class ContractivePenalty(Function):
    def forward(self, x, w, b):
        xp = get_array_module(x)
        h = 1 / (1 + xp.exp(-(x @ w.T + b)))
        s = h * (1 - h)
        return ((s * s) * (w * w).sum(axis=1)).sum() / x.shape[0]

    def backward(self, gy):
        # gy = the gradient of the scalar P (shape ()).
        # Return (∂P/∂x, ∂P/∂W, ∂P/∂b) times gy, shaped like x, W and b.
        raise NotImplementedError("write the backward of ContractivePenalty (see the docstring at the top of this file)")


def apply(x, w, b):
    """What the checker differentiates."""
    return ContractivePenalty()(x, w, b)


def check_inputs():
    """float64 batch x (5, 4), weight W (3, 4) and bias b (3,) (everything is smooth)."""
    rng = numpy.random.default_rng(15)
    x = minigrad.tensor(rng.normal(size=(5, 4)), dtype="float64", requires_grad=True)
    w = minigrad.tensor(rng.normal(size=(3, 4)), dtype="float64", requires_grad=True)
    b = minigrad.tensor(rng.normal(size=(3,)), dtype="float64", requires_grad=True)
    x.name, w.name, b.name = "x", "W", "b"
    return x, w, b


if __name__ == "__main__":  # `python ex15_contractive.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
