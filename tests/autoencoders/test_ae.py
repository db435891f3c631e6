"""Tests of the model interface (registry, base class) and of the plain autoencoder ``ae``."""

import numpy as np
import pytest

import minigrad

from autoencoders.models import Autoencoder, Batch, UnknownModelError, available_models, get_model_class, register
from autoencoders.models import registry
from autoencoders.models.ae import AE


@pytest.fixture
def scratch_registry(monkeypatch):
    """Register test models in a copy of the registry, dropped after the test."""
    monkeypatch.setattr(registry, "_MODELS", dict(registry._MODELS))


# ---- registry -----------------------------------------------------------------------------

def test_ae_is_registered_with_a_description():
    assert get_model_class("ae") is AE
    assert AE.name == "ae" and "autoencoder" in available_models()["ae"]
    assert list(available_models()) == sorted(available_models())


def test_unknown_model_names_the_known_ones():
    with pytest.raises(UnknownModelError, match=r"unknown model 'nope'; known models: .*\bae\b"):
        get_model_class("nope")
    with pytest.raises(KeyError):  # UnknownModelError is a KeyError
        get_model_class("nope")


def test_register_refuses_a_taken_name_and_bad_names(scratch_registry):
    with pytest.raises(ValueError, match="already taken by autoencoders.models.ae.AE"):
        register("ae", "another")(type("Other", (Autoencoder,), {}))
    with pytest.raises(ValueError, match="non-empty word"):
        register("two words", "x")
    with pytest.raises(ValueError, match="one line"):
        register("x", "two\nlines")


def test_a_registered_model_is_listed(scratch_registry):
    @register("tiny-test", "a test model")
    class Tiny(AE):
        pass

    assert get_model_class("tiny-test") is Tiny and available_models()["tiny-test"] == "a test model"


# ---- the base class -----------------------------------------------------------------------

def test_batch_input_is_the_noisy_input_when_there_is_one():
    x, noisy = minigrad.zeros(2, 3), minigrad.ones(2, 3)
    assert Batch(x=x).input is x and len(Batch(x=x)) == 2
    assert Batch(x=x, x_noisy=noisy).input is noisy


def test_default_train_step_lowers_the_objective_and_reports_device_scalars():
    minigrad.manual_seed(0)
    model = AE(input_shape=(12,), hidden=[8], latent_dim=2)
    optimizers = model.configure_optimizers({"lr": 1e-2, "optimizer": "adam"})
    assert set(optimizers) == {"model"}
    batch = Batch(x=minigrad.tensor(np.random.default_rng(0).random((16, 12), dtype=np.float32)))
    first = model.train_step(batch, optimizers)
    assert set(first) == {"reconstruction", "loss"}
    # 0-d Tensors, detached and left on the device (no host sync per step); the loop reads them
    assert all(isinstance(v, minigrad.Tensor) and v.shape == () and v.creator is None for v in first.values())
    first = {name: float(value) for name, value in first.items()}
    assert first["loss"] == first["reconstruction"]
    for _ in range(30):
        last = model.train_step(batch, optimizers)
    assert float(last["loss"]) < first["loss"]
    assert model.evaluate_step(batch)["loss"] == pytest.approx(float(model.train_step(batch, optimizers)["loss"]))


def test_objective_sums_the_terms_and_sample_is_none_without_a_prior():
    model = AE(input_shape=(4,), hidden=[3], latent_dim=2)
    terms = {"a": minigrad.tensor(1.5), "b": minigrad.tensor(2.0)}
    assert model.objective(terms).item() == 3.5
    assert model.sample(3) is None and model.prior is None


def test_unknown_optimizer_is_refused():
    model = AE(input_shape=(4,), hidden=[3], latent_dim=2)
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        model.configure_optimizers({"lr": 1e-3, "optimizer": "lbfgs"})


# ---- the plain autoencoder ----------------------------------------------------------------

def test_ae_architecture_is_784_512_256_32_with_a_sigmoid_output():
    model = AE()
    shapes = [tuple(p.shape) for _, p in model.named_parameters()]
    assert shapes == [(512, 784), (512,), (256, 512), (256,), (32, 256), (32,),
                      (256, 32), (256,), (512, 256), (512,), (784, 512), (784,)]
    assert model.latent_dim == 32
    x = minigrad.tensor(np.random.default_rng(0).random((5, 784), dtype=np.float32))
    z = model.encode(x)
    out = model.reconstruct(x).numpy()
    assert z.shape == (5, 32) and out.shape == (5, 784) and np.all((out > 0) & (out < 1))


def _tiny_ae_and_batch():
    """A 6-5-3 autoencoder in float64 and a batch of 4, with every ReLU input far from its kink."""
    minigrad.manual_seed(3)
    model = AE(input_shape=(6,), hidden=[5], latent_dim=3)
    x = minigrad.tensor(np.random.default_rng(3).random((4, 6)), dtype="float64", requires_grad=True)
    with minigrad.no_grad():  # gradcheck's eps is 1e-6; keep every ReLU input at least 1e-3 from 0
        for relu_input in (model.encoder[0](x), model.decoder[0][0](model.encode(x))):
            assert np.abs(relu_input.numpy()).min() > 1e-3
    return model, x


def test_gradcheck_of_the_ae_objective_wrt_the_input(float64):
    model, x = _tiny_ae_and_batch()

    def objective(x):
        return model.objective(model.loss_terms(Batch(x=x)))

    assert minigrad.gradcheck(objective, [x])


def test_gradcheck_of_the_ae_objective_wrt_a_parameter(float64):
    model, x = _tiny_ae_and_batch()
    x = x.detach()
    weight = model.encoder[0].weight
    original = weight.data.copy()

    def objective(w):
        # gradcheck calls this with the parameter itself (analytic gradient, through the model's
        # graph) and with perturbed copies of it (finite differences): copy their values in.
        weight.data = w.data
        return model.objective(model.loss_terms(Batch(x=x)))

    try:
        assert minigrad.gradcheck(objective, [weight])
    finally:
        weight.data = original


def test_the_ae_denoises_when_given_a_noisy_input():
    model = AE(input_shape=(4,), hidden=[3], latent_dim=2)
    clean = minigrad.tensor(np.full((2, 4), 0.5, dtype=np.float32))
    noisy = minigrad.tensor(np.zeros((2, 4), dtype=np.float32))
    got = model.loss_terms(Batch(x=clean, x_noisy=noisy))["reconstruction"].item()
    want = float(np.mean((model.reconstruct(noisy).numpy() - 0.5) ** 2))
    assert got == pytest.approx(want, rel=1e-6)
