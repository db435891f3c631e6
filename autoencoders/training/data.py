"""From a config to arrays and mini-batches: what the training loop and the figures feed the model."""

from dataclasses import dataclass

import numpy as np

from autoencoders.data import DataLoader, GaussianNoise, MaskingNoise, SaltAndPepperNoise, load_dataset
from autoencoders.data.transforms import binarize_bernoulli
from autoencoders.models import Batch
from autoencoders.training.config import parse_noise

NOISE_CLASSES = {"gaussian": GaussianNoise, "masking": MaskingNoise, "salt-and-pepper": SaltAndPepperNoise}


@dataclass
class RunData:
    """Host (NumPy) arrays of one run, already scaled, binarized and limited as the config says."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    input_shape: tuple    # one example: (784,) or (1, 28, 28)
    image_shape: tuple    # (1, 28, 28), for the figures
    num_classes: int
    class_names: tuple
    value_range: tuple


def load_data(config):
    """The train and test arrays of ``config``.

    Binarization: "threshold" and "static" binarize both sets once; "dynamic" leaves the
    training set continuous (the loader draws afresh every batch) and binarizes the test
    set once, with a generator seeded by the config's seed, so test numbers stay comparable.
    """
    binarize = {"threshold": "threshold", "static": "bernoulli"}.get(config["binarize"])
    dataset = load_dataset(config["dataset"], root=config["data_root"], flatten=config["flatten"],
                           value_range=config["value_range"], binarize=binarize, seed=config["seed"],
                           dtype=config["dtype"])
    x_train, y_train = dataset.x_train[:config["limit_train"]], dataset.y_train[:config["limit_train"]]
    x_test, y_test = dataset.x_test[:config["limit_test"]], dataset.y_test[:config["limit_test"]]
    if config["binarize"] == "dynamic":
        rng = np.random.default_rng(np.random.SeedSequence([config["seed"], 1]))
        x_test = binarize_bernoulli(x_test, rng)
    return RunData(x_train, y_train, x_test, y_test, x_train.shape[1:], tuple(dataset.image_shape),
                   dataset.num_classes, tuple(dataset.class_names), tuple(config["value_range"]))


def make_noise(config):
    """The input corruption of ``config["noise"]`` (a callable ``noise(x, rng)``), or None."""
    if config["noise"] is None:
        return None
    kind, level = parse_noise(config["noise"])
    return NOISE_CLASSES[kind](level, value_range=config["value_range"])


def train_loader(data, config):
    """The shuffled, seeded, resumable loader over the training set."""
    return _loader(data.x_train, data.y_train, config, shuffle=True, seed=config["seed"],
                   batch_size=config["batch_size"], dynamic=config["binarize"] == "dynamic")


def test_loader(data, config):
    """The loader over the test set: in order; its noise drawn the same way at every evaluation."""
    return _loader(data.x_test, data.y_test, config, shuffle=False, seed=[config["seed"], 2],
                   batch_size=config["eval_batch_size"], dynamic=False)


def _loader(x, y, config, *, shuffle, seed, batch_size, dynamic):
    noise = make_noise(config)
    index = np.arange(len(x))
    arrays = (x, y, index) if noise is None else (x, x, y, index)  # noisy input, then the clean x
    return DataLoader(*arrays, batch_size=batch_size, shuffle=shuffle, seed=seed, transform=noise,
                      dynamic_binarize=dynamic, dtype=config["dtype"])


def to_batch(arrays):
    """A loader's tuple of Tensors -> :class:`~autoencoders.models.Batch`."""
    if len(arrays) == 4:
        x_noisy, x, y, index = arrays
        return Batch(x=x, y=y, x_noisy=x_noisy, index=index)
    x, y, index = arrays
    return Batch(x=x, y=y, index=index)
