"""The linear autoencoder and its yardstick, exact PCA (autoencoders.evaluation.pca)."""

import numpy as np
import pytest

import minigrad
from minigrad import optim

from autoencoders.evaluation.pca import fit_pca, largest_principal_angle, principal_angles
from autoencoders.models import Batch, get_model_class
from autoencoders.models.linear_ae import LinearAE


def low_rank_data(n=400, d=12, rank=3, noise=0.1, seed=0):
    """n points near a rank-``rank`` affine subspace of R^d, with well separated variances (9, 4, 1)."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(d, rank)))
    scales = np.array([3.0, 2.0, 1.0])[:rank]
    x = 0.5 + (rng.normal(size=(n, rank)) * scales) @ basis.T + noise * rng.normal(size=(n, d))
    return x, basis


# ---- PCA and principal angles ------------------------------------------------------------

def test_principal_angles_of_known_subspaces():
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(20, 3)))
    a = q[:, :2]
    mixed = a @ rng.normal(size=(2, 2))                       # same span, another basis
    assert largest_principal_angle(a, mixed) < 1e-12
    theta = 0.3                                               # rotate the second direction toward q3
    b = np.column_stack([a[:, 0], np.cos(theta) * a[:, 1] + np.sin(theta) * q[:, 2]])
    np.testing.assert_allclose(principal_angles(a, b), [0.0, theta], atol=1e-12)
    assert largest_principal_angle(a, q[:, 2:]) == pytest.approx(np.pi / 2)
    tiny = np.column_stack([a[:, 0], a[:, 1] + 1e-9 * q[:, 2]])  # sines keep small angles accurate
    assert largest_principal_angle(a, tiny) == pytest.approx(1e-9, rel=1e-5)


def test_pca_reconstruction_is_the_best_rank_k_fit():
    x, _ = low_rank_data(noise=0.3)
    pca = fit_pca(x)
    assert np.allclose(pca.components.T @ pca.components, np.eye(12), atol=1e-12)
    assert np.all(np.diff(pca.variances) <= 1e-12)
    np.testing.assert_allclose(pca.variances.sum(), x.var(axis=0).sum(), rtol=1e-12)
    for k in (1, 2, 3):  # the PCA error is the discarded variance, and no other rank-k projection beats it
        assert pca.mse(x, k) == pytest.approx(pca.variances[k:].sum() / x.shape[1], rel=1e-10)
        rng = np.random.default_rng(k)
        for _ in range(5):
            q, _ = np.linalg.qr(pca.components[:, :k] + 0.1 * rng.normal(size=(12, k)))
            other = pca.mean + (x - pca.mean) @ q @ q.T
            assert np.mean((x - other) ** 2) > pca.mse(x, k)


# ---- the model ------------------------------------------------------------------------------

def test_linear_ae_is_registered_and_has_no_activations():
    assert get_model_class("linear-ae") is LinearAE
    model = LinearAE(input_shape=(6,), latent_dim=2)
    x = minigrad.tensor(np.random.default_rng(0).normal(size=(5, 6)))
    # linear in x up to the biases: f(a + b) - f(0) = (f(a) - f(0)) + (f(b) - f(0))
    zero = minigrad.zeros(1, 6, dtype=x.dtype)
    f = lambda v: model.reconstruct(v).numpy()
    np.testing.assert_allclose(f(x + x) - f(zero), 2 * (f(x) - f(zero)), atol=1e-5)
    assert model.encode(x).shape == (5, 2) and model.reconstruct(x).shape == (5, 6)


def test_gradcheck_of_the_linear_ae_objective(gradcheck_parameters, float64):
    minigrad.manual_seed(1)
    model = LinearAE(input_shape=(6,), latent_dim=2)
    x = minigrad.tensor(np.random.default_rng(1).random((5, 6)), dtype="float64")
    assert gradcheck_parameters(model, lambda: model.objective(model.loss_terms(Batch(x=x))))


def test_linear_ae_learns_the_pca_subspace_of_low_rank_data(float64):
    x, basis = low_rank_data(noise=0.1)
    pca = fit_pca(x)
    minigrad.manual_seed(0)
    model = LinearAE(input_shape=(12,), latent_dim=3)
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    batch = Batch(x=minigrad.tensor(x, dtype="float64"))
    for _ in range(1200):  # full batch
        optimizer.zero_grad()
        loss = model.objective(model.loss_terms(batch))
        loss.backward()
        optimizer.step()
    decoder = model.decoder.weight.numpy()
    assert largest_principal_angle(decoder, pca.components[:, :3]) < np.radians(0.5)
    assert largest_principal_angle(decoder, basis) < np.radians(2.0)  # PCA of a noisy sample is near it
    mse, best = loss.item(), pca.mse(x, 3)
    assert best * (1 - 1e-9) <= mse < best * 1.01  # within 1% of PCA, never below it


def test_cosine_learning_rate_decay_over_the_run():
    from autoencoders.training import make_config
    minigrad.manual_seed(0)
    model = LinearAE(input_shape=(784,), latent_dim=2)
    config = make_config("linear-ae", epochs=2, batch_size=100, lr=0.1, limit_train=400)  # 4 steps an epoch
    (optimizer,) = model.configure_optimizers(config).values()
    assert model.schedule == (0.1, 8)
    batch = Batch(x=minigrad.tensor(np.random.default_rng(0).random((100, 784)).astype(np.float32)))
    rates = []
    for _ in range(8):
        model.train_step(batch, {"model": optimizer})
        rates.append(optimizer.param_groups[0]["lr"])
    np.testing.assert_allclose(rates, [0.1 * 0.5 * (1 + np.cos(np.pi * t / 8)) for t in range(8)], rtol=1e-12)
    assert int(model.steps_done.data[0]) == 8 and "steps_done" in model.state_dict()
    constant = LinearAE(input_shape=(784,), latent_dim=2, lr_decay=None)
    (optimizer,) = constant.configure_optimizers(config).values()
    constant.train_step(batch, {"model": optimizer})
    assert constant.schedule is None and optimizer.param_groups[0]["lr"] == 0.1
