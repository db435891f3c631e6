"""The linear autoencoder: no activations, mean squared error. It learns the PCA subspace.

    z = W_e x + b_e,    x̂ = W_d z + b_d,    L_reconstruction = mean over pixels (x̂ − x)²

With a k-dimensional code and this loss every local minimum is global (Baldi & Hornik,
1989), and at the minimum the decoder's column space span(W_d) is the span of the top-k
principal directions of the training data: x̂ is the rank-k PCA reconstruction, though W_d
is any basis of that subspace, not the principal directions themselves. Measure it with
:mod:`autoencoders.evaluation.pca` (principal angles, MSE against exact PCA).
"""

from minigrad import functional as F
from minigrad import nn

from autoencoders.models.base import Autoencoder, prod
from autoencoders.models.registry import register


@register("linear-ae", "linear autoencoder 784-k-784 (no activations, MSE): learns the top-k PCA subspace")
class LinearAE(Autoencoder):
    defaults = {"epochs": 500, "batch_size": 500, "lr": 3e-3, "latent_dim": 10}

    def __init__(self, input_shape=(784,), latent_dim=10):
        super().__init__()
        self.input_shape = tuple(input_shape)
        self.latent_dim = latent_dim
        self.encoder = nn.Linear(prod(input_shape), latent_dim)   # W_e, b_e
        self.decoder = nn.Linear(latent_dim, prod(input_shape))   # W_d, b_d

    def encode(self, x):
        return self.encoder(x.reshape(len(x), -1))

    def decode(self, z):
        return self.decoder(z).reshape((len(z),) + self.input_shape)

    def loss_terms(self, batch):
        return {"reconstruction": F.mse_loss(self.reconstruct(batch.input), batch.x)}
