"""Tests of the adversarial autoencoders (aae, aae-supervised, aae-semisupervised): each update
touches only its own parameters, each update is exactly the gradient of its own loss, the
losses' gradients (float64 gradcheck), label conditioning, the labelled memory of the
semi-supervised model, tiny runs through the training loop that resume exactly, the figures.

Gradient checks run in float64 on tiny networks (8-6-2, D 2-5-1, batch 4). They avoid the
kinks of ReLU on purpose: ``assert_no_relu_kink`` checks that no ReLU input lies within 1e-3
of 0 (far more than gradcheck's step of 1e-6), so a failure can only be a wrong gradient.
"""

import numpy as np
import pytest

import minigrad
from minigrad import nn, optim

from autoencoders.models import Batch, available_models
from autoencoders.models.aae import (
    AAE, NO_LABEL, Discriminator, discriminator_loss, frozen, generator_loss,
)
from autoencoders.models.aae_semisupervised import SemiSupervisedAAE
from autoencoders.models.aae_supervised import SupervisedAAE
from autoencoders.training import make_config, read_metrics, resume, train


def tiny_aae(**options):
    minigrad.manual_seed(0)
    options = {"input_shape": (8,), "hidden": (6,), "latent_dim": 2, "disc_hidden": (5,), **options}
    return AAE(**options)


def tiny_batch(rng, n=4, d=8):
    return Batch(x=minigrad.tensor(rng.random((n, d))), y=minigrad.tensor(np.arange(n) % 10),
                 index=minigrad.tensor(np.arange(n)))


def snapshot(module):
    return {name: p.numpy() for name, p in module.named_parameters()}


def unchanged(module, before):
    return all(np.array_equal(p.numpy(), before[name]) for name, p in module.named_parameters())


def all_changed(module, before):
    return all(not np.array_equal(p.numpy(), before[name]) for name, p in module.named_parameters())


def grads_are_none(module):
    return all(p.grad is None for p in module.parameters())


def optimizers_of(model, lr=1e-2):
    return model.configure_optimizers(make_config("aae", lr=lr))


# ---- each phase touches only its own parameters -------------------------------------------------

def test_reconstruction_phase_leaves_the_discriminator_untouched(rng):
    model, batch = tiny_aae(), tiny_batch(rng)
    before = {part: snapshot(getattr(model, part)) for part in ("encoder", "decoder", "discriminator")}
    model.reconstruction_phase(batch, optimizers_of(model)["autoencoder"])
    assert unchanged(model.discriminator, before["discriminator"]) and grads_are_none(model.discriminator)
    assert all_changed(model.encoder, before["encoder"]) and all_changed(model.decoder, before["decoder"])


def test_discriminator_phase_leaves_encoder_and_decoder_untouched(rng):
    model, batch = tiny_aae(), tiny_batch(rng)
    before = {part: snapshot(getattr(model, part)) for part in ("encoder", "decoder", "discriminator")}
    model.discriminator_phase(batch, optimizers_of(model)["discriminator"])
    for part in ("encoder", "decoder"):
        assert unchanged(getattr(model, part), before[part])
        assert grads_are_none(getattr(model, part)), f"the discriminator phase left gradients in the {part}"
    assert all_changed(model.discriminator, before["discriminator"])


def test_generator_phase_leaves_discriminator_and_decoder_untouched(rng):
    model, batch = tiny_aae(), tiny_batch(rng)
    before = {part: snapshot(getattr(model, part)) for part in ("encoder", "decoder", "discriminator")}
    model.generator_phase(batch, optimizers_of(model)["generator"])
    for part in ("discriminator", "decoder"):
        assert unchanged(getattr(model, part), before[part])
        assert grads_are_none(getattr(model, part)), f"the generator phase left gradients in the {part}"
    assert all_changed(model.encoder, before["encoder"])
    assert all(p.requires_grad for p in model.discriminator.parameters())  # unfrozen again


def test_optimizers_own_disjoint_parameters():
    model = tiny_aae()
    opts = optimizers_of(model, lr=1e-3)
    ids = {name: {id(p) for group in opt.param_groups for p in group["params"]} for name, opt in opts.items()}
    assert ids["autoencoder"] == {id(p) for p in model.autoencoder_parameters()}
    assert ids["discriminator"] == {id(p) for p in model.discriminator.parameters()}
    assert ids["generator"] == {id(p) for p in model.encoder.parameters()}
    assert not ids["discriminator"] & (ids["autoencoder"] | ids["generator"])
    assert opts["discriminator"].param_groups[0]["lr"] == pytest.approx(2e-4)  # lr × disc_lr_scale (1/5)
    assert opts["generator"].param_groups[0]["lr"] == pytest.approx(1e-3)


