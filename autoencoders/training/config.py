"""The run configuration: one flat, JSON-friendly dict.

It is built in three layers, later ones winning:

1. :data:`BASE_DEFAULTS`, the training options every model shares;
2. the model's ``defaults`` (class attribute) and the defaults of its ``__init__`` parameters;
3. the overrides (command-line flags, ``--set key=value``, keyword arguments of :func:`make_config`).

Keys that are not in BASE_DEFAULTS are *model options*: they must be parameters of the
model's ``__init__``, which receives them (plus ``input_shape`` and ``num_classes``, taken
from the data, when it has such parameters). The result is saved as ``config.json`` in
the run directory and inside every checkpoint.
"""

import inspect
import json

import numpy as np

from autoencoders.data import DATASETS
from autoencoders.models import get_model_class

BASE_DEFAULTS = {
    "dataset": "mnist-5k",       # mnist-5k (embedded), mnist, fashion-mnist
    "data_root": None,           # where mnist / fashion-mnist IDX files are (see autoencoders.data)
    "epochs": 10,
    "batch_size": 128,
    "lr": 1e-3,
    "optimizer": "adam",         # adam, adamw, sgd, rmsprop (used by the default configure_optimizers)
    "backend": "numpy",          # numpy or cupy
    "dtype": "float32",          # float32 or float64
    "cuda_graph": False,         # on cupy: replay each training step as a CUDA graph (docs/gpu.md)
    "seed": 0,                   # parameters' initialization, shuffling, noise, binarization
    "value_range": [0.0, 1.0],   # input scaling: [0, 1] or [-1, 1]
    "binarize": None,            # None, "threshold" (> 0.5), "static" (one Bernoulli draw) or
                                 # "dynamic" (a fresh draw every batch; the test set drawn once)
    "noise": None,               # None, "gaussian:STD", "masking:FRACTION", "salt-and-pepper:FRACTION"
    "flatten": True,             # inputs (B, 784); False gives images (B, 1, 28, 28), for conv models
    "limit_train": None,         # use only the first N training / test examples (tests, smoke runs)
    "limit_test": None,
    "eval_batch_size": 500,
}
FROM_DATA = ("input_shape", "num_classes")  # __init__ parameters filled from the data, not the config
BACKENDS = ("numpy", "cupy", "strict")       # "strict": minigrad's CPU stand-in for CuPy (tests)
BINARIZE = (None, "threshold", "static", "dynamic")
NOISES = ("gaussian", "masking", "salt-and-pepper")


class ConfigError(ValueError):
    """A configuration that cannot run: unknown option, bad value."""


def model_options(model_cls):
    """{name: default} of the ``__init__`` parameters of ``model_cls`` that come from the config."""
    options = {}
    for name, parameter in inspect.signature(model_cls.__init__).parameters.items():
        if name == "self" or name in FROM_DATA or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        options[name] = None if parameter.default is parameter.empty else _jsonable(parameter.default)
    return options


def make_config(model, **overrides):
    """The full configuration of a run of model ``model`` (a registered name); None overrides are ignored."""
    model_cls = get_model_class(model)
    options = model_options(model_cls)
    config = {"model": model, **BASE_DEFAULTS, **options}
    for key, value in model_cls.defaults.items():
        if key not in BASE_DEFAULTS and key not in options:
            raise ConfigError(f"model {model!r}: its default {key!r} is neither a training option nor a "
                              f"parameter of {model_cls.__name__}.__init__")
        config[key] = _jsonable(value)
    for key, value in overrides.items():
        if value is None:
            continue
        if key not in config or key == "model":
            known = ", ".join(sorted(options)) or "none"
            raise ConfigError(f"model {model!r} has no option {key!r} (its own options: {known})")
        config[key] = _jsonable(value)
    validate(config)
    return config


def validate(config):
    """Raise ConfigError naming the first bad value of ``config``."""
    def check(ok, key, expected):
        if not ok:
            raise ConfigError(f"{key}: expected {expected}, got {config[key]!r}")

    check(config["dataset"] in DATASETS, "dataset", "one of " + ", ".join(DATASETS))
    check(_is_int(config["epochs"]) and config["epochs"] >= 0, "epochs", "an integer >= 0")
    check(_is_int(config["batch_size"]) and config["batch_size"] >= 1, "batch_size", "an integer >= 1")
    check(_is_int(config["eval_batch_size"]) and config["eval_batch_size"] >= 1, "eval_batch_size", "an integer >= 1")
    check(isinstance(config["lr"], (int, float)) and config["lr"] > 0, "lr", "a number > 0")
    check(config["backend"] in BACKENDS, "backend", "numpy or cupy")
    check(config["dtype"] in ("float32", "float64"), "dtype", "float32 or float64")
    check(isinstance(config.get("cuda_graph", False), bool), "cuda_graph", "true or false")  # older runs: absent
    check(_is_int(config["seed"]), "seed", "an integer")
    check(config["value_range"] in ([0.0, 1.0], [-1.0, 1.0]), "value_range", "[0, 1] or [-1, 1]")
    check(config["binarize"] in BINARIZE, "binarize", "null, threshold, static or dynamic")
    check(config["binarize"] is None or config["value_range"] == [0.0, 1.0], "binarize",
          "no binarization when value_range is [-1, 1]")
    for key in ("limit_train", "limit_test"):
        check(config[key] is None or (_is_int(config[key]) and config[key] >= 1), key, "null or an integer >= 1")
    if config["noise"] is not None:
        parse_noise(config["noise"])
    if "latent_dim" in config:
        check(_is_int(config["latent_dim"]) and config["latent_dim"] >= 1, "latent_dim", "an integer >= 1")
    if "hidden" in config and config["hidden"] is not None:
        check(isinstance(config["hidden"], list) and all(_is_int(n) and n >= 1 for n in config["hidden"]),
              "hidden", "a list of positive integers")


def parse_noise(spec):
    """``"kind:level"`` -> (kind, level), e.g. "masking:0.25" -> ("masking", 0.25)."""
    kind, _, level = str(spec).partition(":")
    try:
        level = float(level)
    except ValueError:
        level = None
    if kind not in NOISES or level is None or level < 0:
        raise ConfigError(f"noise: expected KIND:LEVEL with KIND one of {', '.join(NOISES)} and LEVEL >= 0 "
                          f"(e.g. masking:0.25), got {spec!r}")
    return kind, level


def model_kwargs(config, model_cls, input_shape, num_classes):
    """The keyword arguments of ``model_cls(...)`` for this config and data."""
    kwargs = {key: config[key] for key in model_options(model_cls) if key in config}
    parameters = inspect.signature(model_cls.__init__).parameters
    if "input_shape" in parameters:
        kwargs["input_shape"] = tuple(input_shape)
    if "num_classes" in parameters:
        kwargs["num_classes"] = num_classes
    return kwargs


def build_model(config, input_shape, num_classes):
    """A fresh model for ``config`` (its parameters drawn from minigrad's seeded generator)."""
    model_cls = get_model_class(config["model"])
    try:
        return model_cls(**model_kwargs(config, model_cls, input_shape, num_classes))
    except (TypeError, ValueError) as error:  # a model option of the wrong type or value
        raise ConfigError(f"model {config['model']!r}: {error}") from error


def to_json(config):
    return json.dumps(config, indent=2, sort_keys=False)


def parse_value(text):
    """A ``--set key=value`` value: JSON when it parses (4, 0.5, true, null, [1, 2]), else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _jsonable(value):
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value
