"""The supervised adversarial autoencoder (Makhzani et al. 2016, section 4): the label goes to
the decoder, so the code is left with the style.

    encoder        z = q(x)                                   deterministic
    decoder        p(x | z, y) = Bernoulli(sigmoid(g([z, onehot(y)])))
    prior          p(z) = N(0, I), imposed by D(z) exactly as in the AAE

    reconstruction phase   encoder, decoder:  L_reconstruction = −log p(x | q(x), y)
    regularization phase   D:                 L_D = BCE(D(z'), 1) + BCE(D(q(x)), 0)
                           encoder:           L_G = BCE(D(q(x)), 1)

Since the decoder is told the digit, a code that also encoded it would be wasted; the
adversarial term makes z follow a label-free Gaussian, so z ends up holding what the label
does not say: slant, width, stroke. Decoding one z with every label writes the same style
as each digit (the style grid of ``autoencoders.plots.adversarial``).

Here the discriminator learns at the full lr (``disc_lr_scale=1``, not the AAE's 1/5), to
squeeze the digit out of z, and training stops after 25 epochs: trained longer, the decoder
learns to read the digit from z as well and obeys the label less (docs/adversarial.md).

Like the CVAE it declares ``conditional = True``: the figures then pass the test labels to
``decode`` (reconstructions), and ``autoencoders.plots.variational`` draws its styles and
analogies figures (the analogies are the style grid: each test digit's z decoded with every
label). Without a label (``y=None``) the decoder gets the uniform vector (1/10, ..., 1/10),
an input it never saw in training: a blurred average.
"""

import minigrad
from minigrad import functional as F
from minigrad.tensor import Tensor

from autoencoders.models.aae import Discriminator, AdversarialAutoencoder
from autoencoders.models.base import label_condition, mlp, prod
from autoencoders.models.registry import register
from autoencoders.priors import make_prior


@register("aae-supervised", "supervised AAE: one-hot label to the decoder, Gaussian-regularized style code z "
                            "(784-512-256-8)")
class SupervisedAAE(AdversarialAutoencoder):
    defaults = {"epochs": 25, "batch_size": 100, "lr": 1e-3, "latent_dim": 8, "hidden": [512, 256]}
    prior = "standard-normal"
    conditional = True  # decode(z, y) takes labels (encode ignores them): autoencoders.plots.variational

    def __init__(self, input_shape=(784,), hidden=(512, 256), latent_dim=8, num_classes=10, prior="gaussian",
                 disc_hidden=(256, 256), disc_lr_scale=1.0, gen_lr_scale=1.0, gen_steps=1):
        super().__init__()
        self.input_shape, self.latent_dim, self.num_classes = tuple(input_shape), latent_dim, num_classes
        self.code_prior = make_prior(prior, latent_dim)
        self.prior = "standard-normal" if prior == "gaussian" else None
        self.gen_steps, self.disc_lr_scale, self.gen_lr_scale = int(gen_steps), disc_lr_scale, gen_lr_scale
        sizes = [prod(input_shape), *hidden, latent_dim]
        self.encoder = mlp(sizes)
        self.decoder = mlp([latent_dim + num_classes, *reversed(hidden), prod(input_shape)])
        self.discriminator = Discriminator(latent_dim, disc_hidden)

    def encode(self, x, y=None):
        """The style code q(x); the label ``y`` is not read (the encoder sees only the image)."""
        return self.encoder(self.flat(x))

    def decoder_logits(self, z, y=None):
        return self.decoder(minigrad.concatenate([z, label_condition(y, self.num_classes, z)], axis=1))

    def decode(self, z, y=None):
        return F.sigmoid(self.decoder_logits(z, y)).reshape((len(z),) + self.input_shape)

    def decode_style(self, z, y):
        """Images of style codes ``z`` (B, latent_dim) written as labels ``y`` (B,)."""
        return self.decode(z, y)

    def reconstruction_logits(self, batch):
        if batch.y is None:
            raise ValueError("the supervised AAE needs the labels of the batch (batch.y)")
        return self.decoder_logits(self.encode(batch.input), batch.y)

    def reconstruct(self, x, y=None):
        return self.decode(self.encode(x), y)

    def sample(self, n, y=None):
        """``n`` images of labels ``y`` (n,) if given, else of labels drawn uniformly."""
        if y is None:
            y = Tensor._wrap((minigrad.rand(n).data * self.num_classes).astype("int64"))
        z = minigrad.tensor(self.code_prior.sample(n), dtype=minigrad.get_default_dtype())
        return self.decode(z, y)
