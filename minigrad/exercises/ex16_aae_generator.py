"""Exercise 16: the adversarial autoencoder's generator loss (non-saturating).

In an adversarial autoencoder (Makhzani et al., 2016) a discriminator D tells codes drawn
from the prior ("real") from codes made by the encoder ("fake"), and the encoder, playing
the generator, is trained to fool it. With d = the discriminator's logits on the N fake
codes (σ(d) = D's belief that a code is real), two generator losses are possible:

    saturating:       (1/N) Σ log(1 − σ(d))        (minimize: the original minimax game)
    non-saturating:   (1/N) Σ −log σ(d)            (minimize: what everyone uses)

The forward computes the non-saturating one stably, as the mean of softplus(−d) =
log(1 + e^(−d)) = max(−d, 0) + log(1 + e^(−|d|)).

Write ``GeneratorLoss.backward``: gy is the gradient of the scalar loss; return ∂L/∂d.

To derive: d/dd [−log σ(d)] (exercise 3 and σ(−d) = 1 − σ(d)), over N.

Then think: early in training D easily spots the fakes, so d ≪ 0. Compute both losses'
derivatives at d = −8. The saturating one is −σ(d) ≈ −0.0003: almost no signal for the
encoder. The non-saturating one is about −1. That is why it is used.

Useful: ``minigrad.sigmoid``; ``d.size``.

Check:  python -m minigrad.exercises check 16
"""

import numpy

import minigrad
from minigrad import Function, get_array_module

SECOND_ORDER = True  # the checker also tries gradgradcheck (a bonus)


class GeneratorLoss(Function):
    def forward(self, d):
        xp = get_array_module(d)
        return (xp.maximum(-d, 0) + xp.log1p(xp.exp(-xp.abs(d)))).mean()

    def backward(self, gy):
        # gy = the gradient of the scalar loss (shape ()).
        # Return ∂L/∂d, shaped like d.
        raise NotImplementedError("write the backward of GeneratorLoss (see the docstring at the top of this file)")


def apply(d):
    """What the checker differentiates."""
    return GeneratorLoss()(d)


def check_inputs():
    """float64 discriminator logits (8, 1), confident and unsure ones."""
    rng = numpy.random.default_rng(16)
    d = minigrad.tensor(rng.uniform(-8, 4, size=(8, 1)), dtype="float64", requires_grad=True)
    d.name = "d"
    return (d,)


if __name__ == "__main__":  # `python ex16_aae_generator.py` checks this file
    from minigrad.exercises import check_file
    raise SystemExit(check_file(__file__))
