"""The contractive autoencoder, and its stochastic form.

Rifai, Vincent, Muller, Glorot & Bengio, "Contractive Auto-Encoders: Explicit Invariance
During Feature Extraction" (ICML 2011):

    h = f(x) = sigmoid(W x + b),   x̂ = g(h) = sigmoid(Wᵀ h + c)      (tied weights by default)
    L = reconstruction + contractive
      = mean (x̂ − x)²  +  λ · mean over the batch of ‖J_f(x)‖²_F,    J_f(x) = ∂h/∂x

The penalty makes the code insensitive to small moves of the input in every direction
but those the reconstruction needs (the data manifold's). It is computed one of three ways
(``jacobian=``):

``"closed-form"``  for this sigmoid layer J = diag(h ⊙ (1 − h)) W, so
                   ‖J‖²_F = Σ_j (h_j (1 − h_j))² Σ_i W_ji²: one matrix product.
``"exact"``        through double backward, for any encoder: for each code unit j,
                   minigrad.grad(Σ_b h_bj, x, create_graph=True) is the batch of rows
                   ∂h_j/∂x_b (examples do not interact, so summing over the batch keeps each
                   example's gradient apart, but summing over the *units* would not:
                   grad(Σ_j h_j) is Σ_j ∂h_j/∂x, whose square is not Σ_j ‖∂h_j/∂x‖²).
                   One backward per code unit: for tests and small codes.
``"hutchinson"``   the unbiased random-projection estimate E_v ‖vᵀJ‖² = ‖J‖²_F for v with
                   E[v vᵀ] = I (Rademacher ±1 here): one backward per probe, for any size.

Training then differentiates the penalty itself, which needs second derivatives: the
double-backward forms build the gradient with ``create_graph=True``.

``scae``, the stochastic variant (the notes' SCAE): the penalty compares the codes of x and
of a corrupted x̃ (the data layer's ``noise``, gaussian by default) and the reconstruction
reads the clean x:

    L = mean (g(f(x)) − x)²  +  λ · mean over the batch of ‖f(x) − f(x̃)‖²

For x̃ = x + ε with small ε ~ N(0, σ²I), f(x̃) − f(x) ≈ J ε, and E‖J ε‖² = σ²‖J‖²_F: the
contractive penalty is its deterministic limit (Rifai et al.), so λ_scae ≈ λ_cae / σ².
"""

import minigrad
from minigrad import functional as F
from minigrad import nn
from minigrad.tensor import Tensor

from autoencoders.models.base import Autoencoder, prod
from autoencoders.models.registry import register

JACOBIANS = ("closed-form", "exact", "hutchinson")


def jacobian_norm_closed_form(h, weight):
    """‖∂h/∂x‖²_F per example for h = sigmoid(W x + b): Σ_j (h_j (1 − h_j))² Σ_i W_ji², shape (B,)."""
    return ((h * (1 - h)) ** 2) @ (weight ** 2).sum(axis=1)


def _input_leaf(x):
    """``x`` itself when it already takes part in a graph, else a leaf copy that requires grad."""
    return x if x.requires_grad else Tensor(x.data, requires_grad=True)


def jacobian_norm_exact(encode, x):
    """‖∂h/∂x‖²_F per example, (B,), for any ``encode``: one double-backward pass per code unit."""
    x = _input_leaf(x)
    h = encode(x)
    total = None
    for j in range(h.shape[1]):
        (rows,) = minigrad.grad(h[:, j].sum(), x, create_graph=True)   # ∂h_j/∂x_b for every example b
        square = (rows.reshape(len(x), -1) ** 2).sum(axis=1)
        total = square if total is None else total + square
    return total


