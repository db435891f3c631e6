"""Tests of autoencoders.plots: the numeric helpers exactly, the figures as files that get written."""

import numpy as np
import pytest

import minigrad
from autoencoders.models import Autoencoder
from autoencoders.models.ae import AE
from autoencoders.plots import (
    latent_scatter, loss_curves, manifold, normal_quantile, pca_2d, plot_run, reconstructions, samples, traversals,
)
from autoencoders.plots.latent import normal_cdf
from autoencoders.training import Run, load_data, make_config, train

PNG = b"\x89PNG\r\n\x1a\n"
TINY = dict(limit_train=256, limit_test=100, hidden=[16], latent_dim=3, batch_size=128)


def is_png(path):
    return path is not None and path.is_file() and path.read_bytes()[:8] == PNG


# ---- numeric helpers ------------------------------------------------------------------------

@pytest.mark.parametrize("p, x", [(0.5, 0.0), (0.975, 1.959963984540054), (0.025, -1.959963984540054),
                                  (0.95, 1.6448536269514722), (0.01, -2.3263478740408408),
                                  (1e-10, -6.361340902404056), (0.999, 3.090232306167813)])
def test_normal_quantile_matches_known_values(p, x):
    assert normal_quantile(p) == pytest.approx(x, abs=1e-12)


def test_normal_quantile_inverts_the_cdf_everywhere():
    p = np.concatenate([np.logspace(-12, -1, 40), np.linspace(0.01, 0.99, 99), 1 - np.logspace(-12, -1, 40)])
    np.testing.assert_allclose(normal_cdf(normal_quantile(p)), p, rtol=1e-9, atol=1e-15)
    assert np.all(np.diff(normal_quantile(np.linspace(0.001, 0.999, 500))) > 0)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        normal_quantile([0.0, 0.5])


def test_pca_2d_finds_the_two_widest_directions():
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((2000, 5)) * np.array([0.1, 5.0, 0.2, 2.0, 0.1]) + 3.0
    coords, mean, axes, ratios = pca_2d(codes)
    assert coords.shape == (2000, 2) and mean == pytest.approx(codes.mean(axis=0))
    np.testing.assert_allclose(np.abs(axes), [[0, 1, 0, 0, 0], [0, 0, 0, 1, 0]], atol=0.05)
    assert ratios[0] > ratios[1] > 0.1
    two = rng.standard_normal((50, 2))  # a 2-D latent is used as it is
    np.testing.assert_array_equal(pca_2d(two)[0], two)


# ---- the figures of a trained run -------------------------------------------------------------

@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("plots")
    train(make_config("ae", epochs=2, **TINY), path, quiet=True)
    return path


def test_plot_run_draws_every_figure_that_applies(run_dir):
    paths = plot_run(run_dir)
    assert [p.name for p in paths] == ["loss_curves.png", "reconstructions.png", "latent_scatter.png",
                                       "manifold.png", "traversals.png"]
    assert all(is_png(p) for p in paths)


class Recorder(Autoencoder):
    """A stand-in generative model: codes are the first pixels; decode records the z it is given."""

    prior = "standard-normal"

    def __init__(self, latent_dim):
        super().__init__()
        self.latent_dim = latent_dim
        self.decoded = []

    def encode(self, x):
        return x[:, :self.latent_dim] * 1.0

    def decode(self, z):
        self.decoded.append(z.numpy())
        return minigrad.full((len(z), 784), 0.5)

    def sample(self, n):
        return self.decode(minigrad.randn(n, self.latent_dim))


def recorder_run(tmp_path, latent_dim, **config):
    config = make_config("ae", **TINY, **config)
    return Run(tmp_path, config, Recorder(latent_dim), load_data(config), 0)


def test_manifold_of_a_normal_prior_uses_its_quantiles_in_the_first_two_dims(tmp_path):
    run = recorder_run(tmp_path, latent_dim=4)
    assert is_png(manifold(run, n=7))
    z = run.model.decoded[-1]
    levels = normal_quantile(np.linspace(0.05, 0.95, 7))
    assert z.shape == (49, 4) and np.all(z[:, 2:] == 0)
    np.testing.assert_allclose(np.unique(z[:, 0]), levels, rtol=1e-6)
    np.testing.assert_allclose(z[:7, 0], levels, rtol=1e-6)          # left to right
    np.testing.assert_allclose(z[::7, 1], levels[::-1], rtol=1e-6)   # top to bottom: decreasing


def test_traversals_vary_one_dimension_at_a_time(tmp_path):
    run = recorder_run(tmp_path, latent_dim=3)
    assert is_png(traversals(run, n=5))
    z = run.model.decoded[-1].reshape(3, 5, 3)
    base = run.data.x_test[0, :3]
    for row in z:
        changed = np.flatnonzero(np.any(row != base, axis=0))
        assert len(changed) == 1
        np.testing.assert_allclose(row[:, changed[0]], normal_quantile(np.linspace(0.05, 0.95, 5)), rtol=1e-6)


def test_samples_scatter_and_noisy_reconstructions(tmp_path):
    run = recorder_run(tmp_path, latent_dim=2, noise="gaussian:0.3")
    assert is_png(samples(run, n=16))
    assert run.model.decoded[-1].shape == (16, 2)
    assert is_png(latent_scatter(run))
    assert is_png(reconstructions(run))
    assert loss_curves(run) is None  # no metrics.jsonl in this directory


def test_a_model_without_a_prior_gets_no_samples_and_an_empirical_manifold(tmp_path):
    config = make_config("ae", **TINY)
    run = Run(tmp_path, config, AE(hidden=[16], latent_dim=3), load_data(config), 0)
    assert samples(run) is None
    assert is_png(manifold(run)) and is_png(traversals(run))