def sgd_step_is_the_gradient(model, params, phase, loss_fn):
    """Run ``phase`` with SGD(lr=1) over ``params`` after leaving stale gradients in every
    parameter; the update must equal −∇loss_fn exactly (no stale or foreign gradient in it)."""
    for p in model.parameters():
        p.grad = minigrad.full_like(p, 100.0)  # stale gradients that a correct phase must not use
    expected = minigrad.grad(loss_fn(), params)
    before = [p.numpy() for p in params]
    phase(optim.SGD(params, lr=1.0))
    for p, b, g in zip(params, before, expected):
        np.testing.assert_allclose(b - p.numpy(), g.numpy(), rtol=1e-9, atol=1e-12)


def test_generator_update_is_exactly_the_generator_gradient(float64, rng):
    model, batch = tiny_aae(), tiny_batch(rng)
    params = list(model.encoder.parameters())
    sgd_step_is_the_gradient(
        model, params, lambda opt: model.generator_phase(batch, opt),
        lambda: generator_loss(model.discriminator(model.encode(batch.x))))


def test_reconstruction_update_is_exactly_the_reconstruction_gradient(float64, rng):
    model, batch = tiny_aae(), tiny_batch(rng)
    params = model.autoencoder_parameters()
    sgd_step_is_the_gradient(model, params, lambda opt: model.reconstruction_phase(batch, opt),
                             lambda: model.reconstruction_loss(batch))


def test_discriminator_update_is_exactly_the_discriminator_gradient(float64, rng):
    model, batch = tiny_aae(), tiny_batch(rng)
    params = list(model.discriminator.parameters())
    minigrad.manual_seed(7)
    z_real = model.code_prior.sample(len(batch))        # the draw the phase will make after re-seeding
    z_fake = model.encode(batch.x).detach()

    def phase(opt):
        minigrad.manual_seed(7)
        model.discriminator_phase(batch, opt)

    sgd_step_is_the_gradient(
        model, params, phase,
        lambda: discriminator_loss(model.discriminator(minigrad.tensor(z_real)), model.discriminator(z_fake)))


def test_frozen_restores_requires_grad_after_an_error():
    d = Discriminator(2, (3,))
    with pytest.raises(RuntimeError):
        with frozen(d):
            assert not any(p.requires_grad for p in d.parameters())
            raise RuntimeError
    assert all(p.requires_grad for p in d.parameters())


def test_gen_steps_repeats_the_generator_phase(rng, monkeypatch):
    model, batch = tiny_aae(gen_steps=3), tiny_batch(rng)
    calls = []
    original = model.generator_phase
    monkeypatch.setattr(model, "generator_phase", lambda *a: calls.append(1) or original(*a))
    values = model.train_step(batch, optimizers_of(model))
    assert len(calls) == 3
    assert set(values) == {"reconstruction", "discriminator", "generator", "loss"}
    assert values["loss"] == values["reconstruction"]


# ---- gradients of the three losses (float64) --------------------------------------------------

def test_discriminator_loss_gradcheck(float64, rng, as_function_of_parameters, assert_no_relu_kink):
    model = tiny_aae()
    z_real = minigrad.tensor(rng.normal(size=(4, 2)), requires_grad=True)
    z_fake = minigrad.tensor(rng.normal(size=(4, 2)), requires_grad=True)
    d = model.discriminator
    fn, params = as_function_of_parameters(d, lambda: discriminator_loss(d(z_real), d(z_fake)))
    assert_no_relu_kink(d, lambda: fn(*params))
    assert minigrad.gradcheck(fn, params)
    assert minigrad.gradcheck(lambda a, b: discriminator_loss(d(a), d(b)), [z_real, z_fake])


def test_generator_loss_gradcheck_through_discriminator_and_encoder(float64, rng, as_function_of_parameters, assert_no_relu_kink):
    model, batch = tiny_aae(), tiny_batch(rng)
    fn, params = as_function_of_parameters(
        model, lambda: generator_loss(model.discriminator(model.encode(batch.x))))
    assert_no_relu_kink(model, lambda: fn(*params))
    assert minigrad.gradcheck(fn, params)


