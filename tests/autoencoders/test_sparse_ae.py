"""The sparse autoencoder: KL and L1 penalties against hand formulas, gradchecks, the measured activation."""

import numpy as np
import pytest

import minigrad

from autoencoders.models import Batch, get_model_class
from autoencoders.models.sparse_ae import SparseAE, kl_bernoulli


def tiny(**options):
    minigrad.manual_seed(2)
    return SparseAE(input_shape=(6,), latent_dim=4, **options)


def tiny_batch():
    return Batch(x=minigrad.tensor(np.random.default_rng(2).random((5, 6))))


def hand_codes(model, x):
    w, b = model.encoder.weight.numpy(), model.encoder.bias.numpy()
    return 1 / (1 + np.exp(-(x @ w.T + b)))


def test_sparse_ae_is_registered():
    assert get_model_class("sparse-ae") is SparseAE
    with pytest.raises(ValueError, match="sparsity must be"):
        SparseAE(sparsity="l2")
    with pytest.raises(ValueError, match="rho must lie"):
        SparseAE(rho=1.0)
    assert (SparseAE().beta, SparseAE(sparsity="l1").beta, SparseAE(sparsity="l1", beta=0.5).beta) == (0.003, 3e-4, 0.5)


def test_kl_bernoulli_by_hand():
    rho, rho_hat = 0.05, np.array([0.05, 0.2, 0.5, 0.01])
    want = rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
    np.testing.assert_allclose(kl_bernoulli(rho, minigrad.tensor(rho_hat)).numpy(), want, rtol=1e-12)
    assert want[0] == 0 and np.all(want[1:] > 0)


def test_kl_penalty_value_against_the_hand_formula(float64):
    model = tiny(rho=0.1, beta=0.7, weight_decay=0.0)
    batch = tiny_batch()
    h = hand_codes(model, batch.x.numpy())
    rho_hat = h.mean(axis=0)  # the average activation of each unit over the batch
    want = 0.7 * np.sum(0.1 * np.log(0.1 / rho_hat) + 0.9 * np.log(0.9 / (1 - rho_hat)))
    terms = model.loss_terms(batch)
    assert set(terms) == {"reconstruction", "sparsity"}
    assert terms["sparsity"].item() == pytest.approx(want, rel=1e-12)


def test_l1_penalty_and_weight_decay_against_the_hand_formula(float64):
    model = tiny(sparsity="l1", beta=0.3, weight_decay=0.01)
    batch = tiny_batch()
    h = hand_codes(model, batch.x.numpy())
    terms = model.loss_terms(batch)
    assert terms["sparsity"].item() == pytest.approx(0.3 * np.abs(h).sum(axis=1).mean(), rel=1e-12)
    squares = np.sum(model.encoder.weight.numpy() ** 2) + np.sum(model.decoder.weight.numpy() ** 2)
    assert terms["weight_decay"].item() == pytest.approx(0.005 * squares, rel=1e-12)
    x_hat = 1 / (1 + np.exp(-(h @ model.decoder.weight.numpy().T + model.decoder.bias.numpy())))
    assert terms["reconstruction"].item() == pytest.approx(np.mean((x_hat - batch.x.numpy()) ** 2), rel=1e-12)


@pytest.mark.parametrize("sparsity", ["kl", "l1"])
def test_gradcheck_of_the_sparse_objective(gradcheck_parameters, float64, sparsity):
    model = tiny(sparsity=sparsity, beta=0.5, weight_decay=0.01)
    batch = tiny_batch()
    assert gradcheck_parameters(model, lambda: model.objective(model.loss_terms(batch)))


def test_training_pulls_the_mean_activation_to_rho():
    minigrad.manual_seed(0)
    x = np.random.default_rng(0).random((64, 20)).astype(np.float32)
    model = SparseAE(input_shape=(20,), latent_dim=16, rho=0.05, beta=1.0)
    batch = Batch(x=minigrad.tensor(x))
    optimizers = model.configure_optimizers({"lr": 0.05, "optimizer": "adam"})
    assert model.evaluate_step(batch)["mean_activation"] > 0.3  # sigmoid codes start near 0.5
    for _ in range(200):
        model.train_step(batch, optimizers)
    values = model.evaluate_step(batch)
    assert values["mean_activation"] == pytest.approx(hand_codes(model, x).mean(), rel=1e-5)
    assert values["mean_activation"] == pytest.approx(0.05, abs=0.01)
