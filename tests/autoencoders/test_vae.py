"""Tests of the VAE and β-VAE: the reparameterization node, the KL term, the objective, sampling.

Gradient checks run in float64 on tiny networks (8-4-2, batch 3) with the noise ε fixed.
They avoid the kinks of ReLU on purpose: ``assert_no_relu_kink`` checks that no ReLU
input of the checked configuration lies within 1e-3 of 0 (far more than gradcheck's
step of 1e-6), so a failure can only be a wrong gradient.
"""

import math

import numpy as np
import pytest

import minigrad
from minigrad import functional as F

from autoencoders.models import Batch, available_models, get_model_class
from autoencoders.models.beta_vae import BetaVAE
from autoencoders.models.vae import VAE, Reparameterize, reparameterize


def tiny_batch(rng, n=3, d=8, binary=False):
    x = rng.random((n, d))
    if binary:
        x = (x > 0.5).astype(np.float64)
    return Batch(x=minigrad.tensor(x), y=minigrad.tensor(np.arange(n) % 2))


# ---- the reparameterization node -----------------------------------------------------------

def test_reparameterize_gradcheck_with_fixed_noise(backend, float64, rng):
    mu = minigrad.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    logvar = minigrad.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    eps = minigrad.tensor(rng.normal(size=(3, 4)))
    assert minigrad.gradcheck(lambda m, v: reparameterize(m, v, noise=eps), [mu, logvar])
    assert minigrad.gradgradcheck(lambda m, v: reparameterize(m, v, noise=eps), [mu, logvar])


def test_reparameterize_gradients_are_the_written_ones(float64, rng):
    """∂z/∂μ = 1 and ∂z/∂logvar = ½·σ·ε with σ = exp(½·logvar)."""
    mu = minigrad.tensor(rng.normal(size=(5, 3)), requires_grad=True)
    logvar = minigrad.tensor(rng.normal(size=(5, 3)), requires_grad=True)
    eps = rng.normal(size=(5, 3))
    z = reparameterize(mu, logvar, noise=eps)
    np.testing.assert_allclose(z.numpy(), mu.numpy() + np.exp(0.5 * logvar.numpy()) * eps, rtol=1e-12)
    assert isinstance(z.creator, Reparameterize)
    z.sum().backward()
    np.testing.assert_allclose(mu.grad.numpy(), np.ones((5, 3)))
    np.testing.assert_allclose(logvar.grad.numpy(), 0.5 * np.exp(0.5 * logvar.numpy()) * eps, rtol=1e-12)


def test_sampled_z_has_mean_mu_and_variance_exp_logvar(backend):
    """The distribution drawn, not only its gradient: var(z) = exp(logvar), not exp(logvar)²."""
    minigrad.manual_seed(3)
    mu_values = np.array([0.5, -2.0, 1.5], dtype=np.float32)
    logvar_values = np.array([1.0, -1.0, 0.3], dtype=np.float32)
    n = 200_000
    mu = minigrad.tensor(np.broadcast_to(mu_values, (n, 3)))
    logvar = minigrad.tensor(np.broadcast_to(logvar_values, (n, 3)))
    z = reparameterize(mu, logvar).numpy().astype(np.float64)
    var = np.exp(logvar_values)
    np.testing.assert_allclose(z.mean(axis=0), mu_values, atol=4 * np.sqrt(var / n).max())
    np.testing.assert_allclose(z.var(axis=0), var, rtol=0.02)  # sd of the estimate ≈ 0.3%
    assert np.all(np.abs(z.var(axis=0) - var ** 2) > 0.1 * var)  # DeZero's bug would give exp(logvar)²


def test_reparameterize_rejects_noise_of_the_wrong_shape():
    mu = minigrad.zeros(2, 3)
    with pytest.raises(ValueError, match="noise"):
        reparameterize(mu, mu, noise=np.zeros((3, 2), np.float32))


# ---- the KL term ----------------------------------------------------------------------------

def kl_by_autodiff(mu, logvar):
    """The same KL written with primitive ops, differentiated by the engine."""
    return (-0.5 * (1 + logvar - mu * mu - minigrad.exp(logvar))).sum(axis=-1)