def test_reconstruction_loss_gradcheck(float64, rng, as_function_of_parameters, assert_no_relu_kink):
    model, batch = tiny_aae(), tiny_batch(rng)
    fn, params = as_function_of_parameters(model, lambda: model.reconstruction_loss(batch))
    assert_no_relu_kink(model, lambda: fn(*params))
    assert minigrad.gradcheck(fn, params)


def test_conditional_discriminator_loss_gradcheck(float64, rng, as_function_of_parameters, assert_no_relu_kink):
    model = tiny_aae(prior="mixture", label_conditioned=True)
    condition = model.condition(np.array([0, 3, NO_LABEL, 9]))
    z_real = minigrad.tensor(rng.normal(size=(4, 2)), requires_grad=True)
    z_fake = minigrad.tensor(rng.normal(size=(4, 2)), requires_grad=True)
    d = model.discriminator
    fn, params = as_function_of_parameters(
        d, lambda: discriminator_loss(d(z_real, condition), d(z_fake, condition)))
    assert_no_relu_kink(d, lambda: fn(*params))
    assert minigrad.gradcheck(fn, params)
    assert minigrad.gradcheck(lambda a, b: discriminator_loss(d(a, condition), d(b, condition)), [z_real, z_fake])


def test_losses_match_their_formulas(float64, rng):
    real, fake = rng.normal(size=(5, 1)), rng.normal(size=(5, 1))
    log_sigmoid = lambda t: -np.log1p(np.exp(-t))  # noqa: E731
    expected_d = -log_sigmoid(real).mean() - log_sigmoid(-fake).mean()   # −log σ(D(z')) − log(1 − σ(D(q(x))))
    assert discriminator_loss(minigrad.tensor(real), minigrad.tensor(fake)).item() == pytest.approx(expected_d)
    assert generator_loss(minigrad.tensor(fake)).item() == pytest.approx(-log_sigmoid(fake).mean())


# ---- label conditioning ---------------------------------------------------------------------------

def test_condition_labels_mark_unlabelled_examples_in_training_only(rng):
    model = tiny_aae(prior="mixture", label_conditioned=True, labelled=2)
    batch = Batch(x=minigrad.tensor(rng.random((4, 8))), y=minigrad.tensor(np.array([7, 1, 4, 2])),
                  index=minigrad.tensor(np.array([0, 5, 1, 2])))
    np.testing.assert_array_equal(model.condition_labels(batch), [7, NO_LABEL, 4, NO_LABEL])
    model.eval()
    np.testing.assert_array_equal(model.condition_labels(batch), [7, 1, 4, 2])
    one_hot = model.condition(np.array([7, NO_LABEL])).numpy()
    assert one_hot.shape == (2, 11) and one_hot[0, 7] == 1 and one_hot[1, 10] == 1 and one_hot.sum() == 2


def test_discriminator_phase_draws_real_codes_from_each_label_part(rng, monkeypatch):
    model = tiny_aae(prior="mixture", label_conditioned=True, labelled=3)
    batch = tiny_batch(rng)  # labels 0, 1, 2, 3 at indices 0..3: the last is unlabelled
    seen, seen_input = [], []
    original_sample = model.code_prior.sample
    monkeypatch.setattr(model.code_prior, "sample", lambda n, labels=None, rng=None:
                        seen.append(np.array(labels)) or original_sample(n, labels, rng))
    original_forward = model.discriminator.forward
    monkeypatch.setattr(model.discriminator, "forward", lambda z, c=None:
                        seen_input.append(c.numpy()) or original_forward(z, c))
    model.discriminator_phase(batch, optimizers_of(model)["discriminator"])
    np.testing.assert_array_equal(seen[0], [0, 1, 2, NO_LABEL])
    for c in seen_input:  # real and fake rows get the same one-hot
        np.testing.assert_array_equal(c.argmax(1), [0, 1, 2, NO_LABEL])


def test_conditional_needs_a_prior_with_parts():
    with pytest.raises(ValueError, match="labelled parts"):
        tiny_aae(prior="gaussian", label_conditioned=True)
    with pytest.raises(ValueError, match="gen_steps"):
        tiny_aae(gen_steps=0)


# ---- through the training loop ------------------------------------------------------------------

def tiny_config(**overrides):
    return make_config("aae", epochs=2, batch_size=32, hidden=[16], disc_hidden=[8], limit_train=96,
                       limit_test=40, prior="mixture", label_conditioned=True, labelled=50, **overrides)


def test_registered_with_a_description():
    assert "aae" in available_models() and "adversarial" in available_models()["aae"]


