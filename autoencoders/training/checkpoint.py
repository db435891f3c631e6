"""The run directory and its files: config.json, metrics.jsonl, checkpoint.npz.

``checkpoint.npz`` (written with ``minigrad.save``: atomic, no pickle) holds

    format          1
    epoch           the number of completed epochs
    model           the model's state_dict
    optimizers      {name: optimizer.state_dict()}
    rng_state       minigrad's generator state (JSON text) at the moment of saving
    eval_rng_state  minigrad's generator state right before the last test evaluation, so that
                    evaluate(run_dir) reproduces that epoch's test numbers (stochastic models too)
    loader          the training DataLoader's state_dict (JSON text): its generator and position
    config          the run's config (JSON text)
    partial         "{}" at an epoch's end; after a Ctrl-C inside an epoch, the running sums of
                    that epoch's train terms (JSON text), so a resume finishes it exactly
"""

import json
import os
import tempfile
from pathlib import Path

import minigrad

CONFIG = "config.json"
METRICS = "metrics.jsonl"
CHECKPOINT = "checkpoint.npz"
FORMAT = 1


class RunDirError(FileNotFoundError):
    """A run directory (or its checkpoint) that is missing."""


def save_checkpoint(run_dir, *, epoch, model, optimizers, config, loader_state, rng_state, eval_rng_state,
                    partial=None):
    minigrad.save({
        "format": FORMAT,
        "epoch": int(epoch),
        "model": model.state_dict(),
        "optimizers": {name: optimizer.state_dict() for name, optimizer in optimizers.items()},
        "rng_state": rng_state,
        "eval_rng_state": eval_rng_state,
        "loader": json.dumps(loader_state),
        "config": json.dumps(config),
        "partial": json.dumps(partial or {}),
    }, Path(run_dir) / CHECKPOINT)


def load_checkpoint(run_dir):
    """The checkpoint of ``run_dir``, its JSON fields decoded; RunDirError when there is none."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunDirError(f"run directory {str(run_dir)!r} not found")
    path = run_dir / CHECKPOINT
    if not path.is_file():
        raise RunDirError(f"no {CHECKPOINT} in {str(run_dir)!r}: not a run directory, or its training has not "
                          "started")
    state = minigrad.load(path)
    if int(state.get("format", -1)) != FORMAT:
        raise ValueError(f"{path}: unknown checkpoint format {state.get('format')!r} (expected {FORMAT})")
    state["epoch"] = int(state["epoch"])
    for key in ("loader", "config", "partial"):
        state[key] = json.loads(str(state[key]))
    for key in ("rng_state", "eval_rng_state"):
        state[key] = str(state[key])
    return state


def write_config(run_dir, config):
    _write_text(Path(run_dir) / CONFIG, json.dumps(config, indent=2) + "\n")


def read_config(run_dir):
    return json.loads((Path(run_dir) / CONFIG).read_text())


def append_metrics(run_dir, record):
    with open(Path(run_dir) / METRICS, "a") as file:
        file.write(json.dumps(record) + "\n")


def read_metrics(run_dir):
    """The records of metrics.jsonl, one dict per epoch (an empty list when there is none)."""
    path = Path(run_dir) / METRICS
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def truncate_metrics(run_dir, epochs):
    """Keep only the records of epochs <= ``epochs`` (those the checkpoint includes)."""
    records = [record for record in read_metrics(run_dir) if record["epoch"] <= epochs]
    _write_text(Path(run_dir) / METRICS, "".join(json.dumps(record) + "\n" for record in records))


def _write_text(path, text):
    """Write ``text`` to ``path`` atomically (a temporary file renamed into place)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as file:
            file.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
