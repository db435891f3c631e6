"""Exercise 14: the VAE's KL term, in closed form.

The VAE's loss has a term KL(q(z|x) ‖ p(z)) between the encoder's Gaussian
q = N(μ, diag e^v) (v = log σ², as in exercise 13) and the prior p = N(0, I). For
Gaussians it has a closed form, per example, summed over the d latent dimensions:

    KL = −½ Σ_j (1 + v_j − μ_j² − e^(v_j))

and the loss uses its mean over the N examples: L = (1/N) Σ_n KL_n, a scalar.

(Optional: derive the closed form. KL = E_q[log q(z) − log p(z)]; for one dimension,
log q = −½(log 2π + v + (z − μ)²/e^v) and log p = −½(log 2π + z²); use E_q[(z − μ)²] = e^v and
E_q[z²] = μ² + e^v.)

Write ``GaussianKL.backward``: gy is the gradient of the scalar L; return (∂L/∂μ, ∂L/∂v).

To derive: differentiate KL_n with respect to μ_j and v_j, then divide by N for the mean.
Check your result: at μ = 0, v = 0 (q equals the prior) both gradients must vanish.

Useful: ``minigrad.exp``.

Check:  python -m minigrad.exercises check 14
"""

import numpy

import minigrad
from minigrad import Function, get_array_module

SECOND_ORDER = True  # the checker also tries gradgradcheck (a bonus)


class GaussianKL(Function):
    def forward(self, mu, logvar):
        xp = get_array_module(mu)
        kl = -0.5 * (1 + logvar - mu ** 2 - xp.exp(logvar)).sum(axis=-1)  # (N,)
        return kl.mean()

    def backward(self, gy):
        # ∂KL/∂μ_j = μ_j ;  ∂KL/∂v_j = ½(e^(v_j) − 1) ;  the mean divides by N
        mu, logvar = self.inputs
        n = mu.shape[0]
        return gy * mu / n, gy * 0.5 * (minigrad.exp(logvar) - 1) / n


def apply(mu, logvar):
    """What the checker differentiates."""
    return GaussianKL()(mu, logvar)


def check_inputs():
    """float64 μ and log-variance (N=4, d=3)."""
    rng = numpy.random.default_rng(14)
    mu = minigrad.tensor(rng.normal(size=(4, 3)), dtype="float64", requires_grad=True)
    logvar = minigrad.tensor(rng.uniform(-2, 1, size=(4, 3)), dtype="float64", requires_grad=True)
    mu.name, logvar.name = "mu", "logvar"
    return mu, logvar


if __name__ == "__main__":  # `python ex14_gaussian_kl.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
