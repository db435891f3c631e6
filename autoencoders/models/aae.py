"""The adversarial autoencoder (Makhzani, Shlens, Jaitly, Goodfellow & Frey, "Adversarial
Autoencoders", 2016, arXiv:1511.05644).

    encoder        z = q(x)                       deterministic MLP (the paper's first choice)
    decoder        p(x|z) = Bernoulli(sigmoid(g(z)))
    prior          p(z): gaussian, uniform, mixture of 10 Gaussians, swiss roll (autoencoders.priors)
    discriminator  D(z) = the logit of "z was drawn from p(z)"

The KL term of a VAE is replaced by a game: D learns to tell prior samples z' ~ p(z) from
codes q(x), and the encoder, as the GAN's generator, learns to fool it, which pushes the
aggregated posterior q(z) = E_x[q(z|x)] onto p(z). Each mini-batch runs the paper's two
phases, three updates, each with its own optimizer over its own parameters:

    reconstruction phase   encoder, decoder:  L_reconstruction = −log p(x | z = q(x))
    regularization phase   discriminator:     L_D = BCE(D(z'), 1) + BCE(D(q(x)), 0),  q(x) detached
                           encoder (gen_steps times):
                                              L_G = BCE(D(q(x)), 1)          (non-saturating)

BCE(ℓ, t) is the binary cross-entropy from a logit (``F.binary_cross_entropy_with_logits``):
L_G = −log σ(D(q(x))) is the "non-saturating" generator loss of Goodfellow et al. (2014),
whose gradient does not vanish when D confidently rejects the codes. The discriminator
learns more slowly (lr × ``disc_lr_scale``, 1/5 by default) and the generator update may be
repeated (``gen_steps``).

Gradients never leak across phases: the discriminator phase encodes under ``no_grad`` (the
codes are constants to it), and the generator phase freezes the discriminator (its
parameters stop requiring gradients), so each phase computes gradients only for the
parameters its optimizer updates. ``tests/autoencoders/test_aae.py`` checks it.

Label-conditioned regularization (``label_conditioned=True``, a prior with parts: mixture or
swiss roll). D also reads an 11-way one-hot: the label y of a labelled example, or the extra
class 10 ("no label"). For each example the real sample is drawn from its label's part of
the prior (the whole prior for "no label"), so D rejects a digit-k code that lies off
part k: the codes of each digit land where the prior puts that label. ``labelled``: only
training examples with index < labelled count as labelled (None: all).
"""

import contextlib

import numpy as np

import minigrad
from minigrad import functional as F
from minigrad import nn

from autoencoders.models.base import Autoencoder, make_optimizer, mlp, prod
from autoencoders.models.registry import register
from autoencoders.priors import make_prior

NO_LABEL = 10  # the discriminator's extra class for unlabelled examples (labels are 0..9)


class Discriminator(nn.Module):
    """D(z [, c]): an MLP from a code (and an optional one-hot condition c) to one logit per row."""

    def __init__(self, latent_dim, hidden=(256, 256), condition_dim=0, activation=nn.ReLU):
        super().__init__()
        self.condition_dim = condition_dim
        self.net = mlp([latent_dim + condition_dim, *hidden, 1], activation)

    def forward(self, z, condition=None):
        if condition is not None:
            z = minigrad.concatenate([z, condition], axis=1)
        return self.net(z)


def hidden_layers(sizes, dropout=0.0):
    """[Linear, ReLU (, Dropout when ``dropout`` > 0)] for each consecutive pair of ``sizes``."""
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()] + ([nn.Dropout(dropout)] if dropout else [])
    return layers


def encoder_mlp(sizes, dropout=0.0):
    """``mlp(sizes)`` with dropout (rate ``dropout``) after each hidden layer's ReLU."""
    if not dropout:
        return mlp(sizes)
    return nn.Sequential(*hidden_layers(sizes[:-1], dropout), nn.Linear(sizes[-2], sizes[-1]))


def discriminator_loss(real_logits, fake_logits):
    """L_D = BCE(D(z'), 1) + BCE(D(q(x)), 0): prior samples are "real", codes "fake"."""
    return (F.binary_cross_entropy_with_logits(real_logits, minigrad.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, minigrad.zeros_like(fake_logits)))


