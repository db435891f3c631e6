"""The one training loop every model plugs into.

    config = make_config("ae", epochs=2)
    run_dir = train(config, "runs/ae")          # writes config.json, metrics.jsonl, checkpoint.npz
    resume("runs/ae", epochs=4)                 # two more epochs, as if never stopped
    evaluate("runs/ae")                         # {"reconstruction": ..., "loss": ...} on the test set

Per epoch: the model's ``train_step`` on every shuffled mini-batch (a tqdm bar on stderr
shows the running means of the terms), then its ``evaluate_step`` on the test set, then one
line appended to metrics.jsonl and the checkpoint rewritten (atomically). A checkpoint of
the untrained model (epoch 0) is written before the first step.

With ``cuda_graph`` (on CuPy) each step after a shape's first two is a replay of a CUDA graph
captured from ``train_step`` (:mod:`minigrad.cuda_graph`); the values it returns are copied
at once, since the next replay overwrites them.

No host sync per step: ``train_step`` may return its values as 0-d Tensors on the device
(the models' default), and :class:`_RunningSums` reads them in one transfer about every
``SYNC_SECONDS`` (when the bar refreshes, and whenever the sums are needed), then adds them
up on the host in step order, as if each had been read at once. A non-finite loss is
reported with the batch it came from, up to ``SYNC_SECONDS`` later.

Exact resume (NumPy backend): the checkpoint holds everything that decides what comes
next (parameters, optimizer state, minigrad's generator, the loader's generator and
position, the running sums of an unfinished epoch), so an interrupted run that is resumed
gives the same metrics, to the last bit, as one that never stopped. (On CuPy the device
generator's state is not saved, so stochastic models continue with fresh randomness.)

Ctrl-C: the step in progress finishes, then the *current* state (mid-epoch) is saved and
TrainingInterrupted is raised; a resume finishes that epoch. A second Ctrl-C quits at once,
and so does a KeyboardInterrupt raised some other way: then checkpoint.npz is the one of the
last completed epoch (or epoch 0).
"""

import contextlib
import math
import signal
import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy
from tqdm import tqdm

import minigrad
from minigrad import backend as _backend
from minigrad.cuda_graph import graphed
from autoencoders.models import Batch
from autoencoders.training import checkpoint as ckpt
from autoencoders.training.config import ConfigError, build_model, validate
from autoencoders.training.data import RunData, load_data, test_loader, to_batch, train_loader


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped by Ctrl-C; ``str(error)`` says what was saved and how to resume."""

    def __init__(self, message, run_dir, epoch):
        super().__init__(message)
        self.run_dir, self.epoch = run_dir, epoch

    def __str__(self):
        return self.args[0]


class RunExistsError(ConfigError):
    """``train`` into a directory that already holds a run."""


@contextlib.contextmanager
def engine_settings(config, backend=None):
    """The config's backend (or ``backend``) and default dtype, active for the block."""
    previous_dtype = minigrad.get_default_dtype()
    with minigrad.use_backend(backend or config["backend"]):
        minigrad.set_default_dtype(config["dtype"])
        try:
            yield
        finally:
            minigrad.set_default_dtype(previous_dtype)


BATCH_FIELDS = tuple(field.name for field in fields(Batch))


@dataclass
class Run:
    """A trained (or training) run in memory."""

    run_dir: Path
    config: dict
    model: object
    data: RunData
    epoch: int        # completed epochs


@contextlib.contextmanager
def open_run(run_dir, backend=None):
    """The run of ``run_dir`` rebuilt from its checkpoint, its backend and dtype active inside the block."""
    state = ckpt.load_checkpoint(run_dir)
    config = state["config"]
    with engine_settings(config, backend):
        minigrad.manual_seed(config["seed"])
        data = load_data(config)
        model = build_model(config, data.input_shape, data.num_classes)
        model.load_state_dict(state["model"])
        model.eval()
        minigrad.set_rng_state(state["eval_rng_state"])
        yield Run(Path(run_dir), config, model, data, state["epoch"])


