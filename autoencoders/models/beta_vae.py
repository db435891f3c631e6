"""β-VAE (Higgins et al., "β-VAE: Learning Basic Visual Concepts with a Constrained
Variational Framework", ICLR 2017): the VAE with its KL term weighted by β.

    objective = reconstruction + β · kl          (β = 1 is the VAE; β > 1 trades reconstruction
                                                   for a more factorized, "disentangled" code)

The terms are reported unweighted (their sum is still −ELBO); only the objective that is
minimized, and reported as "loss", carries β. Set it with ``--beta`` (``--set beta=4``).
The latent traversal figure (``autoencoders.plots.variational.latent_traversal``) shows
what each latent dimension controls.
"""

from autoencoders.models.registry import register
from autoencoders.models.vae import VAE


@register("beta-vae", "β-VAE: the VAE with its KL term weighted by beta (default 4), 784-400-10")
class BetaVAE(VAE):
    defaults = {**VAE.defaults, "latent_dim": 10, "epochs": 20}

    def __init__(self, input_shape=(784,), hidden=(400,), latent_dim=10, beta=4.0, likelihood="bernoulli",
                 decoder_variance="learned"):
        if not beta >= 0:
            raise ValueError(f"beta must be >= 0, got {beta!r}")
        super().__init__(input_shape, hidden, latent_dim, likelihood, decoder_variance)
        self.beta = float(beta)

    def objective(self, terms):
        return terms["reconstruction"] + self.beta * terms["kl"]