def generator_loss(fake_logits):
    """L_G = BCE(D(q(x)), 1) = −log σ(D(q(x))): the non-saturating generator loss."""
    return F.binary_cross_entropy_with_logits(fake_logits, minigrad.ones_like(fake_logits))


@contextlib.contextmanager
def frozen(module):
    """Inside the block the parameters of ``module`` require no gradient: a backward pass
    through it reaches its inputs, but computes and stores nothing for its weights."""
    params = [p for p in module.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad = False
    try:
        yield module
    finally:
        for p in params:
            p.requires_grad = True


def prior_tensor(prior, n, labels=None):
    """``n`` draws of ``prior`` as a Tensor of the default dtype on the active backend."""
    return minigrad.tensor(prior.sample(n, labels), dtype=minigrad.get_default_dtype())


class AdversarialAutoencoder(Autoencoder):
    """The training game shared by the AAE variants. A subclass provides ``encode`` and
    ``decoder_logits`` (or ``reconstruction_logits``), the modules ``encoder``, ``decoder``
    and ``discriminator``, and sets ``code_prior``, ``gen_steps``, ``disc_lr_scale`` and
    ``gen_lr_scale``; it may override the phases and add ``extra_phases``."""

    label_conditioned = False

    # ---- the model ----------------------------------------------------------------------
    def decode(self, z):
        return F.sigmoid(self.decoder_logits(z)).reshape((len(z),) + self.input_shape)

    def sample(self, n):
        return self.decode(prior_tensor(self.code_prior, n))

    def flat(self, x):
        return x if x.ndim == 2 else x.reshape(len(x), -1)

    def reconstruction_logits(self, batch):
        """The decoder's logits for the codes of ``batch``: g(q(x))."""
        return self.decoder_logits(self.encode(batch.input))

    def reconstruction_loss(self, batch):
        """L_reconstruction = −log p(x|z), z = q(x): Bernoulli, summed over pixels, mean over the batch."""
        logits = self.reconstruction_logits(batch)
        return F.binary_cross_entropy_with_logits(logits, self.flat(batch.x), reduction="sum") * (1.0 / len(batch))

    # ---- what the discriminator sees ----------------------------------------------------------
    def condition_labels(self, batch):
        """The discriminator's class of each example (host ints: the label, or NO_LABEL), or None."""
        if not self.label_conditioned:
            return None
        labels = batch.y.numpy().astype(np.int64)
        if self.training and self.labelled is not None:
            labels = np.where(batch.index.numpy() < self.labelled, labels, NO_LABEL)
        return labels

    def condition(self, labels):
        """The one-hot (B, 11) of ``labels`` for the discriminator, or None when unconditional."""
        if labels is None:
            return None
        return F.one_hot(minigrad.tensor(labels), NO_LABEL + 1, dtype=minigrad.get_default_dtype())

    def adversarial_terms(self, batch):
        """(L_D, L_G) on ``batch`` with fresh prior samples, both with graphs (for evaluation and tests)."""
        labels = self.condition_labels(batch)
        c = self.condition(labels)
        z_fake = self.encode(batch.input)
        z_real = prior_tensor(self.code_prior, len(batch), labels)
        fake_logits = self.discriminator(z_fake, c)
        return discriminator_loss(self.discriminator(z_real, c), fake_logits), generator_loss(fake_logits)

    # ---- the three updates --------------------------------------------------------------------
    def reconstruction_phase(self, batch, optimizer):
        """Update encoder and decoder on L_reconstruction; returns its value (detached)."""
        optimizer.zero_grad()
        loss = self.reconstruction_loss(batch)
        loss.backward()
        optimizer.step()
        return loss.detach()

    def discriminator_phase(self, batch, optimizer):
        """Update D on L_D: prior samples (of each example's label) against the detached codes."""
        optimizer.zero_grad()
        labels = self.condition_labels(batch)
        c = self.condition(labels)
        with minigrad.no_grad():
            z_fake = self.encode(batch.input)                       # constants to D: no graph into q
        z_real = prior_tensor(self.code_prior, len(batch), labels)
        loss = discriminator_loss(self.discriminator(z_real, c), self.discriminator(z_fake, c))
        loss.backward()
        optimizer.step()
        return loss.detach()

    def generator_phase(self, batch, optimizer):
        """Update the encoder on L_G through a frozen D; returns its value (detached)."""
        optimizer.zero_grad()
        c = self.condition(self.condition_labels(batch))
        with frozen(self.discriminator):
            loss = generator_loss(self.discriminator(self.encode(batch.input), c))
            loss.backward()
        optimizer.step()
        return loss.detach()

    def train_step(self, batch, optimizers):
        """Reconstruction phase, then regularization phase (D once, the generator ``gen_steps`` times).

        Returns the three terms as detached 0-d Tensors (no host sync; the loop reads them in
        batches); "loss" is the reconstruction term (the game has no single objective).
        """
        values = {"reconstruction": self.reconstruction_phase(batch, optimizers["autoencoder"])}
        values["discriminator"] = self.discriminator_phase(batch, optimizers["discriminator"])
        for _ in range(self.gen_steps):
            values["generator"] = self.generator_phase(batch, optimizers["generator"])
        values.update(self.extra_phases(batch, optimizers))
        values["loss"] = values["reconstruction"]
        return values

    def extra_phases(self, batch, optimizers):
        """More updates after the regularization phase (the semi-supervised classification phase)."""
        return {}

    def configure_optimizers(self, config):
        """One optimizer per phase: ``config["optimizer"]`` (Adam) over encoder + decoder at lr, over D at
        lr × disc_lr_scale, and over the encoder alone (the generator) at lr × gen_lr_scale."""
        def at(scale):
            return dict(config, lr=config["lr"] * scale)

        return {
            "autoencoder": make_optimizer(config, self.autoencoder_parameters()),
            "discriminator": make_optimizer(at(self.disc_lr_scale), self.discriminator.parameters()),
            "generator": make_optimizer(at(self.gen_lr_scale), self.encoder.parameters()),
        }

    def autoencoder_parameters(self):
        return list(self.encoder.parameters()) + list(self.decoder.parameters())

    # ---- evaluation ---------------------------------------------------------------------------
    def loss_terms(self, batch):
        d_loss, g_loss = self.adversarial_terms(batch)
        return {"reconstruction": self.reconstruction_loss(batch), "discriminator": d_loss, "generator": g_loss}

    def objective(self, terms):
        return terms["reconstruction"]


@register("aae", "adversarial autoencoder 784-512-256-2, D 2-256-256-1 on z; priors gaussian, uniform, mixture, "
                 "swiss-roll; optional label-conditioned D")
class AAE(AdversarialAutoencoder):
    defaults = {"epochs": 50, "batch_size": 100, "lr": 1e-3, "latent_dim": 2, "hidden": [512, 256]}

    def __init__(self, input_shape=(784,), hidden=(512, 256), latent_dim=2, prior="gaussian", label_conditioned=False,
                 labelled=None, disc_hidden=(256, 256), disc_lr_scale=0.2, gen_lr_scale=1.0, gen_steps=1, dropout=0.0):
        super().__init__()
        self.input_shape = tuple(input_shape)
        self.latent_dim = latent_dim
        self.code_prior = make_prior(prior, latent_dim)
        self.prior = "standard-normal" if prior == "gaussian" else None  # for the figures' manifold grid
        if label_conditioned and not self.code_prior.conditional:
            raise ValueError(f"label_conditioned=True needs a prior with labelled parts (mixture, swiss-roll), not {prior!r}")
        if gen_steps < 1:
            raise ValueError(f"gen_steps must be >= 1, got {gen_steps}")
        self.label_conditioned, self.labelled = bool(label_conditioned), labelled
        self.gen_steps, self.disc_lr_scale, self.gen_lr_scale = int(gen_steps), disc_lr_scale, gen_lr_scale
        sizes = [prod(input_shape), *hidden, latent_dim]
        self.encoder = encoder_mlp(sizes, dropout)
        self.decoder = mlp(sizes[::-1])                                       # logits
        self.discriminator = Discriminator(latent_dim, disc_hidden, NO_LABEL + 1 if label_conditioned else 0)

    def encode(self, x):
        return self.encoder(self.flat(x))

    def decoder_logits(self, z):
        return self.decoder(z)
