"""Data layer: MNIST-family datasets, preprocessing, input noise, and a seeded DataLoader."""

from autoencoders.data.datasets import DATASETS, DEFAULT_DATASET, Dataset, cache_dir, load_dataset, search_dirs
from autoencoders.data.download import download
from autoencoders.data.idx import read_idx, write_idx
from autoencoders.data.loader import DataLoader, to_device
from autoencoders.data.transforms import GaussianNoise, MaskingNoise, SaltAndPepperNoise

__all__ = [
    "DATASETS", "DEFAULT_DATASET", "DataLoader", "Dataset", "GaussianNoise", "MaskingNoise",
    "SaltAndPepperNoise", "cache_dir", "download", "load_dataset", "read_idx", "search_dirs",
    "to_device", "write_idx",
]
