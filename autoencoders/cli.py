"""The command line: ``autoencoders`` (or ``python -m autoencoders``).

    autoencoders list                          the models, one line each
    autoencoders train ae                      train with the model's defaults, then draw the figures
    autoencoders train ae --epochs 5 --latent-dim 2 --out runs/ae2
    autoencoders train ae --out runs/ae2 --resume --epochs 10
    autoencoders evaluate runs/ae2             test terms of the checkpoint
    autoencoders plot runs/ae2                 redraw every figure
    autoencoders data download fashion-mnist

Mistakes in the input (unknown model, dataset or flag, bad value, missing run directory,
unusable backend) end with exit status 2 and a one-line message; Ctrl-C during training
with 130, after saving a checkpoint.
"""

import argparse
import json
import sys
from pathlib import Path

from autoencoders.data import DATASETS
from autoencoders.models import UnknownModelError, available_models, get_model_class
from autoencoders.training import (
    BASE_DEFAULTS, CHECKPOINT, CONFIG, METRICS, ConfigError, RunDirError, TrainingInterrupted, evaluate,
    load_checkpoint, make_config, read_metrics, resume, train,
)
from autoencoders.training.config import parse_value

PROG = "autoencoders"


class UsageError(Exception):
    """Bad command-line input found after parsing: exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        """One line, no usage block: ``autoencoders train: error: ...``."""
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


# ---- argument types ----------------------------------------------------------------------

def _int_at_least(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}")
        return value
    return parse


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def _hidden(text):
    """``512,256`` -> [512, 256]; ``""`` -> [] (no hidden layer)."""
    try:
        sizes = [int(part) for part in text.split(",")] if text.strip() else []
    except ValueError:
        sizes = None
    if sizes is None or any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers like 512,256, got {text!r}")
    return sizes


def _key_value(text):
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (e.g. noise=masking:0.25), got {text!r}")
    return key.strip().replace("-", "_"), parse_value(value)


# ---- the parser ---------------------------------------------------------------------------

TRAIN_FLAGS = ("dataset", "data_root", "epochs", "batch_size", "lr", "latent_dim", "hidden", "backend", "dtype",
               "cuda_graph", "seed", "noise", "limit_train", "limit_test")


def build_parser():
    parser = _Parser(prog=PROG, description="Train, evaluate and draw autoencoders built on minigrad.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = commands.add_parser("train", help="train a model (then draw its figures)",
                            description="Train MODEL with its own defaults; each flag overrides one of them.")
    p.add_argument("model", metavar="MODEL", help="a model name; see `autoencoders list`")
    p.add_argument("--dataset", choices=DATASETS, help="default: mnist-5k, embedded in the package")
    p.add_argument("--data-root", metavar="DIR", help="where the mnist / fashion-mnist IDX files are")
    p.add_argument("--epochs", type=_int_at_least(0))
    p.add_argument("--batch-size", type=_int_at_least(1))
    p.add_argument("--lr", type=_positive_float, help="learning rate")
    p.add_argument("--latent-dim", type=_int_at_least(1))
    p.add_argument("--hidden", type=_hidden, metavar="N,N,...", help="hidden layer sizes, e.g. 512,256")
    p.add_argument("--backend", choices=("numpy", "cupy"))
    p.add_argument("--dtype", choices=("float32", "float64"))
    p.add_argument("--cuda-graph", action="store_true", default=None,
                   help="with --backend cupy: capture the training step once as a CUDA graph and replay it")
    p.add_argument("--seed", type=int)
    p.add_argument("--noise", metavar="KIND:LEVEL",
                   help="corrupt the encoder's input (denoising): gaussian:STD, masking:FRACTION or "
                        "salt-and-pepper:FRACTION, e.g. masking:0.25")
    p.add_argument("--set", type=_key_value, action="append", default=[], metavar="KEY=VALUE",
                   help="any other option of the config or the model, e.g. --set noise=masking:0.25; "
                        "VALUE is read as JSON when it parses")
    p.add_argument("--out", metavar="DIR", help="run directory (default: runs/MODEL-DATASET)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    p.add_argument("--overwrite", action="store_true", help="start over in a directory that holds a run")
    p.add_argument("--no-plots", action="store_true", help="do not draw the figures at the end")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no per-epoch lines")
    p.add_argument("--limit-train", type=_int_at_least(1), help=argparse.SUPPRESS)  # tests, smoke runs
    p.add_argument("--limit-test", type=_int_at_least(1), help=argparse.SUPPRESS)

    p = commands.add_parser("evaluate", help="test terms of a run's checkpoint")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--backend", choices=("numpy", "cupy"))
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--nll", action="store_true",
                   help="also the importance-sampled test negative log-likelihood (models with a prior, e.g. vae)")
    p.add_argument("--k", type=_int_at_least(1), default=1000, help="importance samples per image for --nll")
    p.add_argument("--limit", type=_int_at_least(1), help="--nll on the first N test images only")

    p = commands.add_parser("plot", help="draw every figure of a run from its checkpoint")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--backend", choices=("numpy", "cupy"))

    commands.add_parser("list", help="the available models")

    p = commands.add_parser("data", help="dataset files")
    data_commands = p.add_subparsers(dest="data_command", required=True, metavar="ACTION", parser_class=_Parser)
    p = data_commands.add_parser("download", help="download mnist or fashion-mnist into the user cache")
    p.add_argument("name", choices=("mnist", "fashion-mnist"))
    p.add_argument("--dest", metavar="DIR", help="directory to put the files in (default: the user cache)")
    p.add_argument("--force", action="store_true", help="download again even if valid files are there")
    return parser


# ---- the commands -------------------------------------------------------------------------

def cmd_train(args):
    model_cls = get_model_class(args.model)
    overrides = {name: getattr(args, name) for name in TRAIN_FLAGS}
    for key, value in args.set:
        overrides[key] = value
    dataset = args.dataset or model_cls.defaults.get("dataset", BASE_DEFAULTS["dataset"])
    run_dir = Path(args.out or f"runs/{args.model}-{dataset}")
    if args.resume:
        saved = load_checkpoint(run_dir)["config"]
        if saved["model"] != args.model:
            raise UsageError(f"{run_dir} holds a run of model {saved['model']!r}, not {args.model!r}")
        changed = [f"--{key.replace('_', '-')}" for key, value in overrides.items()
                   if value is not None and key not in ("epochs", "backend") and saved.get(key) != value]
        if changed:
            raise UsageError(f"--resume continues the saved config; only --epochs and --backend may change "
                             f"(got {', '.join(changed)})")
        resume(run_dir, epochs=args.epochs, backend=args.backend, quiet=args.quiet)
    else:
        train(make_config(args.model, **overrides), run_dir, overwrite=args.overwrite, quiet=args.quiet)
    figures = [] if args.no_plots else _plot(run_dir, args.backend)
    print(f"run directory: {run_dir}")
    print(f"  {CONFIG}, {METRICS}, {CHECKPOINT}" + "".join(f", {path.name}" for path in figures))
    records = read_metrics(run_dir)
    if records:
        last = records[-1]
        print(f"test after epoch {last['epoch']}: " + ", ".join(f"{k} {v:.6g}" for k, v in last["test"].items()))
    return 0


def cmd_evaluate(args):
    checkpoint = load_checkpoint(args.run_dir)
    epoch = checkpoint["epoch"]
    model_name = checkpoint["config"]["model"]
    if args.nll and not hasattr(get_model_class(model_name), "log_importance_weights"):
        raise UsageError(f"--nll needs a model with an encoder distribution and a prior (vae, beta-vae, "
                         f"cvae); {model_name!r} has none")
    terms = evaluate(args.run_dir, backend=args.backend)
    if args.nll:
        from autoencoders.evaluation.likelihood import nll_of_run
        terms[f"nll_k{args.k}"] = nll_of_run(args.run_dir, k=args.k, limit=args.limit, backend=args.backend)
    if args.json:
        print(json.dumps({"epoch": epoch, "test": terms}))
    else:
        print(f"{args.run_dir} (epoch {epoch}), test set:")
        width = max(map(len, terms))
        for name, value in terms.items():
            print(f"  {name:<{width}}  {value:.6g}")
    return 0


def cmd_plot(args):
    load_checkpoint(args.run_dir)  # a clear error for a missing run
    for path in _plot(args.run_dir, args.backend):
        print(path)
    return 0


def cmd_list(args):
    models = available_models()
    width = max(map(len, models), default=0)
    for name, description in models.items():
        print(f"{name:<{width}}  {description}")
    return 0


def cmd_data(args):
    from autoencoders.data import download
    print(download(args.name, args.dest, force=args.force))
    return 0


def _plot(run_dir, backend):
    from autoencoders.plots import plot_run  # matplotlib only when drawing
    return plot_run(run_dir, backend)


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "plot": cmd_plot, "list": cmd_list, "data": cmd_data}


def main(argv=None):
    """Run the command line; returns the exit status."""
    from minigrad import BackendError
    from minigrad.serialization import CheckpointError

    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UsageError as error:
        return _fail(str(error), 2)
    except (UnknownModelError, ConfigError, RunDirError, BackendError, CheckpointError, FileNotFoundError) as error:
        return _fail(f"{PROG}: error: {error}", 2)
    except TrainingInterrupted as error:
        return _fail(str(error), 130)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except (FloatingPointError, OSError) as error:
        return _fail(f"{PROG}: error: {error}", 1)


def _fail(message, status):
    print(message, file=sys.stderr)
    return status
