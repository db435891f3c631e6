"""The test negative ELBO of a VAE-family model, its two terms reported separately.

    −ELBO(x) = E_q[−log p(x|z)] + KL(q(z|x) ‖ p(z))   ≥   −log p(x)
                 reconstruction        kl

The reconstruction term is estimated with ``samples`` draws of z per example (one, as
pytorch/examples, by default; never z = μ, which is not the ELBO and flatters it); the
KL term is exact. Numbers are nats per example, averaged over the examples.
"""

import numpy as np

import minigrad
from minigrad import backend as _backend

from autoencoders.models.base import Batch


def negative_elbo(model, x, y=None, *, batch_size=500, samples=1, seed=0):
    """{"reconstruction", "kl", "negative_elbo"}: means over the rows of ``x`` (labels ``y`` for a CVAE).

    The noise ε of every draw comes from a NumPy generator seeded with ``seed``, passed to the
    model's ``loss_terms(batch, noise=...)``: the numbers are reproducible and minigrad's own
    generator is left untouched. For a β-VAE the terms are unweighted: this is the ELBO, not
    the training objective.
    """
    x = x.numpy() if isinstance(x, minigrad.Tensor) else np.asarray(x)
    if y is not None:
        y = (y.numpy() if isinstance(y, minigrad.Tensor) else np.asarray(y)).astype(np.int64)
    rng = np.random.default_rng(seed)
    sums = {"reconstruction": 0.0, "kl": 0.0}
    was_training = model.training
    model.eval()
    try:
        with minigrad.no_grad():
            for start in range(0, len(x), batch_size):
                xb = x[start:start + batch_size]
                batch = Batch(x=minigrad.tensor(xb), y=None if y is None else minigrad.tensor(y[start:start + batch_size]))
                for _ in range(samples):
                    eps = rng.standard_normal((len(xb), model.latent_dim), dtype=np.float32)
                    eps = _backend.to_backend(eps.astype(minigrad.get_default_dtype()), minigrad.get_backend())
                    terms = model.loss_terms(batch, noise=eps)
                    for name in sums:
                        sums[name] += float(terms[name].item()) * len(xb) / samples
    finally:
        model.train(was_training)
    result = {name: total / len(x) for name, total in sums.items()}
    result["negative_elbo"] = result["reconstruction"] + result["kl"]
    return result
