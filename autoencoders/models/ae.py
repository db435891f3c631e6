"""The plain autoencoder: an MLP encoder f and decoder g trained to reconstruct their input.

    z = f(x),    x̂ = g(z) = sigmoid(...),    L_reconstruction = mean over pixels (x̂ - x)²

784-512-256-32 with ReLU, a linear code, a sigmoid output (pixels lie in [0, 1]), Adam 1e-3.
Given ``noise`` in the config, it reads the corrupted input and still reconstructs the clean x.
"""

from minigrad import functional as F
from minigrad import nn

from autoencoders.models.base import Autoencoder, mlp, prod
from autoencoders.models.registry import register


@register("ae", "plain MLP autoencoder 784-512-256-32 (ReLU), sigmoid output, MSE reconstruction")
class AE(Autoencoder):
    defaults = {"epochs": 25, "batch_size": 64, "lr": 1e-3, "latent_dim": 32, "hidden": [512, 256]}

    def __init__(self, input_shape=(784,), hidden=(512, 256), latent_dim=32):
        super().__init__()
        sizes = [prod(input_shape), *hidden, latent_dim]
        self.latent_dim = latent_dim
        self.encoder = mlp(sizes)
        self.decoder = nn.Sequential(mlp(sizes[::-1]), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def loss_terms(self, batch):
        return {"reconstruction": F.mse_loss(self.reconstruct(batch.input), batch.x)}
