"""Stacked (denoising) autoencoders: greedy pretraining phases, freezing, fine-tuning; the linear probe."""

import numpy as np
import pytest

import minigrad

from autoencoders.evaluation.probe import few_labels, probe
from autoencoders.models import Batch, get_model_class
from autoencoders.models.stacked_ae import StackedAE, StackedDenoisingAE
from autoencoders.training import ConfigError, make_config, read_metrics, train


def tiny(cls=StackedAE, **options):
    minigrad.manual_seed(0)
    return cls(input_shape=(8,), hidden=[5, 3], num_classes=3, **options)


def tiny_batch(n=6, seed=0):
    rng = np.random.default_rng(seed)
    return Batch(x=minigrad.tensor(rng.random((n, 8))), y=minigrad.tensor(np.arange(n) % 3))


def snapshot(module):
    return {name: p.numpy() for name, p in module.named_parameters()}


def changed(before, module):
    return {name for name, p in module.named_parameters() if not np.array_equal(before[name], p.numpy())}


# ---- structure and objective ------------------------------------------------------------------

def test_stack_shapes_tied_weights_and_registration():
    assert get_model_class("stacked-ae") is StackedAE and get_model_class("sdae") is StackedDenoisingAE
    model = tiny()
    shapes = {name: p.shape for name, p in model.named_parameters()}
    assert shapes == {"layers.0.encoder.weight": (5, 8), "layers.0.encoder.bias": (5,),
                      "layers.0.decoder_bias": (8,), "layers.1.encoder.weight": (3, 5),
                      "layers.1.encoder.bias": (3,), "layers.1.decoder_bias": (5,),
                      "classifier.weight": (3, 3), "classifier.bias": (3,)}
    assert tiny(tied=False).num_parameters() == model.num_parameters() + 5 * 8 + 3 * 5
    batch = tiny_batch()
    assert model.encode(batch.x).shape == (6, 3) and model.reconstruct(batch.x).shape == (6, 8)
    assert model.phases == ["layer1", "layer2", "finetune"]


@pytest.mark.parametrize("phase", ["layer1", "layer2", "finetune"])
@pytest.mark.parametrize("cls", [StackedAE, StackedDenoisingAE])
def test_gradcheck_of_each_phase_objective(gradcheck_parameters, float64, cls, phase):
    model = tiny(cls, code_noise=0.25 if cls is StackedDenoisingAE else 0.0)
    batch = tiny_batch()
    if cls is StackedDenoisingAE:  # the corrupted input is passed explicitly, the code noise reseeded
        batch.x_noisy = minigrad.tensor(batch.x.numpy() * (np.arange(8) % 4 != 0))

    def objective():
        minigrad.manual_seed(5)
        return model.objective(model.loss_terms(batch, phase))

    assert gradcheck_parameters(model, objective, model.phase_parameters(phase))


def test_layer_terms_read_like_the_definition(float64):
    model = tiny(StackedDenoisingAE, code_noise=0.5)
    batch = tiny_batch()
    noisy = batch.x.numpy().copy()
    noisy[:, ::2] = 0
    batch.x_noisy = minigrad.tensor(noisy)
    first, second = model.layers
    # layer 1 denoises: corrupted input, clean target
    want = np.mean((first.decode(first.encode(batch.x_noisy)).numpy() - batch.x.numpy()) ** 2)
    assert model.loss_terms(batch, "layer1")["reconstruction_1"].item() == pytest.approx(want, rel=1e-12)
    # layer 2 reads the code of the clean x with half its units zeroed, and reconstructs the clean code
    minigrad.manual_seed(9)
    got = model.loss_terms(batch, "layer2")["reconstruction_2"].item()
    minigrad.manual_seed(9)
    h = first.encode(batch.x)
    keep = minigrad.rand(*h.shape).numpy() >= 0.5
    assert 0 < keep.mean() < 1
    want = np.mean((second.decode(second.encode(minigrad.tensor(h.numpy() * keep))).numpy() - h.numpy()) ** 2)
    assert got == pytest.approx(want, rel=1e-12)


# ---- greedy training: phases and freezing ----------------------------------------------------

def test_phases_follow_the_schedule():
    model = tiny(pretrain_epochs=2)
    model.set_schedule(steps_per_epoch=3)
    assert [model.phase_at(step) for step in range(0, 18, 3)] == \
        ["layer1", "layer1", "layer2", "layer2", "finetune", "finetune"]
    assert model.phase_at(5) == "layer1" and model.phase_at(6) == "layer2"


