"""Exercise 13: the VAE's reparameterization trick.

A variational autoencoder's encoder outputs, for each example, the mean μ and the
log-variance v = log σ² of a Gaussian q(z|x) = N(μ, diag σ²). Sampling z ~ q is random,
so it has no derivative with respect to μ and v... unless we write the sample as a
deterministic function of them and of a fixed standard normal draw ε ~ N(0, I):

    z = μ + σ·ε ,   σ = exp(½·v)                  (elementwise, all of shape (N, d))

ε is drawn once and is a constant of the node (``self.eps``): the randomness is moved out
of the path from μ and v to z. That is the whole trick.

Mind σ = exp(½·v), not exp(v): v is a log-*variance*. (A well-known teaching library once
used exp(v) as the standard deviation: its gradients were "right" for the wrong function.)

Write ``Reparameterize.backward``: return (∂L/∂μ, ∂L/∂v) given gz = ∂L/∂z.

To derive: ∂z/∂μ and ∂z/∂v, elementwise (d/dv exp(½v) = ½·exp(½v)).

Useful: ``minigrad.exp``; ``minigrad.Tensor(array)`` for the constant ε.

Check:  python -m minigrad.exercises check 13
"""

import numpy

import minigrad
from minigrad import Function, Tensor, get_array_module

SECOND_ORDER = True  # the checker also tries gradgradcheck (a bonus)


class Reparameterize(Function):
    def __init__(self, eps):
        self.eps = eps  # the standard normal draw ε, an array: a constant of the node

    def forward(self, mu, logvar):
        xp = get_array_module(mu)
        return mu + xp.exp(0.5 * logvar) * self.eps

    def backward(self, gz):
        # ∂z/∂μ = 1 ;  ∂z/∂v = ½·exp(½v)·ε = ½·σ·ε
        mu, logvar = self.inputs
        return gz, gz * minigrad.exp(0.5 * logvar) * Tensor(0.5 * self.eps)


def apply(mu, logvar, eps):
    """What the checker differentiates (eps: a Tensor passed as a constant)."""
    return Reparameterize(eps.data)(mu, logvar)


def check_inputs():
    """float64 μ and log-variance (N=4, d=3), and a fixed draw ε."""
    rng = numpy.random.default_rng(13)
    mu = minigrad.tensor(rng.normal(size=(4, 3)), dtype="float64", requires_grad=True)
    logvar = minigrad.tensor(rng.uniform(-2, 1, size=(4, 3)), dtype="float64", requires_grad=True)
    eps = minigrad.tensor(rng.normal(size=(4, 3)), dtype="float64")
    mu.name, logvar.name, eps.name = "mu", "logvar", "eps"
    return mu, logvar, eps


if __name__ == "__main__":  # `python ex13_reparameterize.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
