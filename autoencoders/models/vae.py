"""The variational autoencoder (Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014).

    encoder   q(z|x) = N(μ(x), diag σ²(x))          two heads: μ and logvar = log σ²
    prior     p(z)   = N(0, I)
    decoder   p(x|z) = Bernoulli(sigmoid(f(z)))     (likelihood="bernoulli", pixels in [0, 1])
                     = N(f(z), σₓ² I)               (likelihood="gaussian", σₓ² fixed or learned)

    z = μ + σ·ε,   σ = exp(½·logvar),   ε ~ N(0, I)          the reparameterization trick

    −ELBO(x) = E_q[−log p(x|z)] + KL(q(z|x) ‖ p(z))
             ≈   reconstruction  +  kl

The reconstruction term is estimated with one z per example; the KL term is exact (closed
form, ``F.gaussian_kl``). Both are sums over dimensions for each example, and
``loss_terms`` reports their means over the batch. Training minimizes the batch *sum* of
the objective, as pytorch/examples does (``train_step`` seeds the backward pass with the
batch size): with Adam the scale hardly matters, but the reference protocol stays exact.

Note σ = exp(½·logvar), not exp(logvar): the head predicts a log-*variance*, and the KL
term treats it as one. Using exp(logvar) as the standard deviation (as DeZero's example
did) silently samples from the wrong distribution; ``tests/autoencoders/test_vae.py``
checks the mean and the variance of the sampled z.
"""

import math

import minigrad
from minigrad import functional as F
from minigrad import nn
from minigrad.autograd import Function
from minigrad import backend as _backend
from minigrad.backend import get_array_module
from minigrad.functions import elementwise as _elementwise
from minigrad.tensor import Tensor

from autoencoders.models.base import Autoencoder, prod, scalars
from autoencoders.models.registry import register

LIKELIHOODS = ("bernoulli", "gaussian")
LOG_2PI = math.log(2 * math.pi)


class Reparameterize(Function):
    """z = μ + σ·ε with σ = exp(½·logvar) and a fixed draw ε ~ N(0, I)

    ∂z/∂μ = 1 ,   ∂z/∂logvar = ½·σ·ε

    ε is a constant of the node (not an input): the gradient flows to μ and logvar only,
    which is the whole point of the trick. The backward is written with minigrad ops, so
    it can itself be differentiated.
    """

    def __init__(self, eps):
        self.eps = eps

    def forward(self, mu, logvar):
        return _elementwise.gaussian_sample(mu, logvar, self.eps)  # one fused kernel on CuPy

    def backward(self, gz):
        mu, logvar = self.inputs
        return gz, (ReparameterizeGrad(self.eps)(gz, logvar) if logvar.requires_grad else None)


class ReparameterizeGrad(Function):
    """g_logvar = gz·½·e^(logvar/2)·ε: the reparameterization's gradient for logvar, as one op

    For second derivatives, with gg the gradient of its output:
    ∂L/∂gz = gg·½·e^(logvar/2)·ε ,  ∂L/∂logvar = gg·gz·¼·e^(logvar/2)·ε
    """

    def __init__(self, eps):
        self.eps = eps

    def forward(self, gz, logvar):
        g = logvar * 0.5
        get_array_module(logvar).exp(g, out=g)
        g *= self.eps
        g *= gz
        g *= 0.5
        return g

    def backward(self, gg):
        gz, logvar = self.inputs
        half_sigma_eps = minigrad.exp(0.5 * logvar) * Tensor._wrap(0.5 * self.eps)
        ggz = gg * half_sigma_eps if gz.requires_grad else None
        glogvar = gg * gz * half_sigma_eps * 0.5 if logvar.requires_grad else None
        return ggz, glogvar


def reparameterize(mu, logvar, noise=None):
    """A sample z ~ N(mu, exp(logvar)) that is differentiable in mu and logvar.

    ``noise`` is the standard normal draw ε (a Tensor or array of mu's shape); by default
    it is drawn from minigrad's seeded generator. Pass it to fix the sample (gradcheck).
    """
    if noise is None:
        eps = minigrad.random.normal(mu.shape, mu.dtype, get_array_module(mu.data))
    else:
        eps = noise.data if isinstance(noise, Tensor) else noise
        if tuple(eps.shape) != mu.shape:
            raise ValueError(f"reparameterize: noise of shape {tuple(eps.shape)} does not match mu's {mu.shape}")
        eps = _backend.to_backend(eps, mu.backend).astype(mu.dtype, copy=False)  # host noise is welcome
    return Reparameterize(eps)(mu, logvar)


def mlp_trunk(sizes):
    """Linear + ReLU for each consecutive pair of ``sizes`` (an activation after the last too)."""
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers)


class GaussianDecoderVariance(nn.Module):
    """log σₓ² of a Gaussian decoder: one learned value per output dimension, or a fixed number."""

    def __init__(self, dim, variance):
        super().__init__()
        if variance == "learned":
            self.logvar = nn.Parameter(minigrad.zeros(dim))
        else:
            if not isinstance(variance, (int, float)) or variance <= 0:
                raise ValueError(f"decoder_variance must be 'learned' or a number > 0, got {variance!r}")
            self.register_buffer("logvar", minigrad.full((dim,), math.log(variance)))

    def forward(self):
        return self.logvar


