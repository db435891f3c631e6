"""Tests of the importance-sampled log-likelihood and the test -ELBO.

The reference is a linear-Gaussian model, where everything is known in closed form:

    p(z) = N(0, I),   p(x|z) = N(Wz + b, s I)   =>   p(x) = N(b, WWᵀ + s I)

and, for an encoder q(z|x) = N(m, diag v),

    −ELBO = E_q[−log p(x|z)] + KL = ½D log 2πs + (‖x − Wm − b‖² + Σ_j v_j ‖W_j‖²) / 2s + KL(q ‖ p).

A VAE with no hidden layer (``hidden=[]``), a Gaussian decoder of fixed variance s, and
weights set by hand is exactly that model.
"""

import math

import numpy as np
import pytest

import minigrad

from autoencoders.evaluation.elbo import negative_elbo
from autoencoders.evaluation.likelihood import importance_sampled_nll, log_mean_exp, nll_of_run
from autoencoders.models.vae import VAE

S = 0.3  # the decoder's variance


def linear_gaussian_vae(W, b, enc_weight, enc_bias, logvar):
    """The VAE whose decoder is x = Wz + b (+ noise of variance S) and whose encoder is
    m = enc_weight·x + enc_bias, log v = logvar (the same for every x)."""
    d, k = W.shape
    model = VAE(input_shape=(d,), hidden=[], latent_dim=k, likelihood="gaussian", decoder_variance=S)
    decoder = model.decoder[-1]
    decoder.weight.data[...] = W
    decoder.bias.data[...] = b
    model.mu_head.weight.data[...] = enc_weight
    model.mu_head.bias.data[...] = enc_bias
    model.logvar_head.weight.data[...] = 0.0
    model.logvar_head.bias.data[...] = logvar
    return model


def exact_log_px(x, W, b):
    cov = W @ W.T + S * np.eye(len(b))
    diff = x - b
    _, logdet = np.linalg.slogdet(cov)
    maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    return -0.5 * (len(b) * math.log(2 * math.pi) + logdet + maha)


def exact_negative_elbo(x, W, b, m, v):
    d = len(b)
    rec = 0.5 * d * math.log(2 * math.pi * S) + (((x - m @ W.T - b) ** 2).sum(1) + (v * (W ** 2).sum(0)).sum()) / (2 * S)
    kl = 0.5 * (m ** 2 + v - 1 - np.log(v)).sum(1)
    return rec + kl


def test_exact_posterior_gives_the_exact_likelihood_for_any_k(float64, rng):
    """With q(z|x) = p(z|x) every importance weight equals p(x): the estimate is exact."""
    W = np.array([[1.5, 0.0], [0.0, -0.7], [0.0, 0.0]])   # orthogonal columns: p(z|x) has a diagonal covariance
    b = np.array([0.2, -0.1, 0.4])
    cov = np.linalg.inv(np.eye(2) + W.T @ W / S)
    gain = cov @ W.T / S                                  # E[z|x] = gain (x − b)
    model = linear_gaussian_vae(W, b, gain, -gain @ b, np.log(np.diag(cov)))
    x = rng.normal(size=(5, 3))
    for k in (1, 3):
        nll = importance_sampled_nll(model, x, k=k, return_all=True)
        np.testing.assert_allclose(-nll, exact_log_px(x, W, b), rtol=1e-10)


def test_large_k_approaches_the_exact_likelihood_from_an_imperfect_proposal(float64, rng):
    """A general W: the true posterior has a full covariance, q(z|x) only a (widened) diagonal one."""
    W = rng.normal(size=(3, 2))
    b = rng.normal(size=3)
    cov = np.linalg.inv(np.eye(2) + W.T @ W / S)
    gain = cov @ W.T / S
    model = linear_gaussian_vae(W, b, gain, -gain @ b, np.log(1.5 * np.diag(cov)))
    x = rng.normal(size=(4, 3))
    exact = -exact_log_px(x, W, b)
    m, v = (x - b) @ gain.T, np.broadcast_to(1.5 * np.diag(cov), (4, 2))
    elbo = exact_negative_elbo(x, W, b, m, v)
    assert np.all(elbo > exact + 0.05)      # the proposal is imperfect: the ELBO is loose ...
    large = importance_sampled_nll(model, x, k=20000, return_all=True, batch_size=2, max_rows=3000, seed=1)
    np.testing.assert_allclose(large, exact, atol=0.01)   # ... and K = 20,000 samples close the gap
    assert np.all(large >= exact - 0.01)


