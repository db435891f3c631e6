"""Tests of the conditional VAE: its objective's gradient, and that the label really conditions it."""

import numpy as np
import pytest

import minigrad

from autoencoders.models import Batch, get_model_class
from autoencoders.models.cvae import CVAE, label_condition


def tiny(rng, n=3):
    minigrad.manual_seed(0)
    model = CVAE(input_shape=(8,), hidden=[4], latent_dim=2, num_classes=3)
    x = (rng.random((n, 8)) > 0.5).astype(np.float64)
    return model, Batch(x=minigrad.tensor(x), y=minigrad.tensor(np.arange(n) % 3))


def test_cvae_objective_gradcheck(as_function_of_parameters, assert_no_relu_kink, backend, float64, rng):
    model, batch = tiny(rng)
    noise = rng.normal(size=(3, 2))

    def loss():
        return model.objective(model.loss_terms(batch, noise=noise))

    assert_no_relu_kink(model, loss)  # away from ReLU's kink, on purpose
    fn, params = as_function_of_parameters(model, loss)
    assert minigrad.gradcheck(fn, params)


def test_label_changes_the_decoder_and_the_encoder(rng):
    model, batch = tiny(rng)
    z = minigrad.tensor(rng.normal(size=(3, 2)).astype(np.float32))
    images = [model.decode(z, minigrad.tensor(np.full(3, label))).numpy() for label in range(3)]
    assert np.abs(images[0] - images[1]).max() > 1e-4 and np.abs(images[1] - images[2]).max() > 1e-4
    x = minigrad.tensor(batch.x.numpy().astype(np.float32))
    codes = [model.encode(x, minigrad.tensor(np.full(3, label))).numpy() for label in range(3)]
    assert np.abs(codes[0] - codes[2]).max() > 1e-4
    # and the same label gives the same output: the difference comes from the label alone
    np.testing.assert_array_equal(images[1], model.decode(z, minigrad.tensor(np.full(3, 1))).numpy())


def test_loss_uses_the_batch_labels(rng):
    model, batch = tiny(rng)
    noise = rng.normal(size=(3, 2)).astype(np.float32)
    x = minigrad.tensor(batch.x.numpy().astype(np.float32))
    right = model.loss_terms(Batch(x=x, y=batch.y), noise=noise)
    other = model.loss_terms(Batch(x=x, y=minigrad.tensor((batch.y.numpy() + 1) % 3)), noise=noise)
    assert right["reconstruction"].item() != other["reconstruction"].item()
    with pytest.raises(ValueError, match="labels"):
        model.loss_terms(Batch(x=x))


def test_label_condition_is_one_hot_or_uniform():
    like = minigrad.zeros(2, 5)
    np.testing.assert_array_equal(label_condition(minigrad.tensor([2, 0]), 3, like).numpy(),
                                  [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_allclose(label_condition(None, 4, like).numpy(), np.full((2, 4), 0.25))


def test_sample_and_importance_weights_shapes(rng):
    model, batch = tiny(rng)
    assert model.sample(5).shape == (5, 8)
    assert model.sample(2, minigrad.tensor([0, 2])).shape == (2, 8)
    x = Batch(x=minigrad.tensor(batch.x.numpy().astype(np.float32)), y=batch.y)
    w = model.log_importance_weights(x, rng.normal(size=(4, 3, 2)).astype(np.float32))
    assert w.shape == (4, 3)
    assert get_model_class("cvae") is CVAE


def test_cvae_trains_with_the_loop(tmp_path):
    from autoencoders.training import make_config, read_metrics, train

    from autoencoders.plots.variational import plot_variational

    config = make_config("cvae", epochs=2, limit_train=512, limit_test=200, hidden=[64], latent_dim=2)
    train(config, tmp_path / "run", quiet=True)
    metrics = read_metrics(tmp_path / "run")
    assert metrics[-1]["train"]["loss"] < metrics[0]["train"]["loss"]
    paths = plot_variational(tmp_path / "run")
    assert [path.name for path in paths] == ["styles.png", "analogies.png"]
    assert all(path.stat().st_size > 1000 for path in paths)