@register("vae", "variational autoencoder 784-400-20 (pytorch/examples), Gaussian q(z|x), Bernoulli or Gaussian p(x|z)")
class VAE(Autoencoder):
    defaults = {"epochs": 10, "batch_size": 128, "lr": 1e-3, "hidden": [400], "latent_dim": 20}
    prior = "standard-normal"

    def __init__(self, input_shape=(784,), hidden=(400,), latent_dim=20, likelihood="bernoulli",
                 decoder_variance="learned"):
        super().__init__()
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {', '.join(LIKELIHOODS)}, got {likelihood!r}")
        self.input_shape = tuple(input_shape)
        self.latent_dim = latent_dim
        self.likelihood = likelihood
        self.build(prod(input_shape), list(hidden), latent_dim, condition_dim=0)
        if likelihood == "gaussian":
            self.decoder_variance = GaussianDecoderVariance(prod(input_shape), decoder_variance)

    def build(self, data_dim, hidden, latent_dim, condition_dim):
        """The networks: encoder trunk and its μ / logvar heads, decoder. ``condition_dim`` extra
        inputs (a one-hot label, for the CVAE) are appended to the encoder's and decoder's inputs."""
        enc = [data_dim + condition_dim, *hidden]
        self.encoder = mlp_trunk(enc)
        self.mu_head = nn.Linear(enc[-1], latent_dim)
        self.logvar_head = nn.Linear(enc[-1], latent_dim)
        dec = [latent_dim + condition_dim, *reversed(hidden)]
        self.decoder = nn.Sequential(mlp_trunk(dec), nn.Linear(dec[-1], data_dim))

    # ---- the model ----------------------------------------------------------------------
    def posterior(self, x):
        """The parameters (μ, logvar) of q(z|x), each (B, latent_dim)."""
        h = self.encoder(self.flat(x))
        return self.mu_head(h), self.logvar_head(h)

    def decoder_output(self, z):
        """f(z): the Bernoulli logits, or the Gaussian mean, flat (B, D)."""
        return self.decoder(z)

    def encode(self, x):
        return self.posterior(x)[0]

    def decode(self, z):
        out = self.decoder_output(z)
        if self.likelihood == "bernoulli":
            out = F.sigmoid(out)
        return out.reshape((len(z),) + self.input_shape)

    def sample(self, n):
        return self.decode(minigrad.randn(n, self.latent_dim))

    def flat(self, x):
        return x if x.ndim == 2 else x.reshape(len(x), -1)

    # ---- the objective ------------------------------------------------------------------
    def reconstruction_nll(self, out, x, reduction="none"):
        """−log p(x|z) for decoder output ``out`` and flat data ``x`` of the same shape (..., D):
        per example, summed over the last axis, with "none"; summed over everything with "sum"."""
        if self.likelihood == "bernoulli":
            if reduction == "sum":  # one fused op over all pixels: the training path
                return F.binary_cross_entropy_with_logits(out, x, reduction="sum")
            return F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(axis=-1)
        nll = F.gaussian_nll(x, out, self.decoder_variance(), reduction="none")
        return nll.sum() if reduction == "sum" else nll.sum(axis=-1)

    def loss_terms(self, batch, noise=None):
        """−ELBO's two terms, per-example means over the batch; ``noise`` fixes ε (B, latent_dim)."""
        mu, logvar = self.posterior(batch.input)
        z = reparameterize(mu, logvar, noise)
        n = len(batch)
        return {
            "reconstruction": self.reconstruction_nll(self.decoder_output(z), self.flat(batch.x), "sum") * (1.0 / n),
            "kl": F.gaussian_kl(mu, logvar, reduction="mean"),
        }

    def train_step(self, batch, optimizers):
        """As the base class, but the gradient is that of the batch sum (pytorch/examples)."""
        (optimizer,) = optimizers.values()
        optimizer.zero_grad()
        terms = self.loss_terms(batch)
        loss = self.objective(terms)
        loss.backward(float(len(batch)))  # d(batch sum)/d(batch mean): the seed is the batch size
        optimizer.step()
        return scalars(terms, loss)

    # ---- for the likelihood estimate (autoencoders.evaluation) ----------------------------
    def log_importance_weights(self, batch, eps):
        """log p(x|z) + log p(z) − log q(z|x) for z = μ(x) + σ(x)·ε, with ε of shape (S, B, latent).

        Returns (S, B): S importance samples for each of the B examples of ``batch``.
        """
        mu, logvar = self.posterior(batch.x)
        return self._log_weights(batch.x, mu, logvar, eps, self.decoder_output)

    def _log_weights(self, x, mu, logvar, eps, decode):
        """The weights for posterior (mu, logvar) and decoder output ``decode(z)`` (shared with the CVAE)."""
        s, b, d = eps.shape
        eps = Tensor._wrap(eps.astype(mu.dtype, copy=False))
        z = mu + minigrad.exp(0.5 * logvar) * eps                              # (S, B, d)
        out = decode(z.reshape(s * b, d))
        out = out.reshape(s, b, out.shape[-1])
        x = Tensor._wrap(get_array_module(out.data).broadcast_to(self.flat(x).data, out.shape))  # a view
        log_px_z = -self.reconstruction_nll(out, x)                            # (S, B)
        log_pz = -0.5 * ((z * z).sum(axis=-1) + d * LOG_2PI)                  # log N(z; 0, I)
        log_qz = -0.5 * ((eps * eps).sum(axis=-1) + logvar.sum(axis=-1) + d * LOG_2PI)  # log N(z; μ, σ²)
        return log_px_z + log_pz - log_qz
