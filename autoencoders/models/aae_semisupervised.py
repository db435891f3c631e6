"""The semi-supervised adversarial autoencoder (Makhzani et al. 2016, section 5).

    encoder        q(y|x) = softmax(h_y(x)),  z = h_z(x)           one trunk h, two heads
    decoder        p(x | y, z) = Bernoulli(sigmoid(g([q(y|x), z])))
    priors         y ~ Cat(1/10) as one-hot vectors,  z ~ N(0, I)
    discriminators D_cat(y) on the class head, D_gauss(z) on the style head

Each mini-batch runs three phases:

    reconstruction phase      encoder, decoder:   L_reconstruction = −log p(x | q(y|x), z)
    regularization phase      D_cat, D_gauss:     L_D = L_D(cat) + L_D(gauss)   (codes detached)
                              encoder:            L_G = L_G(cat) + L_G(gauss)   (D's frozen)
    semi-supervised classification phase
                              trunk and y head:   L_classification = cross-entropy of q(y|x) on a
                                                  labelled mini-batch

L_D and L_G are the AAE's (``autoencoders.models.aae``) for each head. D_cat makes q(y|x)
look like one-hot draws of a uniform categorical: confident, and balanced over the
classes. With y taken, the Gaussian z is left with the style. The few labels only have to
tell which cluster is which digit.

The labelled mini-batch. Training examples with index < ``labelled`` count as labelled
(on mnist-5k the first 100 are 10 of each digit, the first 1000 are 100 of each). The
training loop hands the model one shuffled batch at a time, so the model keeps the labelled
examples it has seen in two buffers (saved with its state: an interrupted run resumes
exactly) and draws each labelled mini-batch (``batch_size`` of them, fewer at the start)
from that memory; after one epoch it holds all of them.

Evaluation adds the test ``error``: the fraction of test digits whose argmax q(y|x) is wrong.

By default the encoder is regularized: dropout 0.2 after each hidden ReLU, and the input is
masked (a quarter of the pixels zeroed, a fresh draw every batch; the reconstruction target
stays the clean image), which helped the label-conditioned AAE generalize (docs/adversarial.md).
"""

import numpy as np

import minigrad
from minigrad import functional as F
from minigrad import nn
from minigrad.tensor import Tensor

from autoencoders.models.aae import (
    AdversarialAutoencoder, Discriminator, discriminator_loss, frozen, generator_loss, hidden_layers, prior_tensor,
)
from autoencoders.models.base import Batch, make_optimizer, mlp, prod
from autoencoders.models.registry import register
from autoencoders.priors import make_prior


class Categorical:
    """The prior of the class head: one-hot vectors of y ~ Cat(1/K), host arrays (n, K)."""

    def __init__(self, num_classes):
        self.num_classes = num_classes

    def sample(self, n, labels=None, rng=None):
        rng = minigrad.random.generator(np) if rng is None else rng
        return np.eye(self.num_classes)[rng.integers(0, self.num_classes, size=n)]


@register("aae-semisupervised", "semi-supervised AAE: softmax class head with a categorical D, Gaussian style "
                                "head, cross-entropy on the first `labelled` examples (784-512-256-(10+10))")