def test_training_loop_runs_all_phases_and_resumes_exactly(tmp_path):
    config = tiny_config()
    train(config, tmp_path / "straight", quiet=True)
    train(dict(config, epochs=1), tmp_path / "resumed", quiet=True)
    resume(tmp_path / "resumed", epochs=2, quiet=True)
    straight, resumed = read_metrics(tmp_path / "straight"), read_metrics(tmp_path / "resumed")
    assert set(straight[-1]["train"]) == {"reconstruction", "discriminator", "generator", "loss"}
    assert set(straight[-1]["test"]) == {"reconstruction", "discriminator", "generator", "loss"}
    for a, b in zip(straight, resumed):
        assert a["train"] == b["train"] and a["test"] == b["test"]


# ---- the supervised AAE ---------------------------------------------------------------------------

def tiny_supervised(**options):
    minigrad.manual_seed(0)
    return SupervisedAAE(**{"input_shape": (8,), "hidden": (6,), "latent_dim": 2, "disc_hidden": (5,), **options})


def test_supervised_decoder_reads_the_label(rng):
    model, batch = tiny_supervised(), tiny_batch(rng)
    z = model.encode(batch.x)
    as_given = model.decode(z, batch.y).numpy()
    relabelled = model.decode(z, minigrad.tensor((batch.y.numpy() + 1) % 10)).numpy()
    assert not np.allclose(as_given, relabelled)
    np.testing.assert_allclose(model.reconstruction_logits(batch).numpy(),
                               model.decoder_logits(z, batch.y).numpy())


def test_supervised_reconstruction_loss_gradcheck(float64, rng, as_function_of_parameters, assert_no_relu_kink):
    model, batch = tiny_supervised(), tiny_batch(rng)
    fn, params = as_function_of_parameters(model, lambda: model.reconstruction_loss(batch))
    assert_no_relu_kink(model, lambda: fn(*params))
    assert minigrad.gradcheck(fn, params)


def test_supervised_phases_keep_to_their_parameters(rng):
    model, batch = tiny_supervised(), tiny_batch(rng)
    opts = model.configure_optimizers(make_config("aae-supervised", lr=1e-2))
    before = snapshot(model.discriminator)
    model.reconstruction_phase(batch, opts["autoencoder"])
    model.generator_phase(batch, opts["generator"])
    assert unchanged(model.discriminator, before) and grads_are_none(model.discriminator)
    before = {part: snapshot(getattr(model, part)) for part in ("encoder", "decoder")}
    for part in ("encoder", "decoder"):
        for p in getattr(model, part).parameters():
            p.grad = None
    model.discriminator_phase(batch, opts["discriminator"])
    for part in ("encoder", "decoder"):
        assert unchanged(getattr(model, part), before[part]) and grads_are_none(getattr(model, part))


# ---- the semi-supervised AAE ----------------------------------------------------------------------

def tiny_semisupervised(**options):
    minigrad.manual_seed(0)
    return SemiSupervisedAAE(**{"input_shape": (8,), "hidden": (6,), "latent_dim": 2, "num_classes": 10,
                                "labelled": 3, "disc_hidden": (5,), **options})


def semisupervised_optimizers(model):
    return model.configure_optimizers(make_config("aae-semisupervised", lr=1e-2))


def test_semisupervised_discriminator_phase_leaves_the_autoencoder_untouched(rng):
    model, batch = tiny_semisupervised(), tiny_batch(rng)
    before = {part: snapshot(getattr(model, part)) for part in ("encoder", "decoder", "discriminator",
                                                                  "class_discriminator")}
    model.discriminator_phase(batch, semisupervised_optimizers(model)["discriminator"])
    for part in ("encoder", "decoder"):
        assert unchanged(getattr(model, part), before[part]) and grads_are_none(getattr(model, part))
    assert all_changed(model.discriminator, before["discriminator"])
    assert all_changed(model.class_discriminator, before["class_discriminator"])


def test_semisupervised_generator_phase_leaves_both_discriminators_untouched(rng):
    model, batch = tiny_semisupervised(), tiny_batch(rng)
    before = {part: snapshot(getattr(model, part)) for part in ("encoder", "decoder", "discriminator",
                                                                  "class_discriminator")}
    model.generator_phase(batch, semisupervised_optimizers(model)["generator"])
    for part in ("decoder", "discriminator", "class_discriminator"):
        assert unchanged(getattr(model, part), before[part]) and grads_are_none(getattr(model, part))
    assert all_changed(model.encoder, before["encoder"])