def evaluate(run_dir, backend=None):
    """The test terms (and "loss") of the checkpoint of ``run_dir``: the last metrics line's, on NumPy."""
    with open_run(run_dir, backend) as run:
        return evaluate_model(run.model, run.data, run.config)


SYNC_SECONDS = 0.5   # how often the running sums read the device (and the bar refreshes)
SYNC_STEPS = 256     # ... or after this many steps, whichever comes first


class _RunningSums:
    """Σ value·(batch size) of each named value that the steps return, read lazily.

    ``add(values, n, batch)`` keeps the step's values as they are: Python numbers, or 0-d
    Tensors still on the device. ``flush()`` reads every pending Tensor in one
    device-to-host transfer and adds the values to ``sums`` in step order, in float64 on
    the host: the same sums, to the last bit, as reading each value at its step. ``due()``
    says when a flush is worth its sync (every ``SYNC_SECONDS`` or ``SYNC_STEPS`` steps).
    """

    def __init__(self, sums):
        self.sums = sums          # {name: float}, updated in place (the partial epoch's dict)
        self.pending = []         # [(values, n, batch number)]
        self.last_flush = time.perf_counter()

    def add(self, values, n, batch):
        self.pending.append((values, n, batch))

    def due(self):
        return (len(self.pending) >= SYNC_STEPS
                or (self.pending and time.perf_counter() - self.last_flush >= SYNC_SECONDS))

    def flush(self, epoch=None):
        """Add the pending values to ``sums``; FloatingPointError at the first non-finite loss."""
        pending, self.pending = self.pending, []
        self.last_flush = time.perf_counter()
        host = iter(_host_floats([value.data for values, _, _ in pending for value in values.values()
                                  if isinstance(value, minigrad.Tensor)]))
        sums = self.sums
        for values, n, batch in pending:
            for name, value in values.items():
                if isinstance(value, minigrad.Tensor):
                    value = next(host)
                if name == "loss" and not math.isfinite(value):
                    raise FloatingPointError(f"the loss became {value} in epoch {epoch}, batch {batch}; try a "
                                             "smaller learning rate (--lr)")
                sums[name] = sums.get(name, 0.0) + value * n
        return sums


def _host_floats(arrays):
    """Python floats of 0-d arrays of one backend: one device-to-host transfer for all of them."""
    if not arrays:
        return []
    if type(arrays[0]) is numpy.ndarray:
        return [array.item() for array in arrays]
    xp = _backend.get_array_module(arrays[0])
    return _backend.to_numpy(xp.stack(arrays)).tolist()  # float32 values widen to float64 exactly


def evaluate_model(model, data, config):
    """Mean test terms over the test set (weighted by batch size), in eval mode."""
    model.eval()
    sums, examples = _RunningSums({}), 0
    for arrays in test_loader(data, config):
        batch = to_batch(arrays)
        sums.add(model.evaluate_step(batch), len(batch), examples)
        examples += len(batch)
    model.train()
    return {name: total / examples for name, total in sums.flush().items()}


def train(config, run_dir, *, overwrite=False, quiet=False):
    """Train a fresh run of ``config`` (see make_config) into ``run_dir``; returns its Path.

    A directory that already holds a run is refused (RunExistsError) unless ``overwrite``
    (which deletes its config, metrics, checkpoint and figures) is given; use resume() to continue.
    """
    validate(config)
    run_dir = Path(run_dir)
    if (run_dir / ckpt.CHECKPOINT).exists() and not overwrite:
        raise RunExistsError(f"{str(run_dir)!r} already holds a run; resume it (--resume), start it over "
                             "(--overwrite) or choose another directory (--out)")
    with engine_settings(config):
        trainer = _Trainer(run_dir, config, quiet)  # backend, data and model errors come before any write
        run_dir.mkdir(parents=True, exist_ok=True)
        for pattern in (ckpt.CHECKPOINT, ckpt.METRICS, ckpt.CONFIG, "*.png"):
            for path in run_dir.glob(pattern):
                path.unlink()
        ckpt.write_config(run_dir, config)
        trainer.fit(state=None)
    return run_dir