def test_kl_matches_autodiff_and_its_analytic_gradient(float64, rng):
    mu_np, lv_np = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    mu = minigrad.tensor(mu_np, requires_grad=True)
    logvar = minigrad.tensor(lv_np, requires_grad=True)
    kl = F.gaussian_kl(mu, logvar, reduction="none")
    np.testing.assert_allclose(kl.numpy(), kl_by_autodiff(mu, logvar).numpy(), rtol=1e-12)
    kl.sum().backward()
    np.testing.assert_allclose(mu.grad.numpy(), mu_np, rtol=1e-12)                       # ∂KL/∂μ = μ
    np.testing.assert_allclose(logvar.grad.numpy(), 0.5 * (np.exp(lv_np) - 1), rtol=1e-12)  # ½(e^logvar − 1)
    mu2 = minigrad.tensor(mu_np, requires_grad=True)
    lv2 = minigrad.tensor(lv_np, requires_grad=True)
    kl_by_autodiff(mu2, lv2).sum().backward()
    np.testing.assert_allclose(mu.grad.numpy(), mu2.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(logvar.grad.numpy(), lv2.grad.numpy(), rtol=1e-12)


def test_kl_gradcheck(backend, float64, rng):
    mu = minigrad.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    logvar = minigrad.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    for reduction in ("none", "mean", "sum"):
        assert minigrad.gradcheck(lambda m, v: F.gaussian_kl(m, v, reduction=reduction), [mu, logvar])
    assert minigrad.gradgradcheck(lambda m, v: F.gaussian_kl(m, v, reduction="sum"), [mu, logvar])


def test_kl_equals_a_monte_carlo_estimate(rng):
    """KL(q‖p) = E_q[log q(z) − log p(z)]: the closed form against 400k samples."""
    mu, logvar = np.array([[0.7, -0.3]]), np.array([[0.4, -1.2]])
    kl = F.gaussian_kl(minigrad.tensor(mu), minigrad.tensor(logvar), reduction="sum").item()
    eps = rng.normal(size=(400_000, 2))
    z = mu + np.exp(0.5 * logvar) * eps
    log_q = -0.5 * (eps ** 2 + logvar + math.log(2 * math.pi)).sum(axis=1)
    log_p = -0.5 * (z ** 2 + math.log(2 * math.pi)).sum(axis=1)
    assert abs((log_q - log_p).mean() - kl) < 0.01


# ---- the models ------------------------------------------------------------------------------

@pytest.mark.parametrize("likelihood, variance", [("bernoulli", None), ("gaussian", "learned"), ("gaussian", 0.3)])
def test_vae_objective_gradcheck(as_function_of_parameters, assert_no_relu_kink, backend, float64, rng, likelihood, variance):
    minigrad.manual_seed(0)
    kwargs = {} if variance is None else {"decoder_variance": variance}
    model = VAE(input_shape=(8,), hidden=[4], latent_dim=2, likelihood=likelihood, **kwargs)
    batch = tiny_batch(rng, binary=likelihood == "bernoulli")
    noise = rng.normal(size=(3, 2))

    def loss():
        terms = model.loss_terms(batch, noise=noise)
        return model.objective(terms)

    fn, params = as_function_of_parameters(model, loss)
    assert_no_relu_kink(model, loss)
    assert len(params) == 10 + (variance == "learned")
    assert minigrad.gradcheck(fn, params)


def test_beta_vae_objective_gradcheck_and_weighting(as_function_of_parameters, assert_no_relu_kink, float64, rng):
    minigrad.manual_seed(0)
    model = BetaVAE(input_shape=(8,), hidden=[4], latent_dim=2, beta=4.0)
    batch = tiny_batch(rng, binary=True)
    noise = rng.normal(size=(3, 2))
    terms = model.loss_terms(batch, noise=noise)
    loss = model.objective(terms)
    assert loss.item() == pytest.approx(terms["reconstruction"].item() + 4.0 * terms["kl"].item(), rel=1e-12)
    fn, params = as_function_of_parameters(model, lambda: model.objective(model.loss_terms(batch, noise=noise)))
    assert_no_relu_kink(model, lambda: model.loss_terms(batch, noise=noise))
    assert minigrad.gradcheck(fn, params)


def test_loss_terms_are_per_example_means_of_the_negative_elbo(float64, rng):
    minigrad.manual_seed(1)
    model = VAE(input_shape=(8,), hidden=[5], latent_dim=3)
    x = (rng.random((4, 8)) > 0.5).astype(np.float64)
    noise = rng.normal(size=(4, 3))
    terms = model.loss_terms(Batch(x=minigrad.tensor(x)), noise=noise)
    per_example = [model.loss_terms(Batch(x=minigrad.tensor(x[i:i + 1])), noise=noise[i:i + 1]) for i in range(4)]
    for name in ("reconstruction", "kl"):
        assert terms[name].item() == pytest.approx(np.mean([t[name].item() for t in per_example]), rel=1e-12)
    # and each example's terms are −log p(x|z) (Bernoulli) and the closed-form KL, from scratch:
    mu, logvar = (t.numpy() for t in model.posterior(minigrad.tensor(x[:1])))
    z = mu + np.exp(0.5 * logvar) * noise[:1]
    p = 1 / (1 + np.exp(-model.decoder_output(minigrad.tensor(z)).numpy()))
    bce = -(x[:1] * np.log(p) + (1 - x[:1]) * np.log(1 - p)).sum()
    assert per_example[0]["reconstruction"].item() == pytest.approx(bce, rel=1e-10)
    kl = -0.5 * (1 + logvar - mu ** 2 - np.exp(logvar)).sum()
    assert per_example[0]["kl"].item() == pytest.approx(kl, rel=1e-10)


class RecordingOptimizer:
    """Stands in for Adam: records the gradients that train_step produced."""

    def __init__(self, params):
        self.params = list(params)
        self.grads = None

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        self.grads = [p.grad.numpy() for p in self.params]


def test_train_step_follows_the_gradient_of_the_batch_sum(float64, rng):
    """pytorch/examples minimizes the *sum* over the batch; the terms report means."""
    model = VAE(input_shape=(8,), hidden=[4], latent_dim=2)
    batch = tiny_batch(rng, n=5, binary=True)
    optimizer = RecordingOptimizer(model.parameters())
    minigrad.manual_seed(7)
    values = model.train_step(batch, {"model": optimizer})
    minigrad.manual_seed(7)
    terms = model.loss_terms(batch)
    assert float(values["loss"]) == pytest.approx(model.objective(terms).item(), rel=1e-12)
    for p in model.parameters():
        p.grad = None
    (model.objective(terms) * 5).backward()
    for recorded, p in zip(optimizer.grads, model.parameters()):
        np.testing.assert_allclose(recorded, p.grad.numpy(), rtol=1e-10)


def test_decode_sample_and_encode_shapes():
    minigrad.manual_seed(0)
    model = VAE()
    x = minigrad.rand(6, 784)
    assert model.encode(x).shape == (6, 20)
    out = model.decode(model.encode(x))
    assert out.shape == (6, 784) and 0 <= out.numpy().min() and out.numpy().max() <= 1
    assert model.sample(4).shape == (4, 784)
    assert model.reconstruct(x).shape == (6, 784)
    images = VAE(input_shape=(1, 28, 28), hidden=[16], latent_dim=2)
    assert images.decode(minigrad.zeros(3, 2)).shape == (3, 1, 28, 28)
    assert images.encode(minigrad.rand(3, 1, 28, 28)).shape == (3, 2)


def test_fixed_gaussian_variance_is_not_trained():
    model = VAE(input_shape=(8,), hidden=[4], latent_dim=2, likelihood="gaussian", decoder_variance=0.5)
    learned = VAE(input_shape=(8,), hidden=[4], latent_dim=2, likelihood="gaussian", decoder_variance="learned")
    assert len(list(learned.parameters())) == len(list(model.parameters())) + 1
    np.testing.assert_allclose(np.exp(model.decoder_variance().numpy()), 0.5, rtol=1e-6)
    with pytest.raises(ValueError, match="decoder_variance"):
        VAE(likelihood="gaussian", decoder_variance=-1)
    with pytest.raises(ValueError, match="likelihood"):
        VAE(likelihood="poisson")


def test_models_are_registered():
    models = available_models()
    assert "vae" in models and "beta-vae" in models
    assert get_model_class("vae") is VAE and get_model_class("beta-vae") is BetaVAE
    assert VAE.prior == "standard-normal"


def test_vae_trains_with_the_loop(tmp_path):
    from autoencoders.training import make_config, read_metrics, train

    config = make_config("beta-vae", epochs=2, limit_train=512, limit_test=200, hidden=[64], latent_dim=4,
                         beta=2.0, binarize="dynamic")
    train(config, tmp_path / "run", quiet=True)
    metrics = read_metrics(tmp_path / "run")
    assert [m["epoch"] for m in metrics] == [1, 2]
    first, last = metrics[0]["train"], metrics[-1]["train"]
    assert last["loss"] < first["loss"]
    assert metrics[-1]["test"]["loss"] == pytest.approx(
        metrics[-1]["test"]["reconstruction"] + 2.0 * metrics[-1]["test"]["kl"], rel=1e-6)
