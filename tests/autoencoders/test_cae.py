"""The contractive autoencoder: closed form = double backward, Hutchinson, gradchecks; the stochastic form."""

import numpy as np
import pytest

import minigrad

from autoencoders.models import Batch, get_model_class
from autoencoders.models.cae import (
    CAE, StochasticCAE, jacobian_norm_closed_form, jacobian_norm_exact, jacobian_norm_hutchinson,
)


def tiny(cls=CAE, **options):
    minigrad.manual_seed(4)
    model = cls(input_shape=(6,), latent_dim=4, **options)
    model.encoder.weight.data = model.encoder.weight.data * 3  # larger weights: a non-trivial Jacobian
    return model


def tiny_x(seed=4):
    return minigrad.tensor(np.random.default_rng(seed).random((5, 6)))


def hand_jacobian_norm(model, x):
    """‖J‖²_F per example from the explicit Jacobian diag(h(1 − h)) W, built in NumPy."""
    w, b = model.encoder.weight.numpy(), model.encoder.bias.numpy()
    h = 1 / (1 + np.exp(-(x @ w.T + b)))
    jacobians = (h * (1 - h))[:, :, None] * w[None]             # (B, hidden, inputs)
    return np.sum(jacobians ** 2, axis=(1, 2))


def test_cae_and_scae_are_registered():
    assert get_model_class("cae") is CAE and get_model_class("scae") is StochasticCAE
    with pytest.raises(ValueError, match="jacobian must be one of"):
        CAE(jacobian="finite-differences")


def test_closed_form_and_double_backward_agree_to_1e_10(float64):
    model = tiny()
    x = tiny_x()
    closed = jacobian_norm_closed_form(model.encode(x), model.encoder.weight).numpy()
    exact = jacobian_norm_exact(model.encode, x).numpy()
    np.testing.assert_allclose(closed, hand_jacobian_norm(model, x.numpy()), rtol=1e-12)
    assert np.max(np.abs(closed - exact)) < 1e-10 and closed.min() > 1e-3


def test_the_gradients_of_both_penalties_agree(float64):
    model = tiny()
    x = tiny_x()
    grads = []
    for method in ("closed-form", "exact"):
        params = [model.encoder.weight, model.encoder.bias]  # the penalty does not involve the decoder bias
        grads.append(minigrad.grad(model.jacobian_norm(x, method).mean(), params))
    for closed, exact in zip(*grads):
        assert np.max(np.abs(closed.numpy() - exact.numpy())) < 1e-10


def test_summing_over_code_units_before_squaring_is_not_the_penalty(float64):
    """The pitfall the exact form avoids: grad(Σ_j h_j) squares the row sums of J, not its entries."""
    model = tiny()
    x = tiny_x().requires_grad_()
    (summed,) = minigrad.grad(model.encode(x).sum(), x)
    wrong = (summed.numpy() ** 2).sum(axis=1)
    assert np.all(np.abs(wrong - hand_jacobian_norm(model, x.numpy())) > 1e-3)


def test_hutchinson_is_unbiased(float64):
    model = tiny()
    x = tiny_x()
    minigrad.manual_seed(0)
    estimate = jacobian_norm_hutchinson(model.encode, x, probes=400).numpy()
    np.testing.assert_allclose(estimate, hand_jacobian_norm(model, x.numpy()), rtol=0.1)
    one = jacobian_norm_hutchinson(model.encode, x, probes=1).numpy()
    assert not np.allclose(one, estimate, rtol=1e-3)  # a single probe is noisy


@pytest.mark.parametrize("jacobian", ["closed-form", "exact", "hutchinson"])
def test_gradcheck_of_the_whole_cae_objective(gradcheck_parameters, float64, jacobian):
    model = tiny(lam=0.5, jacobian=jacobian, probes=2)
    batch = Batch(x=tiny_x())

    def objective():
        minigrad.manual_seed(1)  # the Hutchinson probes: the same ones in every evaluation
        return model.objective(model.loss_terms(batch))

    minigrad.manual_seed(1)
    terms = model.loss_terms(batch)
    assert set(terms) == {"reconstruction", "contractive"} and terms["contractive"].item() > 1e-3
    assert gradcheck_parameters(model, objective)


def test_gradcheck_of_the_cae_objective_wrt_the_input(float64):
    model = tiny(lam=0.5, jacobian="exact")
    x = tiny_x().requires_grad_()
    assert minigrad.gradcheck(lambda x: model.objective(model.loss_terms(Batch(x=x))), [x])


def test_evaluate_reports_the_closed_form_penalty(float64):
    model = tiny(lam=0.25, jacobian="exact")
    x = tiny_x()
    values = model.evaluate_step(Batch(x=x))
    assert values["jacobian_norm"] == pytest.approx(hand_jacobian_norm(model, x.numpy()).mean(), rel=1e-12)
    assert values["loss"] == pytest.approx(values["reconstruction"] + 0.25 * values["jacobian_norm"], rel=1e-12)


# ---- the stochastic variant --------------------------------------------------------------------

def test_gradcheck_of_the_stochastic_objective(gradcheck_parameters, float64):
    model = tiny(StochasticCAE, lam=0.5)
    x = tiny_x()
    noisy = minigrad.tensor(x.numpy() + 0.1 * np.random.default_rng(0).normal(size=x.shape))
    batch = Batch(x=x, x_noisy=noisy)
    terms = model.loss_terms(batch)
    h, h_noisy = model.encode(x).numpy(), model.encode(noisy).numpy()
    assert terms["stochastic_contractive"].item() == pytest.approx(0.5 * np.mean(np.sum((h - h_noisy) ** 2, 1)))
    assert terms["reconstruction"].item() == pytest.approx(np.mean((model.reconstruct(x).numpy() - x.numpy()) ** 2))
    assert gradcheck_parameters(model, lambda: model.objective(model.loss_terms(batch)))
    with pytest.raises(ValueError, match="needs a corrupted input"):
        model.loss_terms(Batch(x=x))


def test_stochastic_penalty_tends_to_sigma_squared_times_the_contractive_one(float64):
    """E‖h(x + ε) − h(x)‖² = σ²‖J‖²_F + O(σ⁴) for ε ~ N(0, σ²I): the CAE is the SCAE's small-noise limit."""
    model = tiny(StochasticCAE, lam=1.0)
    x = tiny_x().numpy()[:2]
    sigma, draws = 1e-3, 4000
    repeated = np.repeat(x, draws, axis=0)
    noisy = repeated + sigma * np.random.default_rng(0).normal(size=repeated.shape)
    penalty = model.loss_terms(Batch(x=minigrad.tensor(repeated), x_noisy=minigrad.tensor(noisy)))
    want = hand_jacobian_norm(model, x).mean()
    assert penalty["stochastic_contractive"].item() / sigma ** 2 == pytest.approx(want, rel=0.05)