def test_semisupervised_classification_phase_updates_only_trunk_and_class_head(rng):
    model, batch = tiny_semisupervised(), tiny_batch(rng)  # indices 0..3, labelled = 3
    parts = ("trunk", "class_head", "style_head", "decoder", "discriminator", "class_discriminator")
    before = {part: snapshot(getattr(model, part)) for part in parts}
    values = model.extra_phases(batch, semisupervised_optimizers(model))
    assert set(values) == {"classification"}
    assert all_changed(model.trunk, before["trunk"]) and all_changed(model.class_head, before["class_head"])
    for part in parts[2:]:
        assert unchanged(getattr(model, part), before[part]) and grads_are_none(getattr(model, part))


def test_semisupervised_memory_keeps_only_labelled_examples(rng):
    model = tiny_semisupervised(labelled=3)
    x = rng.random((4, 8))
    batch = Batch(x=minigrad.tensor(x), y=minigrad.tensor(np.array([4, 6, 8, 9])),
                  index=minigrad.tensor(np.array([2, 7, 0, 3])))
    assert model.labelled_batch(5) is None
    model.remember_labelled(batch)
    np.testing.assert_array_equal(model.labelled_y.numpy(), [8, -1, 4])   # slot = index, -1 = not seen yet
    np.testing.assert_allclose(model.labelled_x.numpy()[[0, 2]], x[[2, 0]], rtol=1e-6)
    drawn = model.labelled_batch(5)
    assert sorted(drawn.y.numpy().tolist()) == [4, 8]


def test_semisupervised_classification_loss_gradcheck(float64, rng, as_function_of_parameters, assert_no_relu_kink):
    model, batch = tiny_semisupervised(), tiny_batch(rng)
    fn, params = as_function_of_parameters(model, lambda: model.classification_loss(batch))
    assert_no_relu_kink(model.trunk, lambda: fn(*params))
    assert minigrad.gradcheck(fn, params)


def test_semisupervised_training_resumes_exactly_and_reports_the_error(tmp_path):
    config = make_config("aae-semisupervised", epochs=2, batch_size=32, hidden=[16], latent_dim=2, labelled=20,
                         disc_hidden=[8], limit_train=96, limit_test=40)
    train(config, tmp_path / "straight", quiet=True)
    train(dict(config, epochs=1), tmp_path / "resumed", quiet=True)
    resume(tmp_path / "resumed", epochs=2, quiet=True)
    straight, resumed = read_metrics(tmp_path / "straight"), read_metrics(tmp_path / "resumed")
    assert 0.0 <= straight[-1]["test"]["error"] <= 1.0 and "classification" in straight[-1]["train"]
    for a, b in zip(straight, resumed):
        assert a["train"] == b["train"] and a["test"] == b["test"]


# ---- figures --------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["aae", "aae-supervised", "aae-semisupervised"])
def test_every_figure_is_drawn_on_the_strict_backend(model, tmp_path):
    """Train and draw every figure (plot_run) on "strict", the CPU stand-in for CuPy: no stray
    NumPy call on device arrays, and the generic figures get what they need from each model."""
    from autoencoders.plots import plot_run
    extra = {"prior": "swiss-roll", "label_conditioned": True} if model == "aae" else {}
    config = make_config(model, epochs=1, batch_size=32, hidden=[16], disc_hidden=[8], limit_train=64,
                         limit_test=40, latent_dim=2, backend="strict", **extra)
    train(config, tmp_path / model, quiet=True)
    names = {path.name for path in plot_run(tmp_path / model)}
    assert {"codes_over_prior.png", "reconstructions.png", "samples.png", "latent_scatter.png"} <= names
    assert ("style_grid.png" in names) == (model == "aae-semisupervised")
    assert ("analogies.png" in names) == (model == "aae-supervised")   # autoencoders.plots.variational


@pytest.mark.parametrize("make", [lambda: tiny_aae(dropout=0.5), lambda: tiny_semisupervised(dropout=0.5)],
                         ids=["aae", "aae-semisupervised"])
def test_encoder_dropout_is_active_in_training_only(make, rng):
    model = make()
    x = minigrad.tensor(rng.random((6, 8)))
    assert any(isinstance(m, nn.Dropout) for m in model.modules())
    assert not np.array_equal(model.encode(x).numpy(), model.encode(x).numpy())
    model.eval()
    np.testing.assert_array_equal(model.encode(x).numpy(), model.encode(x).numpy())
