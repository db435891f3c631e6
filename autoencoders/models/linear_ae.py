"""The linear autoencoder: no activations, mean squared error. It learns the PCA subspace.

    z = W_e x + b_e,    x̂ = W_d z + b_d,    L_reconstruction = mean over pixels (x̂ − x)²

With a k-dimensional code and this loss every local minimum is global (Baldi & Hornik,
1989), and at the minimum the decoder's column space span(W_d) is the span of the top-k
principal directions of the training data: x̂ is the rank-k PCA reconstruction, though W_d
is any basis of that subspace, not the principal directions themselves. Measure it with
:mod:`autoencoders.evaluation.pca` (principal angles, MSE against exact PCA).

Training: with a constant learning rate, mini-batch Adam stops in a cloud of noise around
the minimum, and the subspace directions with small eigen-gaps keep drifting inside it. With
``lr_decay="cosine"`` (the default) the learning rate falls from ``lr`` to 0 along
½(1 + cos(π t/T)) over the T steps of the run, so the last steps settle on the minimum.
(T is fixed by the config's epochs: a resumed run that trains longer restarts no schedule.)
"""

import math

import minigrad
from minigrad import functional as F
from minigrad import nn

from autoencoders.models.base import Autoencoder, prod
from autoencoders.models.registry import register


@register("linear-ae", "linear autoencoder 784-k-784 (no activations, MSE): learns the top-k PCA subspace")
class LinearAE(Autoencoder):
    defaults = {"epochs": 500, "batch_size": 500, "lr": 1e-2, "latent_dim": 10}

    def __init__(self, input_shape=(784,), latent_dim=10, lr_decay="cosine"):
        super().__init__()
        if lr_decay not in ("cosine", None):
            raise ValueError(f"linear-ae: lr_decay must be 'cosine' or null, got {lr_decay!r}")
        self.input_shape = tuple(input_shape)
        self.latent_dim = latent_dim
        self.encoder = nn.Linear(prod(input_shape), latent_dim)   # W_e, b_e
        self.decoder = nn.Linear(latent_dim, prod(input_shape))   # W_d, b_d
        self.lr_decay = lr_decay
        self.register_buffer("steps_done", minigrad.zeros(1, dtype="int64"))  # saved: exact resume
        self.schedule = None  # (lr, total steps), set by configure_optimizers

    def encode(self, x):
        return self.encoder(x.reshape(len(x), -1))

    def decode(self, z):
        return self.decoder(z).reshape((len(z),) + self.input_shape)

    def loss_terms(self, batch):
        return {"reconstruction": F.mse_loss(self.reconstruct(batch.input), batch.x)}

    # ---- the learning-rate schedule ---------------------------------------------------------
    def configure_optimizers(self, config):
        if self.lr_decay:
            from autoencoders.training.data import load_data
            steps = config["epochs"] * math.ceil(len(load_data(config).x_train) / config["batch_size"])
            self.schedule = (config["lr"], max(steps, 1))
        return super().configure_optimizers(config)

    def train_step(self, batch, optimizers):
        if self.schedule is not None:
            lr, total = self.schedule
            t = min(int(self.steps_done.data[0]), total)
            for optimizer in optimizers.values():
                for group in optimizer.param_groups:
                    group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * t / total))
        values = super().train_step(batch, optimizers)
        self.steps_done.data += 1
        return values
