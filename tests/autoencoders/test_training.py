"""Tests of autoencoders.training: config layering, metrics, checkpoints, exact resume, Ctrl-C, evaluate.

Every run is tiny (a few hundred examples, one hidden layer of 16) so the file takes seconds.
"""

import json
import signal

import numpy as np
import pytest

import minigrad
from minigrad.backend import to_numpy
from autoencoders.models import get_model_class, register, registry
from autoencoders.models.ae import AE
from autoencoders.training import (
    BASE_DEFAULTS, CONFIG, METRICS, ConfigError, RunDirError, RunExistsError, TrainingInterrupted,
    evaluate, load_checkpoint, load_data, make_config, read_metrics, resume, train, train_loader, to_batch,
)

TINY = dict(limit_train=200, limit_test=100, hidden=[16], latent_dim=3, batch_size=64, quiet=None)


def tiny_config(**overrides):
    options = {key: value for key, value in TINY.items() if key != "quiet"}
    options.update(overrides)
    return make_config("ae", **options)


def terms(run_dir):
    """The train and test terms of every epoch (seconds and throughput vary from run to run)."""
    return [(r["epoch"], r["train"], r["test"]) for r in read_metrics(run_dir)]


def weights(run_dir):
    return {name: np.asarray(value) for name, value in load_checkpoint(run_dir)["model"].items()}


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """Two uninterrupted epochs: the reference of the resume tests."""
    run_dir = tmp_path_factory.mktemp("straight")
    train(tiny_config(epochs=2), run_dir, quiet=True)
    return run_dir


def assert_same_run(run_dir, reference):
    assert terms(run_dir) == terms(reference)
    got, want = weights(run_dir), weights(reference)
    assert got.keys() == want.keys()
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)


# ---- configuration ----------------------------------------------------------------------

def test_config_layers_base_model_defaults_and_overrides():
    config = make_config("ae")
    assert config["model"] == "ae"
    assert config["epochs"] == AE.defaults["epochs"] and config["batch_size"] == AE.defaults["batch_size"]
    assert config["hidden"] == [512, 256] and config["latent_dim"] == 32
    assert config["dataset"] == BASE_DEFAULTS["dataset"] and config["binarize"] is None
    config = make_config("ae", epochs=3, hidden=(8,), lr=None)  # None means "not given"
    assert config["epochs"] == 3 and config["hidden"] == [8] and config["lr"] == AE.defaults["lr"]
    json.dumps(config)  # JSON-friendly


def test_config_rejects_unknown_options_and_bad_values():
    with pytest.raises(ConfigError, match="model 'ae' has no option 'beta'.*hidden, latent_dim"):
        make_config("ae", beta=4)
    with pytest.raises(ConfigError, match="dataset: expected one of mnist-5k"):
        make_config("ae", dataset="cifar")
    with pytest.raises(ConfigError, match="noise: expected KIND:LEVEL"):
        make_config("ae", noise="blur:1")
    with pytest.raises(ConfigError, match="hidden"):
        make_config("ae", hidden=[0])
    with pytest.raises(ConfigError, match="binarize"):
        make_config("ae", binarize="sometimes")


def test_a_bad_model_option_is_a_config_error_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "_MODELS", dict(registry._MODELS))

    @register("picky-test", "refuses odd widths")
    class Picky(AE):
        def __init__(self, input_shape=(784,), hidden=(16,), latent_dim=3, width=2):
            if width % 2:
                raise ValueError(f"width must be even, got {width}")
            super().__init__(input_shape, hidden, latent_dim)

    config = make_config("picky-test", width=3, limit_train=64, limit_test=64)
    with pytest.raises(ConfigError, match="model 'picky-test': width must be even, got 3"):
        train(config, tmp_path / "run")
    assert not (tmp_path / "run").exists()


# ---- data and batches ---------------------------------------------------------------------

def test_batches_carry_labels_indices_and_noise():
    config = tiny_config(noise="masking:0.5")
    data = load_data(config)
    assert data.x_train.shape == (200, 784) and data.x_test.shape == (100, 784)
    batch = to_batch(next(iter(train_loader(data, config))))
    assert batch.x.shape == (64, 784) and batch.y.shape == (64,) and batch.index.shape == (64,)
    np.testing.assert_array_equal(batch.x.numpy(), data.x_train[batch.index.numpy()])
    np.testing.assert_array_equal(batch.y.numpy(), data.y_train[batch.index.numpy()])
    assert batch.input is batch.x_noisy
    assert np.all(batch.x_noisy.numpy()[batch.x.numpy() == 0] == 0)
    assert np.mean(batch.x_noisy.numpy() != batch.x.numpy()) > 0.05


