"""Tests of the command line (autoencoders.cli.main, in process; one `python -m autoencoders` run)."""

import json
import subprocess
import sys

import pytest

import minigrad
from autoencoders.cli import main
from autoencoders.models.ae import AE
from autoencoders.training import CHECKPOINT, CONFIG, METRICS, read_metrics

TINY = ["--epochs", "1", "--batch-size", "256", "--hidden", "32", "--latent-dim", "4",
        "--limit-train", "512", "--limit-test", "200", "--quiet"]
FIGURES = {"loss_curves.png", "reconstructions.png", "latent_scatter.png", "manifold.png", "traversals.png"}


def run(capsys, *argv):
    """(exit status, stdout, stderr) of the command line."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "ae-run"
    assert main(["train", "ae", *TINY, "--out", str(path)]) == 0
    return path


def test_train_writes_metrics_checkpoint_config_and_every_figure(run_dir):
    names = {path.name for path in run_dir.iterdir()}
    assert {CONFIG, METRICS, CHECKPOINT} | FIGURES <= names
    assert "samples.png" not in names  # the plain AE has no prior
    config = json.loads((run_dir / CONFIG).read_text())
    assert config["hidden"] == [32] and config["latent_dim"] == 4 and config["limit_train"] == 512
    assert [record["epoch"] for record in read_metrics(run_dir)] == [1]


def test_train_prints_where_it_wrote(tmp_path, capsys):
    status, out, err = run(capsys, "train", "ae", *TINY, "--epochs", "0", "--no-plots", "--out", str(tmp_path / "r"))
    assert status == 0
    assert f"run directory: {tmp_path / 'r'}" in out and "checkpoint.npz" in out


def test_evaluate_prints_the_test_terms(run_dir, capsys):
    status, out, _ = run(capsys, "evaluate", str(run_dir), "--json")
    assert status == 0
    assert json.loads(out) == {"epoch": 1, "test": read_metrics(run_dir)[-1]["test"]}
    status, out, _ = run(capsys, "evaluate", str(run_dir))
    assert status == 0 and "reconstruction" in out


def test_evaluate_nll_adds_the_importance_sampled_likelihood(tmp_path, capsys):
    path = tmp_path / "vae-run"
    assert main(["train", "vae", *TINY, "--no-plots", "--out", str(path)]) == 0
    capsys.readouterr()
    status, out, _ = run(capsys, "evaluate", str(path), "--json", "--nll", "--k", "20", "--limit", "30")
    assert status == 0
    test = json.loads(out)["test"]
    # The importance-sampled bound is tighter than the one-sample ELBO on average.
    assert 0 < test["nll_k20"] < test["loss"] + 5


def test_evaluate_nll_refuses_a_model_without_a_prior(run_dir, capsys):
    status, _, err = run(capsys, "evaluate", str(run_dir), "--nll")
    assert status == 2 and "'ae' has none" in err


def test_plot_redraws_every_figure(run_dir, capsys):
    for name in FIGURES:
        (run_dir / name).unlink()
    status, out, _ = run(capsys, "plot", str(run_dir))
    assert status == 0
    assert {line.rsplit("/", 1)[-1] for line in out.split()} == FIGURES
    assert all((run_dir / name).stat().st_size > 1000 for name in FIGURES)


def test_resume_continues_and_equals_a_straight_run(tmp_path, capsys):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert main(["train", "ae", *TINY, "--epochs", "2", "--no-plots", "--out", str(straight)]) == 0
    assert main(["train", "ae", *TINY, "--no-plots", "--out", str(resumed)]) == 0
    assert main(["train", "ae", "--resume", "--epochs", "2", "--quiet", "--no-plots", "--out", str(resumed)]) == 0
    strip = [(r["epoch"], r["train"], r["test"]) for r in read_metrics(straight)]
    assert [(r["epoch"], r["train"], r["test"]) for r in read_metrics(resumed)] == strip
    status, _, err = run(capsys, "train", "ae", "--resume", "--lr", "0.5", "--out", str(resumed))
    assert status == 2 and "only --epochs and --backend may change (got --lr)" in err


def test_ctrl_c_exits_130_with_the_resume_command(tmp_path, capsys, monkeypatch):
    def interrupted(self, batch, optimizers):
        raise KeyboardInterrupt

    monkeypatch.setattr(AE, "train_step", interrupted)
    status, _, err = run(capsys, "train", "ae", *TINY, "--out", str(tmp_path))
    assert status == 130
    assert "holds the last completed epoch (0)" in err and f"--out {tmp_path} --resume" in err
    assert (tmp_path / CHECKPOINT).is_file()


def test_unknown_model_error_lists_the_known_models(capsys):
    _, _, err = run(capsys, "train", "nope")
    assert "ae" in err.split("known models: ")[1].strip().split(", ")


def test_list_shows_every_model_with_its_description(capsys):
    status, out, _ = run(capsys, "list")
    assert status == 0
    assert any(line.split()[0] == "ae" and "autoencoder" in line for line in out.splitlines())


@pytest.mark.parametrize("argv, message", [
    (["train", "nope"], "unknown model 'nope'; known models: "),
    (["train", "ae", "--dataset", "cifar"], "argument --dataset: invalid choice: 'cifar'"),
    (["train", "ae", "--hidden", "512,x"], "expected comma-separated positive integers like 512,256, got '512,x'"),
    (["train", "ae", "--hidden", "512,0"], "expected comma-separated positive integers"),
    (["train", "ae", "--epochs", "-1"], "expected an integer >= 0, got '-1'"),
    (["train", "ae", "--lr", "0"], "expected a number > 0"),
    (["train", "ae", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["train", "ae", "--set", "beta=4"], "model 'ae' has no option 'beta'"),
    (["train", "ae", "--set", "beta"], "expected KEY=VALUE"),
    (["train", "ae", "--resume", "--out", "/nonexistent/run"], "run directory '/nonexistent/run' not found"),
    (["evaluate", "/nonexistent/run"], "run directory '/nonexistent/run' not found"),
    (["plot", "/nonexistent/run"], "run directory '/nonexistent/run' not found"),
    (["data", "download", "cifar"], "invalid choice: 'cifar'"),
    (["bogus"], "invalid choice: 'bogus'"),
])
def test_bad_input_exits_2_with_one_line(argv, message, capsys):
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert out == ""


def test_a_damaged_checkpoint_exits_2(tmp_path, capsys):
    (tmp_path / CHECKPOINT).write_bytes(b"junk")
    status, _, err = run(capsys, "evaluate", str(tmp_path))
    assert status == 2 and "not a minigrad checkpoint" in err and len(err.strip().splitlines()) == 1


def test_an_existing_run_is_not_overwritten_silently(run_dir, capsys):
    status, _, err = run(capsys, "train", "ae", *TINY, "--out", str(run_dir))
    assert status == 2 and "already holds a run" in err and "--resume" in err


def test_an_unavailable_backend_exits_2_with_the_install_hint(tmp_path, capsys):
    if minigrad.cupy_available():
        pytest.skip("CuPy works here")
    status, _, err = run(capsys, "train", "ae", *TINY, "--backend", "cupy", "--out", str(tmp_path / "r"))
    assert status == 2 and "backend 'cupy'" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()  # refused before anything was written


def test_python_dash_m_autoencoders():
    result = subprocess.run([sys.executable, "-m", "autoencoders", "list"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and "ae " in result.stdout


def test_noise_flag_sets_the_corruption_and_draws_the_denoising_figure(tmp_path, capsys):
    path = tmp_path / "dae-run"
    assert main(["train", "dae", *TINY, "--noise", "masking:0.3", "--out", str(path)]) == 0
    assert json.loads((path / CONFIG).read_text())["noise"] == "masking:0.3"
    assert (path / "denoising.png").exists()


def test_a_malformed_noise_flag_is_a_usage_error(tmp_path, capsys):
    status, _, err = run(capsys, "train", "dae", *TINY, "--noise", "bogus", "--out", str(tmp_path / "r"))
    assert status == 2 and "KIND:LEVEL" in err and not (tmp_path / "r").exists()


def test_cuda_graph_flag_is_saved_in_the_config(tmp_path, capsys):
    path = tmp_path / "vae-run"
    assert main(["train", "vae", *TINY, "--epochs", "0", "--no-plots", "--cuda-graph", "--out", str(path)]) == 0
    assert json.loads((path / CONFIG).read_text())["cuda_graph"] is True
    other = tmp_path / "vae-eager"
    assert main(["train", "vae", *TINY, "--epochs", "0", "--no-plots", "--out", str(other)]) == 0
    assert json.loads((other / CONFIG).read_text())["cuda_graph"] is False
