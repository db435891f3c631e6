"""The conditional VAE (Sohn, Lee & Yan, "Learning Structured Output Representation using Deep
Conditional Generative Models", NeurIPS 2015; the supervised half of Kingma et al. 2014, M2).

The label y, one-hot, is appended to the input of the encoder and of the decoder:

    encoder   q(z|x, y) = N(μ(x, y), diag σ²(x, y))
    prior     p(z)      = N(0, I)                      (independent of y)
    decoder   p(x|z, y) = Bernoulli(sigmoid(f(z, y)))

    −ELBO(x|y) = E_q[−log p(x|z, y)] + KL(q(z|x, y) ‖ p(z))
               ≈    reconstruction    +   kl

Since y is given, z is free to capture what the label does not say: the style (slant,
thickness, width). Hence the two figures of ``autoencoders.plots.variational``: one label
with many z (the styles of one digit) and one z with every label (analogies: the same
style written as each digit).

Without a label (``y=None``), as the generic figures call ``encode(x)`` and ``decode(z)``,
the condition is the uniform vector (1/K, ..., 1/K): an input the networks never saw in
training, so those figures show a blurred average; the label-aware figures pass labels.
``sample(n)`` draws y uniformly and z from the prior: samples of p(x) = Σ_y p(y) p(x|y).
"""

import minigrad
from minigrad import functional as F
from minigrad import nn
from minigrad.tensor import Tensor

from autoencoders.models.base import label_condition
from autoencoders.models.registry import register
from autoencoders.models.vae import VAE, reparameterize


@register("cvae", "conditional VAE: one-hot label appended to encoder and decoder inputs, 784-400-2")
class CVAE(VAE):
    # A 2-D code by default: with 20 dimensions and the small embedded data, 10 epochs leave a
    # decoder that reads the digit from z and ignores the label (the analogies figure shows
    # each row copying its input); 2 dimensions leave room for style only, so the label is used.
    defaults = {**VAE.defaults, "epochs": 10, "latent_dim": 2}
    conditional = True  # encode(x, y) and decode(z, y) take labels (autoencoders.plots.variational)

    def __init__(self, input_shape=(784,), hidden=(400,), latent_dim=2, num_classes=10, likelihood="bernoulli",
                 decoder_variance="learned"):
        nn.Module.__init__(self)  # so that num_classes is set before the VAE builds the networks
        self.num_classes = num_classes
        super().__init__(input_shape, hidden, latent_dim, likelihood, decoder_variance)

    def build(self, data_dim, hidden, latent_dim, condition_dim):
        super().build(data_dim, hidden, latent_dim, condition_dim=self.num_classes)

    # ---- the model: every network reads the label too -----------------------------------
    def posterior(self, x, y=None):
        x = self.flat(x)
        h = self.encoder(minigrad.concatenate([x, label_condition(y, self.num_classes, x)], axis=1))
        return self.mu_head(h), self.logvar_head(h)

    def decoder_output(self, z, y=None):
        return self.decoder(minigrad.concatenate([z, label_condition(y, self.num_classes, z)], axis=1))

    def encode(self, x, y=None):
        return self.posterior(x, y)[0]

    def decode(self, z, y=None):
        out = self.decoder_output(z, y)
        if self.likelihood == "bernoulli":
            out = F.sigmoid(out)
        return out.reshape((len(z),) + self.input_shape)

    def sample(self, n, y=None):
        """``n`` images: of labels ``y`` (n,) if given, else of labels drawn uniformly."""
        if y is None:
            y = Tensor._wrap((minigrad.rand(n).data * self.num_classes).astype("int64"))
        return self.decode(minigrad.randn(n, self.latent_dim), y)

    def reconstruct(self, x, y=None):
        return self.decode(self.encode(x, y), y)

    # ---- the objective ------------------------------------------------------------------
    def loss_terms(self, batch, noise=None):
        if batch.y is None:
            raise ValueError("the CVAE needs the labels of the batch (batch.y)")
        mu, logvar = self.posterior(batch.input, batch.y)
        z = reparameterize(mu, logvar, noise)
        out = self.decoder_output(z, batch.y)
        n = len(batch)
        return {
            "reconstruction": self.reconstruction_nll(out, self.flat(batch.x), "sum") * (1.0 / n),
            "kl": F.gaussian_kl(mu, logvar, reduction="mean"),
        }

    def log_importance_weights(self, batch, eps):
        """As the VAE's, conditioned on the batch's labels: the estimate is of log p(x|y)."""
        mu, logvar = self.posterior(batch.x, batch.y)
        y_rep = Tensor._wrap(batch.y.xp.tile(batch.y.data, eps.shape[0]))  # row s·B + b has label y[b]
        return self._log_weights(batch.x, mu, logvar, eps, lambda z: self.decoder_output(z, y_rep))