def test_dynamic_binarization_draws_binary_training_batches_and_a_fixed_binary_test_set():
    config = tiny_config(binarize="dynamic")
    data = load_data(config)
    assert set(np.unique(data.x_test)) <= {0.0, 1.0}
    assert len(np.unique(data.x_train)) > 2  # continuous: drawn afresh per batch
    batch = to_batch(next(iter(train_loader(data, config))))
    assert set(np.unique(batch.x.numpy())) <= {0.0, 1.0}
    np.testing.assert_array_equal(load_data(config).x_test, data.x_test)


def test_image_shaped_inputs_for_models_that_ask_for_them():
    data = load_data(tiny_config(flatten=False))
    assert data.input_shape == (1, 28, 28) and data.x_train.shape == (200, 1, 28, 28)


# ---- the run directory ---------------------------------------------------------------------

def test_train_writes_config_metrics_and_checkpoint(straight):
    config = json.loads((straight / CONFIG).read_text())
    assert config == tiny_config(epochs=2)
    records = read_metrics(straight)
    assert [r["epoch"] for r in records] == [1, 2]
    for record in records:
        assert set(record) == {"epoch", "train", "test", "seconds", "samples_per_s", "eval_seconds"}
        assert set(record["train"]) == set(record["test"]) == {"reconstruction", "loss"}
        assert record["samples_per_s"] > 0 and 0 < record["test"]["reconstruction"] < 0.3
    state = load_checkpoint(straight)
    assert state["epoch"] == 2 and state["partial"] == {} and state["config"] == config
    assert set(state["optimizers"]) == {"model"}
    assert "encoder.0.weight" in state["model"]


def test_evaluate_reproduces_the_last_test_terms(straight):
    assert evaluate(straight) == read_metrics(straight)[-1]["test"]


def test_train_refuses_a_directory_holding_a_run(straight, tmp_path):
    with pytest.raises(RunExistsError, match="already holds a run"):
        train(tiny_config(epochs=2), straight, quiet=True)
    with pytest.raises(RunDirError, match="not found"):
        resume(tmp_path / "missing")
    with pytest.raises(RunDirError, match="no checkpoint.npz"):
        evaluate(tmp_path)


# ---- exact resume --------------------------------------------------------------------------

def test_one_epoch_then_resume_equals_two_epochs_straight(straight, tmp_path):
    train(tiny_config(epochs=1), tmp_path, quiet=True)
    assert len(read_metrics(tmp_path)) == 1
    resume(tmp_path, epochs=2, quiet=True)
    assert_same_run(tmp_path, straight)
    assert json.loads((tmp_path / CONFIG).read_text())["epochs"] == 2


def test_resume_of_a_finished_run_changes_nothing(straight, tmp_path):
    before = (straight / METRICS).read_text()
    resume(straight, quiet=True)
    assert (straight / METRICS).read_text() == before


def _interrupt_at_step(monkeypatch, step, action):
    """Make AE.train_step call ``action()`` right before its ``step``-th call (counting from 1)."""
    original = AE.train_step
    calls = []

    def train_step(self, batch, optimizers):
        calls.append(None)
        if len(calls) == step:
            action()
        return original(self, batch, optimizers)

    monkeypatch.setattr(AE, "train_step", train_step)


def test_ctrl_c_mid_epoch_saves_the_current_state_and_resume_is_exact(straight, tmp_path, monkeypatch):
    # 200 examples in batches of 64: 4 steps per epoch; Ctrl-C arrives during step 6 (epoch 2).
    handler_before = signal.getsignal(signal.SIGINT)  # SIG_IGN where the tests run in the background
    _interrupt_at_step(monkeypatch, 6, lambda: signal.raise_signal(signal.SIGINT))
    with pytest.raises(TrainingInterrupted, match=r"in epoch 2 after batch 2 of 4.*--resume") as caught:
        train(tiny_config(epochs=2), tmp_path, quiet=True)
    assert caught.value.epoch == 1
    state = load_checkpoint(tmp_path)
    assert state["epoch"] == 1 and state["partial"]["batches"] == 2 and state["loader"]["next_batch"] == 2
    assert signal.getsignal(signal.SIGINT) is handler_before  # the handler is restored
    monkeypatch.undo()
    resume(tmp_path, quiet=True)
    assert_same_run(tmp_path, straight)


def test_a_raw_keyboard_interrupt_leaves_the_last_completed_epoch(straight, tmp_path, monkeypatch):
    def interrupt():
        raise KeyboardInterrupt

    _interrupt_at_step(monkeypatch, 6, interrupt)
    with pytest.raises(TrainingInterrupted, match=r"holds the last completed epoch \(1\)") as caught:
        train(tiny_config(epochs=2), tmp_path, quiet=True)
    assert caught.value.epoch == 1
    state = load_checkpoint(tmp_path)  # loadable
    assert state["epoch"] == 1 and state["partial"] == {}
    model = get_model_class("ae")(hidden=[16], latent_dim=3)
    model.load_state_dict(state["model"])
    monkeypatch.undo()
    resume(tmp_path, quiet=True)
    assert_same_run(tmp_path, straight)


