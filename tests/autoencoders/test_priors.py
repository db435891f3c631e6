"""Tests of the AAE priors (autoencoders.priors): shapes, moments, the geometry of the mixture's
components, label-conditioned sampling, the "no label" class, seeding."""

import numpy as np
import pytest

import minigrad
from autoencoders.priors import (
    NUM_PARTS, Gaussian, GaussianMixture, SwissRoll, Uniform, bayes_accuracy, make_prior,
)

N = 20_000


@pytest.mark.parametrize("name, dim", [("gaussian", 1), ("gaussian", 5), ("uniform", 3), ("mixture", 2),
                                       ("swiss-roll", 2)])
def test_shapes_and_dtype(name, dim, rng):
    z = make_prior(name, dim).sample(7, rng=rng)
    assert z.shape == (7, dim) and z.dtype == np.float64


def test_gaussian_moments(rng):
    z = Gaussian(3).sample(N, rng=rng)
    np.testing.assert_allclose(z.mean(0), 0.0, atol=0.03)
    np.testing.assert_allclose(np.cov(z.T), np.eye(3), atol=0.04)


def test_uniform_bounds_and_moments(rng):
    z = Uniform(2, half_width=1.5).sample(N, rng=rng)
    assert z.min() >= -1.5 and z.max() < 1.5
    np.testing.assert_allclose(z.var(0), 1.5 ** 2 / 3, rtol=0.03)


@pytest.mark.parametrize("label", range(NUM_PARTS))
def test_mixture_component_mean_and_orientation_match_its_label(label, rng):
    prior = GaussianMixture(radius=2.0, radial_std=0.5, tangential_std=0.1)
    z = prior.sample(N, labels=np.full(N, label), rng=rng)
    angle = 2 * np.pi * label / NUM_PARTS
    radial = np.array([np.cos(angle), np.sin(angle)])
    tangential = np.array([-np.sin(angle), np.cos(angle)])
    np.testing.assert_allclose(z.mean(0), 2.0 * radial, atol=0.02)
    # The component is long along its own radius (std 0.5) and thin across it (std 0.1).
    centred = z - z.mean(0)
    assert np.std(centred @ radial) == pytest.approx(0.5, rel=0.03)
    assert np.std(centred @ tangential) == pytest.approx(0.1, rel=0.03)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(z.T))
    assert abs(eigenvectors[:, -1] @ radial) > 0.999  # the longest axis points along the radius
    np.testing.assert_allclose(prior.covariances[label], np.cov(z.T), atol=0.01)


def test_mixture_component_log_density_is_the_normal_density(rng):
    prior = GaussianMixture(radius=1.4, radial_std=0.5, tangential_std=0.2)
    z = rng.normal(size=(5, 2))
    for k in range(NUM_PARTS):
        cov = prior.covariances[k]
        diff = z - prior.means[k]
        expected = (-0.5 * np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
                    - np.log(2 * np.pi) - 0.5 * np.log(np.linalg.det(cov)))
        np.testing.assert_allclose(prior.component_log_density(z)[:, k], expected, rtol=1e-12)


def test_mixture_conditioned_samples_come_from_their_component(rng):
    prior = GaussianMixture()
    labels = rng.integers(0, NUM_PARTS, size=N)
    z = prior.sample(N, labels=labels, rng=rng)
    # In its own component's coordinates, each sample is standard normal: its squared
    # Mahalanobis distance is chi-square with 2 degrees of freedom (mean 2, P(> 13.8) = 0.001).
    own = prior.component_log_density(z)[np.arange(N), labels]
    mahalanobis = -2 * (own + np.log(2 * np.pi * 0.5 * 0.1))
    assert mahalanobis.mean() == pytest.approx(2.0, rel=0.05)
    assert np.mean(mahalanobis > 13.8) < 0.003
    assert np.mean(prior.nearest_part(z) == labels) > 0.995


def test_swiss_roll_conditioned_samples_stay_on_their_segment(rng):
    prior = SwissRoll()
    labels = rng.integers(0, NUM_PARTS, size=5000)
    z = prior.sample(5000, labels=labels, rng=rng)
    s = (np.linalg.norm(z, axis=1) / prior.scale) ** 2   # r = 3·√s on the spiral
    np.testing.assert_array_equal(np.floor(s * NUM_PARTS).astype(int), labels)
    np.testing.assert_allclose(prior.curve(s), z, atol=1e-12)  # the points lie on the curve
    np.testing.assert_array_equal(prior.nearest_part(z), labels)


@pytest.mark.parametrize("prior", [GaussianMixture(), SwissRoll()], ids=["mixture", "swiss-roll"])
def test_no_label_class_draws_from_the_whole_prior(prior, rng):
    z = prior.sample(5000, labels=np.full(5000, NUM_PARTS), rng=rng)
    counts = np.bincount(prior.nearest_part(z), minlength=NUM_PARTS)
    np.testing.assert_allclose(counts / 5000, 1 / NUM_PARTS, atol=0.02)


def test_mixed_labels_draw_each_row_from_its_own_part(rng):
    prior = SwissRoll()
    labels = np.array([3, NUM_PARTS, 7] * 1000)
    parts = prior.nearest_part(prior.sample(len(labels), labels=labels, rng=rng))
    np.testing.assert_array_equal(parts[labels == 3], 3)
    np.testing.assert_array_equal(parts[labels == 7], 7)
    assert len(np.unique(parts[labels == NUM_PARTS])) == NUM_PARTS


def test_labels_may_be_a_tensor(rng):
    labels = minigrad.tensor(np.array([0, 5, 9]))
    z = GaussianMixture().sample(3, labels=labels, rng=rng)
    np.testing.assert_array_equal(GaussianMixture().nearest_part(z), [0, 5, 9])


def test_bayes_accuracy_of_the_default_mixture():
    assert bayes_accuracy(GaussianMixture(), n=20_000) > 0.995
    assert bayes_accuracy(GaussianMixture(radius=0.3), n=20_000) < 0.9  # overlapping components score less


def test_default_generator_is_minigrads_seeded_one():
    prior = GaussianMixture()
    minigrad.manual_seed(5)
    first = prior.sample(4)
    minigrad.manual_seed(5)
    np.testing.assert_array_equal(prior.sample(4), first)
    assert not np.array_equal(prior.sample(4), first)


def test_errors(rng):
    with pytest.raises(ValueError, match="no labelled parts"):
        Gaussian(2).sample(3, labels=[0, 1, 2], rng=rng)
    with pytest.raises(ValueError, match="0..10"):
        GaussianMixture().sample(2, labels=[0, 11], rng=rng)
    with pytest.raises(ValueError, match="3 integers"):
        SwissRoll().sample(3, labels=[0, 1], rng=rng)
    with pytest.raises(ValueError, match="2-D"):
        GaussianMixture(dim=3)
    with pytest.raises(ValueError, match="unknown prior"):
        make_prior("cauchy", 2)
