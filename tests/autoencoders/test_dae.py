"""The denoising autoencoder: corrupted input, clean target; the three noises; the denoising figure."""

import numpy as np
import pytest

import minigrad

from autoencoders.models import Batch, get_model_class
from autoencoders.models.dae import DAE
from autoencoders.plots.denoising import denoising_errors, plot_denoising
from autoencoders.training import ConfigError, make_config, train
from autoencoders.training.data import load_data, to_batch, train_loader


def tiny_batch(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((5, 7))
    noisy = np.where(rng.random((5, 7)) < 0.3, 0.0, x)  # masking noise, drawn once: fixed for gradcheck
    return Batch(x=minigrad.tensor(x), x_noisy=minigrad.tensor(noisy))


def test_dae_is_registered_with_masking_noise_by_default():
    assert get_model_class("dae") is DAE
    assert make_config("dae")["noise"] == "masking:0.25"


@pytest.mark.parametrize("hidden", [[], [4]])
def test_gradcheck_of_the_dae_objective(gradcheck_parameters, float64, hidden):
    minigrad.manual_seed(0)
    model = DAE(input_shape=(7,), hidden=hidden, latent_dim=3)
    batch = tiny_batch()
    assert gradcheck_parameters(model, lambda: model.objective(model.loss_terms(batch)))


def test_the_target_is_the_clean_input(float64):
    model = DAE(input_shape=(7,), latent_dim=3)
    batch = tiny_batch()
    got = model.loss_terms(batch)["reconstruction"].item()
    restored = model.reconstruct(batch.x_noisy).numpy()
    assert got == pytest.approx(np.mean((restored - batch.x.numpy()) ** 2), rel=1e-12)
    assert got != pytest.approx(np.mean((restored - batch.x_noisy.numpy()) ** 2), rel=1e-3)


def test_dae_without_noise_is_refused():
    config = make_config("dae", noise=None)
    config["noise"] = None
    with pytest.raises(ConfigError, match="needs an input corruption"):
        DAE().configure_optimizers(config)


def _zeroed_share_of_bright_pixels(x, noisy):
    bright = x > 0.5
    return np.mean(noisy[bright] == 0)


@pytest.mark.parametrize("noise, check", [
    ("gaussian:0.3", lambda x, noisy: 0.1 < np.std(noisy - x) < 0.3),   # clipped to [0, 1]: below 0.3
    ("masking:0.25", lambda x, noisy: np.all((noisy == x) | (noisy == 0))
                                      and 0.22 < _zeroed_share_of_bright_pixels(x, noisy) < 0.28),
    ("salt-and-pepper:0.2", lambda x, noisy: np.all((noisy == x) | (noisy == 0) | (noisy == 1))
                                             and 0.07 < _zeroed_share_of_bright_pixels(x, noisy) < 0.13),
])
def test_each_noise_reaches_the_model_as_the_input_and_the_clean_x_as_the_target(noise, check):
    config = make_config("dae", noise=noise, limit_train=64, batch_size=64)
    batch = to_batch(next(iter(train_loader(load_data(config), config))))
    x, noisy = batch.x.numpy(), batch.x_noisy.numpy()
    assert batch.input is batch.x_noisy and check(x, noisy)


def test_denoising_figure_and_errors(tmp_path):
    config = make_config("dae", epochs=1, latent_dim=16, limit_train=128, limit_test=50, noise="gaussian:0.4")
    train(config, tmp_path / "run", quiet=True)
    path = plot_denoising(tmp_path / "run")
    assert path.name == "denoising.png" and path.stat().st_size > 10_000
    model = DAE(latent_dim=16)
    x = load_data(config).x_test[:20]
    noisy_error, restored_error = denoising_errors(model, x, "masking:0.5")
    assert noisy_error == pytest.approx(np.mean(x ** 2) * 0.5, rel=0.1)  # half the pixels zeroed
    assert restored_error > 0
