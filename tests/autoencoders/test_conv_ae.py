"""The convolutional autoencoders: shapes of both variants, gradchecks of their objectives, the notes' optimizer."""

import numpy as np
import pytest

import minigrad
from minigrad import optim

from autoencoders.models import Batch, get_model_class
from autoencoders.models.conv_ae import ConvAE, NotesConvAE
from autoencoders.training import make_config


def images(n, side=28, low=0.0, seed=0):
    return minigrad.tensor(low + (1 - low) * np.random.default_rng(seed).random((n, 1, side, side)))


def test_both_variants_are_registered_and_read_images():
    assert get_model_class("conv-ae") is ConvAE and get_model_class("conv-ae-notes") is NotesConvAE
    assert make_config("conv-ae")["flatten"] is False and make_config("conv-ae-notes")["flatten"] is False
    notes = make_config("conv-ae-notes")
    assert (notes["value_range"], notes["batch_size"], notes["lr"], notes["optimizer"]) == ([-1.0, 1.0], 60, 0.01, "sgd")


def test_conv_ae_shapes():
    model = ConvAE(latent_dim=20)
    x = images(3).astype("float32")
    z = model.encode(x)
    out = model.reconstruct(x).numpy()
    assert z.shape == (3, 20) and out.shape == (3, 1, 28, 28) and np.all((out > 0) & (out < 1))
    assert model.encoder[0](x).shape == (3, 16, 14, 14) and model.encoder[2](model.encoder[1](
        model.encoder[0](x))).shape == (3, 32, 7, 7)
    assert model.decode(z).shape == (3, 1, 28, 28)
    with pytest.raises(ValueError, match="multiples of 4"):
        ConvAE(input_shape=(1, 30, 30))


def test_notes_conv_ae_shapes_and_tanh_range():
    model = NotesConvAE()
    x = images(2, low=-1.0).astype("float32")
    after_convs = model.encoder[3](model.encoder[2](model.encoder[1](model.encoder[0](x))))
    assert after_convs.shape == (2, 7, 28, 28)  # "same" padding: the notes' 7·28·28 features
    z = model.encode(x)
    out = model.reconstruct(x).numpy()
    assert z.shape == (2, 28) and np.all(np.abs(z.numpy()) < 1)
    assert out.shape == (2, 1, 28, 28) and np.all((out > -1) & (out < 1))


def test_notes_variant_uses_sgd_with_momentum():
    model = NotesConvAE(input_shape=(1, 8, 8), latent_dim=2)
    (optimizer,) = model.configure_optimizers(make_config("conv-ae-notes")).values()
    assert isinstance(optimizer, optim.SGD)
    assert optimizer.param_groups[0]["momentum"] == 0.9 and optimizer.param_groups[0]["lr"] == 0.01


def test_gradcheck_of_the_conv_ae_objective(gradcheck_parameters, float64):
    minigrad.manual_seed(0)
    model = ConvAE(input_shape=(1, 8, 8), latent_dim=2, channels=(2, 3))
    batch = Batch(x=images(2, side=8))
    assert gradcheck_parameters(model, lambda: model.objective(model.loss_terms(batch)))


def test_gradcheck_of_the_notes_conv_ae_objective(gradcheck_parameters, float64):
    minigrad.manual_seed(0)
    model = NotesConvAE(input_shape=(1, 6, 6), latent_dim=2)
    batch = Batch(x=images(2, side=6, low=-1.0))
    # about 5,000 weights: random directions rather than every element
    assert gradcheck_parameters(model, lambda: model.objective(model.loss_terms(batch)), mode="random",
                                n_directions=4)