def resume(run_dir, *, epochs=None, backend=None, quiet=False):
    """Continue the run of ``run_dir`` from its checkpoint, up to ``epochs`` (default: the config's)."""
    run_dir = Path(run_dir)
    state = ckpt.load_checkpoint(run_dir)
    config = dict(state["config"])
    if epochs is not None:
        config["epochs"] = epochs
    if backend is not None:
        config["backend"] = backend
    validate(config)
    if state["epoch"] >= config["epochs"] and not state["partial"]:
        if not quiet:
            print(f"{run_dir}: already trained for {state['epoch']} epochs; pass a larger --epochs to train "
                  "longer", file=sys.stderr)
        return run_dir
    ckpt.write_config(run_dir, config)
    ckpt.truncate_metrics(run_dir, state["epoch"])
    with engine_settings(config):
        _Trainer(run_dir, config, quiet).fit(state=state)
    return run_dir


class _Trainer:
    def __init__(self, run_dir, config, quiet):
        self.run_dir, self.config, self.quiet = run_dir, config, quiet
        minigrad.manual_seed(config["seed"])
        self.data = load_data(config)
        self.model = build_model(config, self.data.input_shape, self.data.num_classes)
        self.optimizers = self.model.configure_optimizers(config)
        self.loader = train_loader(self.data, config)
        self.show_bar = not quiet and sys.stderr.isatty()
        self.graphed_steps = {}  # the batch's fields present -> its GraphedStep (config "cuda_graph")

    def _train_step(self, batch):
        """The model's step; with ``cuda_graph``, a replay of it (see minigrad.cuda_graph)."""
        if not self.config.get("cuda_graph"):  # absent from the configs of runs saved before it existed
            return self.model.train_step(batch, self.optimizers)
        names = tuple(name for name in BATCH_FIELDS if getattr(batch, name) is not None)
        step = self.graphed_steps.get(names)
        if step is None:
            def step_of_tensors(*tensors):
                return self.model.train_step(Batch(**dict(zip(names, tensors))), self.optimizers)

            step = self.graphed_steps[names] = graphed(step_of_tensors)
        values = step(*(getattr(batch, name) for name in names))
        # a replay's outputs are overwritten by the next one; the running sums read them later
        return {name: minigrad.Tensor._wrap(v.data.copy()) if isinstance(v, minigrad.Tensor) else v
                for name, v in values.items()}

    def fit(self, state):
        config = self.config
        epoch, partial = 0, None
        if state is None:
            self.eval_rng_state = minigrad.get_rng_state()
            self._save(0)
        else:
            epoch, partial = state["epoch"], state["partial"] or None
            self.model.load_state_dict(state["model"])
            for name, optimizer in self.optimizers.items():
                optimizer.load_state_dict(state["optimizers"][name])
            self.loader.load_state_dict(state["loader"])
            minigrad.set_rng_state(state["rng_state"])
            self.eval_rng_state = state["eval_rng_state"]
        self.stop = _StopOnSigint(self._log)
        try:
            with self.stop:
                for epoch in range(epoch + 1, config["epochs"] + 1):
                    self._epoch(epoch, partial)
                    partial = None
                    if self.stop.requested and epoch < config["epochs"]:
                        raise TrainingInterrupted(
                            f"interrupted after epoch {epoch}: saved to {self.run_dir / ckpt.CHECKPOINT}; "
                            f"resume with: {self._resume_command()}", self.run_dir, epoch)
        except KeyboardInterrupt as error:
            if isinstance(error, TrainingInterrupted):
                raise
            saved = ckpt.load_checkpoint(self.run_dir)["epoch"]
            raise TrainingInterrupted(
                f"interrupted during epoch {epoch}: {self.run_dir / ckpt.CHECKPOINT} holds the last completed "
                f"epoch ({saved}); resume with: {self._resume_command()}", self.run_dir, saved) from None

    def _epoch(self, epoch, partial):
        config, model, loader = self.config, self.model, self.loader
        partial = partial or {"sums": {}, "examples": 0, "batches": 0, "seconds": 0.0}
        sums = _RunningSums(partial["sums"])
        model.train()
        start = time.perf_counter()
        bar = tqdm(total=len(loader), initial=partial["batches"], desc=f"epoch {epoch}/{config['epochs']}",
                   unit="batch", leave=False, disable=not self.show_bar, file=sys.stderr, dynamic_ncols=True)
        with bar:
            for arrays in loader:
                batch = to_batch(arrays)
                values = self._train_step(batch)
                partial["examples"] += len(batch)
                partial["batches"] += 1
                sums.add(values, len(batch), partial["batches"])
                bar.update(1)
                if sums.due():  # the one host sync in a while (see _RunningSums)
                    sums.flush(epoch)
                    bar.set_postfix({name: f"{total / partial['examples']:.4g}" for name, total in sums.sums.items()},
                                    refresh=False)
                if self.stop.requested and partial["batches"] < len(loader):
                    sums.flush(epoch)
                    partial["seconds"] += time.perf_counter() - start
                    self._save(epoch - 1, partial)
                    raise TrainingInterrupted(
                        f"interrupted in epoch {epoch} after batch {partial['batches']} of {len(loader)}: saved "
                        f"the current state to {self.run_dir / ckpt.CHECKPOINT}; resume with: "
                        f"{self._resume_command()}", self.run_dir, epoch - 1)
        sums.flush(epoch)
        seconds = partial["seconds"] + time.perf_counter() - start
        train_terms = {name: total / partial["examples"] for name, total in sums.sums.items()}

        start = time.perf_counter()
        self.eval_rng_state = minigrad.get_rng_state()
        test_terms = evaluate_model(model, self.data, config)
        record = {"epoch": epoch, "train": train_terms, "test": test_terms, "seconds": round(seconds, 4),
                  "samples_per_s": round(partial["examples"] / max(seconds, 1e-9), 1),
                  "eval_seconds": round(time.perf_counter() - start, 4)}
        ckpt.append_metrics(self.run_dir, record)
        self._save(epoch)
        self._log(_summary(record, config["epochs"]))

    def _save(self, epoch, partial=None):
        ckpt.save_checkpoint(self.run_dir, epoch=epoch, model=self.model, optimizers=self.optimizers,
                             config=self.config, loader_state=self.loader.state_dict(),
                             rng_state=minigrad.get_rng_state(), eval_rng_state=self.eval_rng_state,
                             partial=partial)

    def _resume_command(self):
        return f"autoencoders train {self.config['model']} --out {self.run_dir} --resume"

    def _log(self, message):
        if not self.quiet:
            tqdm.write(message, file=sys.stderr)


def _summary(record, epochs):
    def terms(values):
        text = f"loss {values['loss']:.5g}"
        others = [f"{name} {value:.5g}" for name, value in values.items() if name != "loss"]
        return text + (f" ({', '.join(others)})" if len(others) > 1 else "")

    return (f"epoch {record['epoch']}/{epochs} | train {terms(record['train'])} | test {terms(record['test'])} "
            f"| {record['seconds']:.1f} s, {record['samples_per_s']:.0f} samples/s")


class _StopOnSigint:
    """While active, the first Ctrl-C only sets ``requested``; the second raises KeyboardInterrupt.

    Outside the main thread (where handlers cannot be installed) Ctrl-C raises as usual.
    """

    def __init__(self, log):
        self.log = log
        self.requested = False
        self.previous = None

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.log("Ctrl-C: saving after this step (press Ctrl-C again to quit without saving)")

    def __enter__(self):
        try:
            self.previous = signal.signal(signal.SIGINT, self._handler)
        except ValueError:  # not the main thread
            self.previous = None
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False