def test_pretraining_freezes_the_layers_below_and_fine_tuning_trains_the_encoders():
    model = tiny(pretrain_epochs=1, labelled_batch=4)
    model.set_schedule(steps_per_epoch=3)
    rng = np.random.default_rng(1)
    model.set_labelled(rng.random((9, 8)), np.arange(9) % 3)
    optimizers = {phase: minigrad.optim.Adam(model.phase_parameters(phase), lr=0.05) for phase in model.phases}
    first, second = model.layers
    batch = tiny_batch()

    before = [snapshot(first), snapshot(second), snapshot(model.classifier)]
    for _ in range(3):
        assert set(model.train_step(batch, optimizers)) == {"reconstruction_1", "loss"}
    assert changed(before[0], first) == {"encoder.weight", "encoder.bias", "decoder_bias"}
    assert not changed(before[1], second) and not changed(before[2], model.classifier)

    before = [snapshot(first), snapshot(second)]
    for _ in range(3):
        assert set(model.train_step(batch, optimizers)) == {"reconstruction_2", "loss"}
    assert not changed(before[0], first), "layer 1 must stay frozen while layer 2 is pretrained"
    assert changed(before[1], second) == {"encoder.weight", "encoder.bias", "decoder_bias"}

    before = [snapshot(first), snapshot(second), snapshot(model.classifier)]
    for _ in range(3):
        assert set(model.train_step(batch, optimizers)) == {"classification", "loss"}
    assert changed(before[0], first) == changed(before[1], second) == {"encoder.weight", "encoder.bias"}
    assert changed(before[2], model.classifier) == {"weight", "bias"}
    assert int(model.steps_done.data[0]) == 9


def test_too_few_epochs_for_the_pretraining_is_refused():
    config = make_config("stacked-ae", epochs=3, pretrain_epochs=2, labels=100, limit_train=200)
    model = StackedAE(pretrain_epochs=2, labels=100)
    with pytest.raises(ConfigError, match="must be at least the 4 epochs of pretraining"):
        model.configure_optimizers(config)
    config["epochs"] = 4  # pretraining only is allowed
    assert set(model.configure_optimizers(config)) == {"layer1", "layer2", "finetune"}


def test_a_short_sdae_run_trains_every_phase_and_reports_the_error_rate(tmp_path):
    config = make_config("sdae", epochs=5, pretrain_epochs=1, hidden=[32, 16], labels=50, limit_train=300,
                         limit_test=100, batch_size=50, lr=0.01)
    train(config, tmp_path / "run", quiet=True)
    records = read_metrics(tmp_path / "run")
    assert [sorted(r["train"]) for r in records] == [["loss", "reconstruction_1"], ["loss", "reconstruction_2"],
                                                    *[["classification", "loss"]] * 3]
    assert {"reconstruction", "reconstruction_1", "reconstruction_2", "classification", "error"} <= set(records[-1]["test"])
    assert records[-1]["test"]["loss"] == records[-1]["test"]["classification"]
    assert records[-1]["test"]["error"] < 0.8  # better than chance (0.9) after 18 steps on 50 labels


# ---- the linear probe ----------------------------------------------------------------------------

def test_few_labels_is_balanced_and_seeded():
    y = np.arange(1000) % 10
    rows = few_labels(y, 100, seed=3)
    assert len(set(rows)) == 100 and np.all(np.bincount(y[rows]) == 10)
    assert np.array_equal(rows, few_labels(y, 100, seed=3)) and not np.array_equal(rows, few_labels(y, 100, seed=4))
    with pytest.raises(ValueError, match="evenly"):
        few_labels(y, 105)


def test_probe_separates_informative_features_and_not_noise():
    rng = np.random.default_rng(0)
    y_train, y_test = rng.integers(0, 3, 300), rng.integers(0, 3, 300)
    centres = 3.0 * rng.normal(size=(3, 5))
    informative = lambda y: centres[y] + rng.normal(size=(len(y), 5))
    good = probe(informative(y_train), y_train, informative(y_test), y_test, num_classes=3, steps=200)
    assert good.test_accuracy > 0.9 and good.num_labelled == 300 and good.num_features == 5
    noise = probe(rng.normal(size=(300, 5)), y_train, rng.normal(size=(300, 5)), y_test, num_classes=3, steps=200)
    assert noise.test_accuracy < 0.5
    few = probe(informative(y_train), y_train, informative(y_test), y_test, labelled=np.arange(30), num_classes=3)
    assert few.num_labelled == 30 and few.train_accuracy == 1.0
