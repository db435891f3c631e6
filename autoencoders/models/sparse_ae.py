"""The sparse autoencoder: a penalty keeps each code unit mostly inactive.

Ng, "Sparse autoencoder" (CS294A lecture notes, 2011):

    h = sigmoid(W x + b),   x̂ = sigmoid(W' h + b')
    ρ̂_j = mean over the batch of h_j                    how often unit j is active
    L = reconstruction + sparsity + weight_decay
      = mean (x̂ − x)²  +  β Σ_j KL(ρ ‖ ρ̂_j)  +  λ/2 (‖W‖² + ‖W'‖²)

    KL(ρ ‖ ρ̂) = ρ log(ρ/ρ̂) + (1 − ρ) log((1 − ρ)/(1 − ρ̂))

the divergence between a Bernoulli of mean ρ (the target) and one of mean ρ̂. With
``sparsity="l1"`` the penalty is instead β·mean over the batch of Σ_j |h_j|, which pushes
every activation toward 0 (no target). The weight decay keeps the network from meeting
the penalty with tiny codes and huge decoder weights.

Ng's notes sum the squared error over pixels (½‖x̂ − x‖², 392 times the per-pixel mean used
here, as in every model of this family), so his β = 3 and λ = 3·10⁻³ correspond to
β ≈ 0.008 and λ ≈ 8·10⁻⁶ here. The defaults, ρ = 0.1 (his value for MNIST) and β = 0.003
without weight decay (β = 0.0003 for L1, whose penalty is about ten times larger at the
same activations), train well with Adam in 20 epochs; ρ = 0.05 starves the sigmoid
codes (their slope at 0.05 is a fifth of that at 0.5) and the reconstruction lags far
behind. The test metrics include ``mean_activation``, the mean of h over test images and
units: with the KL penalty it should come close to ρ.
"""

import minigrad
from minigrad import functional as F
from minigrad import nn

from autoencoders.models.base import Autoencoder, prod
from autoencoders.models.registry import register

SPARSITY = ("kl", "l1")
DEFAULT_BETA = {"kl": 0.003, "l1": 0.0003}  # beta=None picks the one of the penalty


def kl_bernoulli(rho, rho_hat):
    """KL(Bernoulli(ρ) ‖ Bernoulli(ρ̂)), elementwise; ρ a number in (0, 1), ρ̂ a Tensor in (0, 1)."""
    return rho * (rho / rho_hat).log() + (1 - rho) * ((1 - rho) / (1 - rho_hat)).log()


@register("sparse-ae", "sparse autoencoder 784-196-784 (sigmoid): KL(rho || rho_hat) sparsity penalty, "
                       "or L1 with --set sparsity=l1")
class SparseAE(Autoencoder):
    defaults = {"epochs": 20, "batch_size": 128, "lr": 3e-3, "latent_dim": 196}

    def __init__(self, input_shape=(784,), latent_dim=196, sparsity="kl", rho=0.1, beta=None, weight_decay=0.0):
        super().__init__()
        if sparsity not in SPARSITY:
            raise ValueError(f"sparse-ae: sparsity must be 'kl' or 'l1', got {sparsity!r}")
        if not 0 < rho < 1:
            raise ValueError(f"sparse-ae: rho must lie in (0, 1), got {rho}")
        self.input_shape = tuple(input_shape)
        self.latent_dim = latent_dim
        beta = DEFAULT_BETA[sparsity] if beta is None else beta
        self.sparsity, self.rho, self.beta, self.weight_decay = sparsity, rho, beta, weight_decay
        self.encoder = nn.Linear(prod(input_shape), latent_dim)   # W, b
        self.decoder = nn.Linear(latent_dim, prod(input_shape))   # W', b'

    def encode(self, x):
        return F.sigmoid(self.encoder(x.reshape(len(x), -1)))

    def decode(self, h):
        return F.sigmoid(self.decoder(h)).reshape((len(h),) + self.input_shape)

    def sparsity_penalty(self, h):
        if self.sparsity == "kl":
            rho_hat = h.mean(axis=0).clip(1e-7, 1 - 1e-7)  # clip: a float32 mean of saturated units can reach 1
            return self.beta * kl_bernoulli(self.rho, rho_hat).sum()
        return self.beta * h.abs().sum(axis=1).mean()

    def loss_terms(self, batch):
        h = self.encode(batch.input)
        terms = {"reconstruction": F.mse_loss(self.decode(h), batch.x), "sparsity": self.sparsity_penalty(h)}
        if self.weight_decay:
            squares = (self.encoder.weight ** 2).sum() + (self.decoder.weight ** 2).sum()
            terms["weight_decay"] = 0.5 * self.weight_decay * squares
        return terms

    def evaluate_step(self, batch):
        values = super().evaluate_step(batch)
        with minigrad.no_grad():
            values["mean_activation"] = float(self.encode(batch.input).mean().item())
        return values
