"""Tests of autoencoders.evaluation.adversarial: MMD, the nearest-part fraction, Parzen windows."""

import math

import numpy as np
import pytest

import minigrad
from autoencoders.evaluation.adversarial import (
    choose_parzen_sigma, log_mean_exp, median_bandwidth, mmd, nearest_part_fraction, parzen_log_likelihood,
)
from autoencoders.priors import NUM_PARTS, GaussianMixture, SwissRoll


# ---- MMD -------------------------------------------------------------------------------------

def test_mmd_of_identical_samples_is_zero(rng):
    a = rng.normal(size=(300, 2))
    assert mmd(a, a) == pytest.approx(0.0, abs=1e-12)
    assert mmd(a, a.copy(), bandwidths=[0.1, 1.0, 10.0]) == pytest.approx(0.0, abs=1e-12)


def test_mmd_of_one_point_each_is_the_kernel_formula():
    # MMD² = k(a, a) + k(b, b) − 2 k(a, b) = 2 − 2 exp(−d² / 2σ²)
    a, b = np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]])
    assert mmd(a, b, bandwidths=5.0) == pytest.approx(2 - 2 * math.exp(-25 / 50))
    assert mmd(a, b, bandwidths=[5.0, 1.0]) == pytest.approx(4 - 2 * (math.exp(-0.5) + math.exp(-12.5)))


def test_mmd_grows_with_a_shift(rng):
    a, b = rng.normal(size=(500, 2)), rng.normal(size=(500, 2))
    same = mmd(a, b, bandwidths=1.0, unbiased=True)
    small = mmd(a + [0.5, 0.0], b, bandwidths=1.0, unbiased=True)
    large = mmd(a + [2.0, 0.0], b, bandwidths=1.0, unbiased=True)
    assert abs(same) < 0.01
    assert 0.03 < small < large


def test_unbiased_mmd_drops_the_diagonal(rng):
    a, b = rng.normal(size=(50, 3)), rng.normal(size=(40, 3)) + 0.3
    biased, unbiased = mmd(a, b, 1.0), mmd(a, b, 1.0, unbiased=True)
    # The biased estimate includes k(x, x) = 1 for the m + n diagonal terms.
    kaa = np.exp(-((a[:, None] - a[None]) ** 2).sum(-1) / 2)
    kbb = np.exp(-((b[:, None] - b[None]) ** 2).sum(-1) / 2)
    expected = biased - kaa.mean() - kbb.mean() + (kaa.sum() - 50) / (50 * 49) + (kbb.sum() - 40) / (40 * 39)
    assert unbiased == pytest.approx(expected, rel=1e-10)


def test_median_bandwidth():
    assert median_bandwidth(np.array([[0.0], [1.0], [3.0]])) == pytest.approx(2.0)  # distances 1, 2, 3


def test_mmd_accepts_tensors_and_checks_dimensions(rng):
    a = rng.normal(size=(10, 2))
    assert mmd(minigrad.tensor(a), a) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="dimension"):
        mmd(a, rng.normal(size=(10, 3)))


# ---- nearest part ------------------------------------------------------------------------------

@pytest.mark.parametrize("prior", [GaussianMixture(), SwissRoll()], ids=["mixture", "swiss-roll"])
def test_nearest_part_fraction_on_synthetic_codes(prior, rng):
    labels = rng.integers(0, NUM_PARTS, size=2000)
    on_target = prior.sample(2000, labels, rng=rng)
    off_target = prior.sample(2000, (labels + 1) % NUM_PARTS, rng=rng)
    assert nearest_part_fraction(on_target, labels, prior) > 0.99
    assert nearest_part_fraction(off_target, labels, prior) < 0.01
    half = np.where((np.arange(2000) % 2 == 0)[:, None], on_target, off_target)
    assert nearest_part_fraction(half, labels, prior) == pytest.approx(0.5, abs=0.02)


# ---- Parzen windows ---------------------------------------------------------------------------

def test_log_mean_exp_is_stable():
    assert log_mean_exp(np.array([1000.0, 1000.0])) == pytest.approx(1000.0)
    assert log_mean_exp(np.array([-1000.0, 0.0])) == pytest.approx(-math.log(2))
    np.testing.assert_allclose(log_mean_exp(np.log(np.array([[1.0, 3.0], [2.0, 6.0]]))), np.log([2.0, 4.0]))


def test_parzen_with_one_sample_is_the_normal_density(rng):
    mu, x, sigma = rng.normal(size=(1, 5)), rng.normal(size=(8, 5)), 0.7
    expected = -((x - mu) ** 2).sum(1) / (2 * sigma ** 2) - 2.5 * math.log(2 * math.pi * sigma ** 2)
    np.testing.assert_allclose(parzen_log_likelihood(mu, x, sigma), expected, rtol=1e-12)


def test_parzen_far_from_every_sample_is_finite_and_exact():
    samples, x, sigma = np.zeros((3, 4)), np.full((1, 4), 500.0), 0.1   # ‖x − s‖² = 10⁶ for each sample
    expected = -1e6 / (2 * 0.01) - 2 * math.log(2 * math.pi * 0.01)   # exp of it underflows: −5·10⁷
    assert parzen_log_likelihood(samples, x, sigma)[0] == pytest.approx(expected, rel=1e-12)


def test_parzen_of_many_gaussian_samples_tends_to_the_convolved_gaussian(rng):
    # Samples s ~ N(0, s²I): p̂(x) → ∫ N(x; s, σ²I) N(s; 0, s²I) ds = N(x; 0, (s² + σ²) I).
    scale, sigma, dim = 0.6, 0.5, 2
    samples = rng.normal(size=(400_000, dim)) * scale
    x = rng.normal(size=(20, dim))
    var = scale ** 2 + sigma ** 2
    expected = -(x ** 2).sum(1) / (2 * var) - 0.5 * dim * math.log(2 * math.pi * var)
    np.testing.assert_allclose(parzen_log_likelihood(samples, x, sigma, batch_size=7), expected, atol=0.02)


def test_choose_parzen_sigma_finds_the_matching_window(rng):
    # Samples ~ N(0, 0.5²), data ~ N(0, 1): the window that makes s² + σ² = 1 is σ = √0.75.
    samples, x_val = rng.normal(size=(5000, 1)) * 0.5, rng.normal(size=(3000, 1))
    best, scores = choose_parzen_sigma(samples, x_val, sigmas=np.linspace(0.3, 1.5, 25))
    assert best == pytest.approx(math.sqrt(0.75), abs=0.1)
    assert scores[best] == max(scores.values())


def test_parzen_with_a_list_of_sigmas_is_one_row_per_sigma(rng):
    samples, x = rng.normal(size=(30, 3)), rng.normal(size=(6, 3))
    rows = parzen_log_likelihood(samples, x, [0.3, 1.0, 2.0], batch_size=4)
    for row, sigma in zip(rows, [0.3, 1.0, 2.0]):
        np.testing.assert_allclose(row, parzen_log_likelihood(samples, x, sigma), rtol=1e-13)


def test_parzen_rejects_a_bad_sigma():
    with pytest.raises(ValueError, match="sigma"):
        parzen_log_likelihood(np.zeros((2, 2)), np.zeros((1, 2)), 0.0)