def jacobian_norm_hutchinson(encode, x, probes=1):
    """An unbiased estimate of ‖∂h/∂x‖²_F per example, (B,): mean over ``probes`` Rademacher v of ‖vᵀJ‖²."""
    x = _input_leaf(x)
    h = encode(x)
    total = None
    for _ in range(probes):
        u = minigrad.rand(*h.shape, dtype=h.dtype, backend=h.backend).data
        v = Tensor._wrap(h.xp.where(u < 0.5, -1.0, 1.0).astype(h.dtype))
        (vjp,) = minigrad.grad(h, x, grad_outputs=v, create_graph=True)     # vᵀJ for every example
        square = (vjp.reshape(len(x), -1) ** 2).sum(axis=1)
        total = square if total is None else total + square
    return total / probes


@register("cae", "contractive autoencoder 784-256 (sigmoid, tied weights): MSE + lambda ||dh/dx||_F^2 "
                 "(closed form, exact double backward, or Hutchinson)")
class CAE(Autoencoder):
    defaults = {"epochs": 20, "batch_size": 64, "lr": 1e-3, "latent_dim": 256}

    def __init__(self, input_shape=(784,), latent_dim=256, lam=3e-4, jacobian="closed-form", probes=1):
        super().__init__()
        if jacobian not in JACOBIANS:
            raise ValueError(f"{self.name}: jacobian must be one of {', '.join(JACOBIANS)}, got {jacobian!r}")
        self.input_shape = tuple(input_shape)
        self.latent_dim = latent_dim
        self.lam, self.jacobian, self.probes = lam, jacobian, probes
        self.encoder = nn.Linear(prod(input_shape), latent_dim)                   # W, b
        self.decoder_bias = nn.Parameter(minigrad.zeros(prod(input_shape)))      # c

    def encode(self, x):
        return F.sigmoid(self.encoder(x.reshape(len(x), -1)))

    def decode(self, h):
        return F.sigmoid(F.linear(h, self.encoder.weight.T, self.decoder_bias)).reshape((len(h),) + self.input_shape)

    def jacobian_norm(self, x, method=None):
        """‖J_f(x)‖²_F per example by ``method`` (default: the model's ``jacobian``)."""
        method = method or self.jacobian
        if method == "closed-form":
            return jacobian_norm_closed_form(self.encode(x), self.encoder.weight)
        if method == "exact":
            return jacobian_norm_exact(self.encode, x)
        return jacobian_norm_hutchinson(self.encode, x, self.probes)

    def loss_terms(self, batch):
        x = batch.input
        return {"reconstruction": F.mse_loss(self.reconstruct(x), batch.x),
                "contractive": self.lam * self.jacobian_norm(x).mean()}

    def evaluate_step(self, batch):
        """The closed form is exact for this encoder, and needs no graph: use it for the test terms."""
        with minigrad.no_grad():
            x = batch.input
            reconstruction = F.mse_loss(self.reconstruct(x), batch.x).item()
            jacobian = jacobian_norm_closed_form(self.encode(x), self.encoder.weight).mean().item()
        contractive = self.lam * jacobian
        return {"reconstruction": reconstruction, "contractive": contractive,
                "jacobian_norm": jacobian, "loss": reconstruction + contractive}


@register("scae", "stochastic contractive autoencoder: MSE + lambda ||h(x) - h(x_noisy)||^2 "
                  "(gaussian input noise by default)")
class StochasticCAE(CAE):
    defaults = {**CAE.defaults, "noise": "gaussian:0.1", "lam": 3e-2}

    def loss_terms(self, batch):
        if batch.x_noisy is None:
            raise ValueError("scae needs a corrupted input: set noise, e.g. --set noise=gaussian:0.1")
        h = self.encode(batch.x)
        return {"reconstruction": F.mse_loss(self.decode(h), batch.x),
                "stochastic_contractive": self.lam * ((h - self.encode(batch.x_noisy)) ** 2).sum(axis=1).mean()}

    def evaluate_step(self, batch):
        values = Autoencoder.evaluate_step(self, batch)
        with minigrad.no_grad():
            values["jacobian_norm"] = jacobian_norm_closed_form(self.encode(batch.x), self.encoder.weight).mean().item()
        return values
