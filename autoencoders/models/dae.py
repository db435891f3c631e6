"""The denoising autoencoder: reconstruct the clean x from a corrupted copy x̃.

Vincent, Larochelle, Bengio & Manzagol, "Extracting and Composing Robust Features with
Denoising Autoencoders" (ICML 2008):

    x̃ ~ q(x̃ | x)                                 the corruption
    h = f(x̃) = sigmoid(W x̃ + b),   x̂ = g(h) = sigmoid(W' h + b')
    L_reconstruction = mean over pixels (x̂ − x)²  the target is the clean x, not x̃

The corruption comes from the data layer (:mod:`autoencoders.data.transforms`), chosen by
the run's ``noise`` option, KIND:LEVEL:

    gaussian:0.5          x̃ = clip(x + N(0, 0.5²))
    masking:0.25          25 % of each image's pixels, at random, set to 0 (the default)
    salt-and-pepper:0.2   20 % of each image's pixels set to 0 or 1 by a coin flip

A fresh corruption is drawn for every mini-batch; the test set's corruption is drawn the
same way at every evaluation, so the test reconstruction term is a denoising error.
``hidden`` adds ReLU layers between x̃ and the sigmoid code (the paper's network has none).
"""

from minigrad import functional as F
from minigrad import nn

from autoencoders.models.base import Autoencoder, mlp, prod
from autoencoders.models.registry import register


@register("dae", "denoising autoencoder 784-256-784 (sigmoid): corrupted input, clean target; "
                 "--set noise=masking:0.25|gaussian:0.5|salt-and-pepper:0.2")
class DAE(Autoencoder):
    defaults = {"epochs": 20, "batch_size": 64, "lr": 1e-3, "latent_dim": 256, "hidden": [],
                "noise": "masking:0.25"}

    def __init__(self, input_shape=(784,), hidden=(), latent_dim=256):
        super().__init__()
        sizes = [prod(input_shape), *hidden, latent_dim]
        self.input_shape = tuple(input_shape)
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(mlp(sizes), nn.Sigmoid())          # f
        self.decoder = nn.Sequential(mlp(sizes[::-1]), nn.Sigmoid())    # g

    def encode(self, x):
        return self.encoder(x.reshape(len(x), -1))

    def decode(self, h):
        return self.decoder(h).reshape((len(h),) + self.input_shape)

    def loss_terms(self, batch):
        x_tilde = batch.input  # the corrupted x, when the run has a noise
        return {"reconstruction": F.mse_loss(self.reconstruct(x_tilde), batch.x)}

    def configure_optimizers(self, config):
        if config.get("noise") is None:
            from autoencoders.training.config import ConfigError
            raise ConfigError("dae: a denoising autoencoder needs an input corruption; set noise, e.g. "
                              "--set noise=masking:0.25 (or train 'ae' for a plain autoencoder)")
        return super().configure_optimizers(config)