class SemiSupervisedAAE(AdversarialAutoencoder):
    defaults = {"epochs": 100, "batch_size": 100, "lr": 1e-3, "latent_dim": 10, "hidden": [512, 256],
                "dropout": 0.2, "noise": "masking:0.25"}

    def __init__(self, input_shape=(784,), hidden=(512, 256), latent_dim=10, num_classes=10, labelled=100,
                 disc_hidden=(256, 256), disc_lr_scale=0.2, gen_lr_scale=1.0, gen_steps=1, classifier_lr_scale=1.0,
                 dropout=0.0):
        super().__init__()
        self.input_shape, self.num_classes, self.labelled = tuple(input_shape), num_classes, int(labelled)
        self.style_dim = latent_dim
        self.latent_dim = num_classes + latent_dim           # the code [q(y|x), z] the decoder reads
        self.code_prior, self.class_prior = make_prior("gaussian", latent_dim), Categorical(num_classes)
        self.gen_steps, self.disc_lr_scale, self.gen_lr_scale = int(gen_steps), disc_lr_scale, gen_lr_scale
        self.classifier_lr_scale = classifier_lr_scale
        self.trunk = nn.Sequential(*hidden_layers([prod(input_shape), *hidden], dropout))
        self.class_head = nn.Linear(hidden[-1], num_classes)  # logits of q(y|x)
        self.style_head = nn.Linear(hidden[-1], latent_dim)
        self.decoder = mlp([self.latent_dim, *reversed(hidden), prod(input_shape)])
        self.discriminator = Discriminator(latent_dim, disc_hidden)          # D_gauss(z)
        self.class_discriminator = Discriminator(num_classes, disc_hidden)  # D_cat(y)
        self.register_buffer("labelled_x", minigrad.zeros(self.labelled, prod(input_shape)))
        self.register_buffer("labelled_y", minigrad.full((self.labelled,), -1, dtype="int64"))  # -1: not seen yet

    @property
    def encoder(self):
        """The encoder's modules (what the generator updates)."""
        return nn.ModuleList([self.trunk, self.class_head, self.style_head])

    # ---- the model ----------------------------------------------------------------------
    def heads(self, x):
        """(class logits, style z) of inputs ``x``."""
        h = self.trunk(self.flat(x))
        return self.class_head(h), self.style_head(h)

    def encode(self, x):
        logits, z = self.heads(x)
        return minigrad.concatenate([F.softmax(logits, axis=1), z], axis=1)

    def style(self, x):
        return self.heads(x)[1]

    def classify(self, x):
        """The predicted class argmax q(y|x), host ints (B,)."""
        return self.heads(x)[0].numpy().argmax(axis=1)

    def decoder_logits(self, code):
        return self.decoder(code)

    def decode_style(self, z, y):
        """Images of style codes ``z`` (B, latent_dim) written as one-hot labels ``y`` (B,)."""
        return self.decode(minigrad.concatenate([F.one_hot(y, self.num_classes, dtype=z.dtype), z], axis=1))

    def sample(self, n):
        y = prior_tensor(self.class_prior, n)
        return self.decode(minigrad.concatenate([y, prior_tensor(self.code_prior, n)], axis=1))

    # ---- regularization phase: the AAE game on both heads ---------------------------------------
    def adversarial_terms(self, batch):
        logits, z = self.heads(batch.input)
        y = F.softmax(logits, axis=1)
        y_real, z_real = prior_tensor(self.class_prior, len(batch)), prior_tensor(self.code_prior, len(batch))
        fake_cat, fake_gauss = self.class_discriminator(y), self.discriminator(z)
        d_loss = (discriminator_loss(self.class_discriminator(y_real), fake_cat)
                  + discriminator_loss(self.discriminator(z_real), fake_gauss))
        return d_loss, generator_loss(fake_cat) + generator_loss(fake_gauss)

    def discriminator_phase(self, batch, optimizer):
        optimizer.zero_grad()
        with minigrad.no_grad():
            logits, z = self.heads(batch.input)                      # constants to the D's
            y = F.softmax(logits, axis=1)
        y_real, z_real = prior_tensor(self.class_prior, len(batch)), prior_tensor(self.code_prior, len(batch))
        loss = (discriminator_loss(self.class_discriminator(y_real), self.class_discriminator(y))
                + discriminator_loss(self.discriminator(z_real), self.discriminator(z)))
        loss.backward()
        optimizer.step()
        return loss.detach()

    def generator_phase(self, batch, optimizer):
        optimizer.zero_grad()
        with frozen(self.class_discriminator), frozen(self.discriminator):
            logits, z = self.heads(batch.input)
            loss = generator_loss(self.class_discriminator(F.softmax(logits, axis=1))) + generator_loss(
                self.discriminator(z))
            loss.backward()
        optimizer.step()
        return loss.detach()

    # ---- semi-supervised classification phase ---------------------------------------------------
    def remember_labelled(self, batch):
        """Copy the labelled examples of ``batch`` (index < labelled) into the memory."""
        index = batch.index.numpy()
        rows = np.flatnonzero(index < self.labelled)
        if len(rows):
            xp = self.labelled_x.xp
            slots, rows = xp.asarray(index[rows]), xp.asarray(rows)
            self.labelled_x.data[slots] = self.flat(batch.input).data[rows]
            self.labelled_y.data[slots] = batch.y.data[rows]

    def labelled_batch(self, size):
        """A mini-batch of ``size`` (at most) labelled examples drawn from the memory, or None."""
        seen = np.flatnonzero(self.labelled_y.numpy() >= 0)
        if not len(seen):
            return None
        rows = minigrad.random.generator(np).choice(seen, size=min(size, len(seen)), replace=False)
        rows = self.labelled_x.xp.asarray(rows)
        return Batch(x=Tensor._wrap(self.labelled_x.data[rows]), y=Tensor._wrap(self.labelled_y.data[rows]))

    def classification_loss(self, batch):
        """L_classification = cross-entropy of q(y|x) against the labels, mean over the batch."""
        return F.cross_entropy(self.heads(batch.x)[0], batch.y)

    def extra_phases(self, batch, optimizers):
        self.remember_labelled(batch)
        labelled = self.labelled_batch(len(batch))
        if labelled is None:
            return {}
        optimizer = optimizers["classifier"]
        optimizer.zero_grad()
        loss = self.classification_loss(labelled)
        loss.backward()
        optimizer.step()
        return {"classification": loss.detach()}

    def configure_optimizers(self, config):
        optimizers = super().configure_optimizers(config)
        discriminators = list(self.discriminator.parameters()) + list(self.class_discriminator.parameters())
        optimizers["discriminator"] = make_optimizer(dict(config, lr=config["lr"] * self.disc_lr_scale),
                                                     discriminators)
        classifier = list(self.trunk.parameters()) + list(self.class_head.parameters())
        optimizers["classifier"] = make_optimizer(dict(config, lr=config["lr"] * self.classifier_lr_scale),
                                                  classifier)
        return optimizers

    # ---- evaluation ---------------------------------------------------------------------------
    def loss_terms(self, batch):
        terms = super().loss_terms(batch)
        logits = self.heads(batch.input)[0]
        terms["classification"] = F.cross_entropy(logits, batch.y)
        wrong = logits.numpy().argmax(axis=1) != batch.y.numpy()
        terms["error"] = minigrad.tensor(np.mean(wrong), dtype=minigrad.get_default_dtype())
        return terms