def test_steps_that_return_floats_give_the_same_run(straight, tmp_path, monkeypatch):
    """The loop takes Python floats (models that read their values) and device scalars alike."""
    original = AE.train_step

    def train_step(self, batch, optimizers):
        return {name: float(value) for name, value in original(self, batch, optimizers).items()}

    monkeypatch.setattr(AE, "train_step", train_step)
    train(tiny_config(epochs=2), tmp_path, quiet=True)
    assert_same_run(tmp_path, straight)


def test_training_steps_do_not_read_the_device(straight, tmp_path, monkeypatch):
    """No host sync per step: the values are read in one transfer per SYNC_SECONDS (here: per epoch)."""
    from autoencoders.training import loop

    monkeypatch.setattr(loop, "SYNC_SECONDS", 1e9)
    reads, transfers, in_step = [], [], []
    original_item, original_step, original_host = minigrad.Tensor.item, AE.train_step, loop._host_floats

    def item(self):
        if in_step:
            reads.append(self)
        return original_item(self)

    def train_step(self, batch, optimizers):
        in_step.append(True)
        try:
            return original_step(self, batch, optimizers)
        finally:
            in_step.pop()

    def host_floats(arrays):
        if arrays:
            transfers.append(len(arrays))
        return original_host(arrays)

    monkeypatch.setattr(minigrad.Tensor, "item", item)
    monkeypatch.setattr(AE, "train_step", train_step)
    monkeypatch.setattr(loop, "_host_floats", host_floats)
    train(tiny_config(epochs=2), tmp_path, quiet=True)
    assert reads == []
    assert transfers == [4 * 2, 4 * 2]  # per epoch: 4 steps x (reconstruction, loss), in one transfer
    assert_same_run(tmp_path, straight)


def test_a_nan_loss_stops_training_with_a_hint(tmp_path):
    with pytest.raises(FloatingPointError, match="smaller learning rate"):
        with np.errstate(all="ignore"):
            train(tiny_config(epochs=1, lr=1e30), tmp_path, quiet=True)


def test_engine_settings_are_restored(tmp_path):
    before = (minigrad.get_backend(), minigrad.get_default_dtype())
    train(tiny_config(epochs=1, dtype="float64"), tmp_path, quiet=True)
    assert (minigrad.get_backend(), minigrad.get_default_dtype()) == before
    assert load_checkpoint(tmp_path)["model"]["encoder.0.weight"].dtype == np.float64


# ---- CUDA graphs (config "cuda_graph"; replays on CuPy, the same checks on the CPU) ----------

@pytest.mark.parametrize("model", ["vae", "dae"])
def test_cuda_graph_training_matches_eager_training(backend, tmp_path, model):
    options = dict(TINY, backend=backend, epochs=2, limit_train=160, batch_size=64)  # 64, 64, then 32
    options.pop("quiet")
    if model == "dae":
        options["noise"] = "masking:0.25"  # the noisy input is one more field of the batch
    eager, graphs = tmp_path / "eager", tmp_path / "graphs"
    train(make_config(model, **options), eager, quiet=True)
    train(make_config(model, cuda_graph=True, **options), graphs, quiet=True)
    # the same noise, batches and updates; only Adam's bias correction is computed in float32 on the
    # device (capturable) instead of in float64 on the host
    for (epoch, train_terms, test_terms), (_, train_ref, test_ref) in zip(terms(graphs), terms(eager)):
        for name in train_ref:
            assert train_terms[name] == pytest.approx(train_ref[name], rel=1e-4), (epoch, name)
        for name in test_ref:
            assert test_terms[name] == pytest.approx(test_ref[name], rel=1e-4), (epoch, name)
    got, want = load_checkpoint(graphs)["model"], load_checkpoint(eager)["model"]
    for name in want:
        np.testing.assert_allclose(to_numpy(got[name]), to_numpy(want[name]), rtol=1e-3, atol=1e-5, err_msg=name)


def test_cuda_graph_is_a_config_option_and_makes_adam_capturable():
    config = make_config("vae", cuda_graph=True)
    model = get_model_class("vae")(**{k: v for k, v in config.items() if k == "latent_dim"})
    (optimizer,) = model.configure_optimizers(config).values()
    assert optimizer.param_groups[0]["capturable"] is True
    (optimizer,) = model.configure_optimizers(make_config("vae")).values()
    assert optimizer.param_groups[0]["capturable"] is False
    with pytest.raises(ConfigError, match="cuda_graph: expected true or false, got 'yes'"):
        make_config("vae", cuda_graph="yes")
