"""Tests of the semi-supervised M2: its bounds, its objective's gradient, its labelled pool."""

import math

import numpy as np
import pytest

import minigrad

from autoencoders.models import Batch, get_model_class
from autoencoders.models.m2 import M2, balanced_subset


K = 3


def tiny(rng, n=3):
    minigrad.manual_seed(0)  # a seed whose ReLU inputs stay > 1e-3 away from 0 in the gradcheck
    model = M2(input_shape=(8,), hidden=[4], latent_dim=2, num_classes=K, labels=K, alpha=0.7)
    x = (rng.random((n, 8)) > 0.5).astype(minigrad.get_default_dtype())
    return model, Batch(x=minigrad.tensor(x), y=minigrad.tensor(np.arange(n) % K))


def test_unlabelled_bound_is_the_q_weighted_sum_of_labelled_bounds_minus_entropy(float64, rng):
    model, batch = tiny(rng)
    noise = rng.normal(size=(K, 3, 2))
    u = model.unlabelled_bound(batch.x, noise).numpy()
    logits = model.classify(batch.x).numpy()
    q = np.exp(logits - logits.max(axis=1, keepdims=True))
    q /= q.sum(axis=1, keepdims=True)
    labelled = np.stack([
        model.labelled_bound(batch.x, minigrad.tensor(np.eye(K)[np.full(3, label)]), noise[label]).numpy()
        for label in range(K)], axis=1)                                # (B, K): L(x, y) for each y
    entropy = -(q * np.log(q)).sum(axis=1)
    np.testing.assert_allclose(u, (q * labelled).sum(axis=1) - entropy, rtol=1e-12)


def test_labelled_bound_is_the_negative_elbo_plus_log_k(float64, rng):
    """L(x, y) = BCE(x | z, y) + KL(q(z|x,y) ‖ N(0, I)) − log p(y), from scratch in NumPy."""
    model, batch = tiny(rng, n=2)
    noise = rng.normal(size=(2, 2))
    y = np.eye(K)[[0, 2]]
    got = model.labelled_bound(batch.x, minigrad.tensor(y), noise).numpy()
    mu, logvar = (t.numpy() for t in model.posterior(batch.x, minigrad.tensor(y)))
    z = mu + np.exp(0.5 * logvar) * noise
    p = 1 / (1 + np.exp(-model.decoder_output(minigrad.tensor(z), minigrad.tensor(y)).numpy()))
    x = batch.x.numpy()
    bce = -(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=1)
    kl = -0.5 * (1 + logvar - mu ** 2 - np.exp(logvar)).sum(axis=1)
    np.testing.assert_allclose(got, bce + kl + math.log(K), rtol=1e-10)


def test_m2_objective_gradcheck(as_function_of_parameters, assert_no_relu_kink, backend, float64, rng):
    model, batch = tiny(rng)
    noise = (rng.normal(size=(K, 3, 2)), rng.normal(size=(3, 2)))

    def loss():
        return model.objective(model.loss_terms(batch, labelled=batch, noise=noise))

    assert_no_relu_kink(model, loss)  # away from ReLU's kink, on purpose
    fn, params = as_function_of_parameters(model, loss)
    assert minigrad.gradcheck(fn, params)


def test_objective_weights_the_classification_term(rng):
    model, batch = tiny(rng)
    terms = model.loss_terms(batch, labelled=batch)
    assert set(terms) == {"unlabelled", "labelled", "classification"}
    expected = terms["unlabelled"].item() + terms["labelled"].item() + 0.7 * terms["classification"].item()
    assert model.objective(terms).item() == pytest.approx(expected, rel=1e-6)
    model.alpha = None
    with pytest.raises(RuntimeError, match="training set size"):
        model.classification_weight()
    model.set_labelled(batch.x.numpy(), batch.y.numpy(), train_size=600)
    assert model.classification_weight() == pytest.approx(0.1 * 600 / K)
    # N is a buffer: a model rebuilt from a checkpoint (no labelled pool) weighs the term the same
    fresh = M2(input_shape=(8,), hidden=[4], latent_dim=2, num_classes=K, labels=K)
    fresh.load_state_dict(model.state_dict())
    assert fresh.classification_weight() == pytest.approx(0.1 * 600 / K)


def test_train_step_never_reads_the_labels_of_the_unlabelled_batch(rng):
    model, batch = tiny(rng)
    model.set_labelled(batch.x.numpy(), batch.y.numpy())

    class Optimizer:
        def zero_grad(self):
            pass

        def step(self):
            pass

    values = []
    for labels in (batch.y, minigrad.tensor((batch.y.numpy() + 1) % K)):
        minigrad.manual_seed(5)
        values.append(model.train_step(Batch(x=batch.x, y=labels), {"model": Optimizer()}))
    assert values[0] == values[1]


def test_balanced_subset():
    labels = np.repeat(np.arange(10), 50)
    rows = balanced_subset(labels, 100, 10, seed=3)
    assert len(rows) == len(set(rows)) == 100
    assert np.all(np.bincount(labels[rows], minlength=10) == 10)
    np.testing.assert_array_equal(rows, balanced_subset(labels, 100, 10, seed=3))
    with pytest.raises(ValueError, match="fewer"):
        balanced_subset(labels, 1000, 10)


def test_m2_learns_to_classify_with_the_loop(tmp_path):
    """A smoke test, not a benchmark: 2 epochs on 500 digits with 100 labels beat chance (90% error)."""
    from autoencoders.training import make_config, read_metrics, train

    config = make_config("m2", epochs=2, limit_train=500, limit_test=300, hidden=[32], latent_dim=8, labels=100,
                         alpha=10.0)
    train(config, tmp_path / "run", quiet=True)
    metrics = read_metrics(tmp_path / "run")
    assert {"unlabelled", "labelled", "classification", "error"} <= set(metrics[-1]["test"])
    assert metrics[-1]["test"]["error"] < 0.75
    assert get_model_class("m2") is M2