def test_k1_is_the_one_sample_elbo(float64, rng):
    """K = 1: −log w = −log p(x|z) − log p(z) + log q(z|x) for the very same ε; on average, −ELBO."""
    W, b = rng.normal(size=(3, 2)), rng.normal(size=3)
    enc = 0.4 * rng.normal(size=(2, 3))
    model = linear_gaussian_vae(W, b, enc, np.zeros(2), np.array([-0.3, 0.2]))
    x = rng.normal(size=(3, 3))
    got = importance_sampled_nll(model, x, k=1, return_all=True, seed=7)
    eps = np.random.default_rng(7).standard_normal((1, 3, 2), dtype=np.float32)[0].astype(np.float64)
    m, v = x @ enc.T, np.exp(np.array([-0.3, 0.2]))
    z = m + np.sqrt(v) * eps
    log_px_z = -0.5 * (3 * math.log(2 * math.pi * S) + ((x - z @ W.T - b) ** 2).sum(1) / S)
    log_pz = -0.5 * (2 * math.log(2 * math.pi) + (z ** 2).sum(1))
    log_qz = -0.5 * (2 * math.log(2 * math.pi) + np.log(v).sum() + (eps ** 2).sum(1))
    np.testing.assert_allclose(got, -(log_px_z + log_pz - log_qz), rtol=1e-10)
    # averaged over many draws, the one-sample estimate is the closed-form −ELBO
    many = np.repeat(x[:1], 20000, axis=0)
    estimates = importance_sampled_nll(model, many, k=1, return_all=True, batch_size=5000, seed=3)
    exact = exact_negative_elbo(x[:1], W, b, m[:1], v[None])[0]
    assert abs(estimates.mean() - exact) < 4 * estimates.std() / math.sqrt(len(estimates))
    # and so is the test −ELBO of autoencoders.evaluation.elbo (one sample per example, closed-form KL)
    elbo = negative_elbo(model, many[:5000], samples=1, seed=0)
    assert abs(elbo["negative_elbo"] - exact) < 4 * estimates.std() / math.sqrt(5000)
    assert elbo["kl"] == pytest.approx(0.5 * (m[0] ** 2 + v - 1 - np.log(v)).sum(), rel=1e-10)


def test_log_mean_exp_is_stable():
    a = np.array([[1000.0, -1000.0], [1000.0, -1001.0]])
    np.testing.assert_allclose(log_mean_exp(a, axis=0), [1000.0, -1000.0 + math.log((1 + math.exp(-1)) / 2)])
    small = np.random.default_rng(0).normal(size=(7, 3))
    np.testing.assert_allclose(log_mean_exp(small, axis=0), np.log(np.exp(small).mean(axis=0)))


def test_bernoulli_vae_estimate_on_a_trained_run(tmp_path):
    """The whole path on a (briefly) trained run: finite, and below its -ELBO as Jensen says."""
    from autoencoders.training import make_config, read_metrics, train

    config = make_config("vae", epochs=1, limit_train=512, limit_test=100, hidden=[32], latent_dim=4,
                         binarize="dynamic")
    train(config, tmp_path / "run", quiet=True)
    nll = nll_of_run(tmp_path / "run", k=200, limit=100)
    elbo = read_metrics(tmp_path / "run")[-1]["test"]["loss"]
    assert math.isfinite(nll) and 0 < nll < elbo


def test_cvae_estimate_is_conditioned_on_the_labels(rng):
    from autoencoders.models.cvae import CVAE

    minigrad.manual_seed(0)
    model = CVAE(input_shape=(8,), hidden=[6], latent_dim=2, num_classes=3)
    x = (rng.random((4, 8)) > 0.5).astype(np.float32)
    y = np.array([0, 1, 2, 0])
    a = importance_sampled_nll(model, x, y, k=50, return_all=True)
    b = importance_sampled_nll(model, x, (y + 1) % 3, k=50, return_all=True)
    assert np.all(np.isfinite(a)) and not np.allclose(a, b)
