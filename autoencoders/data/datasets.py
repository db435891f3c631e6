"""The datasets: an embedded 5,000-digit MNIST subset, and full MNIST / Fashion-MNIST.

``mnist-5k`` (the default) ships inside the package (see embedded/README.md) and needs
nothing else. ``mnist`` and ``fashion-mnist`` are read from their official IDX files
(gzip or raw), looked for in this order:

1. the ``root`` argument: ``<root>/`` itself, then ``<root>/<name>/``;
2. ``$AUTOENCODERS_DATA/<name>/``;
3. the user cache, ``$XDG_CACHE_HOME/autoencoders/<name>/`` or ``~/.cache/autoencoders/<name>/``,
   where ``autoencoders data download <name>`` puts them;
4. for fashion-mnist, ``/usr/share/datasets/fashion-mnist/`` (Debian package dataset-fashion-mnist).
"""

import functools
import gzip
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autoencoders.data import transforms
from autoencoders.data.idx import read_idx

DEFAULT_DATASET = "mnist-5k"
DATASETS = ("mnist-5k", "mnist", "fashion-mnist")
ENV_VAR = "AUTOENCODERS_DATA"
IMAGE_SHAPE = (1, 28, 28)
NUM_CLASSES = 10

IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# sha256 of each *decompressed* IDX file, checked on every load and download; None: not
# known here, so only the structure is checked. The Fashion-MNIST digests were computed
# from Debian's dataset-fashion-mnist 0.0~git20200523.55506a9-1: Debian recompressed the
# .gz files (their MD5s differ from those upstream publishes) but their contents are
# upstream's. No official MNIST file was at hand to hash.
IDX_SHA256 = {
    "mnist": dict.fromkeys(IDX_FILES["train"] + IDX_FILES["test"]),
    "fashion-mnist": {
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}
SYSTEM_DIRS = {"fashion-mnist": (Path("/usr/share/datasets/fashion-mnist"),)}
SYSTEM_PACKAGES = {"fashion-mnist": "dataset-fashion-mnist"}

CLASS_NAMES = {
    "mnist": tuple(str(digit) for digit in range(10)),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
}
CLASS_NAMES["mnist-5k"] = CLASS_NAMES["mnist"]

EMBEDDED_PATH = Path(__file__).resolve().parent / "embedded" / "mnist_5k.csv.gz"
EMBEDDED_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
EMBEDDED_TRAIN_PER_CLASS = 400  # of 500 per class; the other 100 per class are the test set


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train/test (and optional validation) arrays: images float, labels int64."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    source: str = ""
    class_names: tuple = ()
    image_shape: tuple = IMAGE_SHAPE
    num_classes: int = NUM_CLASSES

    def __repr__(self):
        val = "" if self.x_val is None else f", x_val={self.x_val.shape}"
        return (f"Dataset({self.name!r}, x_train={self.x_train.shape}, x_test={self.x_test.shape}{val}, "
                f"dtype={self.x_train.dtype}, source={self.source!r})")


def load_dataset(name=DEFAULT_DATASET, root=None, *, flatten=True, value_range=(0.0, 1.0), binarize=None,
                 threshold=0.5, val_fraction=0.0, seed=0, dtype="float32"):
    """Load ``name`` (one of DATASETS) as a :class:`Dataset`.

    Images come as ``dtype`` arrays of shape (N, 784), or (N, 1, 28, 28) when ``flatten`` is
    False, with values in ``value_range``, (0, 1) or (-1, 1). ``binarize`` is None,
    "threshold" (pixel > ``threshold``, on the [0, 1] scale) or "bernoulli" (one draw per
    pixel, fixed by ``seed``); binary images take the two ends of ``value_range``. For a
    fresh draw every batch, use ``DataLoader(..., dynamic_binarize=True)`` instead.
    ``val_fraction`` of the training set, drawn with ``seed``, becomes x_val / y_val.
    """
    value_range = transforms.check_value_range(value_range)
    if binarize not in (None, "threshold", "bernoulli"):
        raise ValueError(f"binarize must be None, 'threshold' or 'bernoulli', got {binarize!r}")
    if name == "mnist-5k":
        (x_train, y_train), (x_test, y_test) = embedded_split()
        source = str(EMBEDDED_PATH)
    elif name in IDX_SHA256:
        directory = find_idx_dir(name, root)
        (x_train, y_train), (x_test, y_test) = (read_idx_split(directory, name, split) for split in IDX_FILES)
        source = str(directory)
    else:
        raise ValueError(f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")

    split_seed, binarize_seed = np.random.SeedSequence(seed).spawn(2)
    binarize_rng = np.random.default_rng(binarize_seed)

    def prepare(pixels):
        x = transforms.to_unit(pixels.reshape(len(pixels), -1), dtype)
        if binarize == "threshold":
            x = transforms.binarize_threshold(x, threshold)
        elif binarize == "bernoulli":
            x = transforms.binarize_bernoulli(x, binarize_rng)
        x = transforms.rescale(x, value_range)
        return x if flatten else x.reshape((len(x),) + IMAGE_SHAPE)

    x_train, x_test = prepare(x_train), prepare(x_test)
    x_val = y_val = None
    if val_fraction:
        x_train, y_train, x_val, y_val = transforms.split_validation(x_train, y_train, val_fraction, split_seed)
    return Dataset(name, x_train, y_train, x_test, y_test, x_val, y_val, source, CLASS_NAMES[name])


# ---- the embedded subset ----------------------------------------------------------------

def embedded_split():
    """The fixed split of mnist-5k as uint8 ((x_train, y_train), (x_test, y_test)).

    The file holds 500 digits of each class. Per class, the first 400 (in file order) are
    the training set and the last 100 the test set: 4,000 / 1,000, balanced. Both sets are
    ordered round-robin over the classes (0, 1, ..., 9, 0, 1, ...), so any prefix is balanced.
    """
    x, y = read_embedded(EMBEDDED_PATH, EMBEDDED_SHA256)
    rank = np.empty(len(y), dtype=np.int64)  # position of each row among the rows of its class
    for label in range(NUM_CLASSES):
        rows = np.flatnonzero(y == label)
        rank[rows] = np.arange(len(rows))
    train = rank < EMBEDDED_TRAIN_PER_CLASS
    splits = []
    for rows in (np.flatnonzero(train), np.flatnonzero(~train)):
        rows = rows[np.lexsort((y[rows], rank[rows]))]
        splits.append((x[rows], y[rows]))
    return tuple(splits)


@functools.lru_cache(maxsize=4)
def read_embedded(path, sha256):
    """Parse a csv.gz of rows ``784 pixels, label`` into read-only (uint8 (N, 784), int64 (N,))."""
    raw = Path(path).read_bytes()
    found = hashlib.sha256(raw).hexdigest()
    if found != sha256:
        raise ValueError(f"{path}: checksum mismatch: expected sha256 {sha256}, found {found}; "
                         "the embedded data file is damaged, reinstall the package")
    table = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",", dtype=np.uint8, ndmin=2)
    if table.shape[1] != 785:
        raise ValueError(f"{path}: expected 785 columns (784 pixels, then the label), found {table.shape[1]}")
    x, y = table[:, :784], table[:, 784].astype(np.int64)
    x.flags.writeable = y.flags.writeable = False
    return x, y


# ---- IDX datasets -----------------------------------------------------------------------

def cache_dir(name):
    """The user cache directory of dataset ``name``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return base / "autoencoders" / name


def search_dirs(name, root=None):
    """The directories searched for ``name``'s IDX files, in order, as (path, why) pairs."""
    dirs = []
    if root is not None:
        root = Path(root).expanduser()
        dirs += [(root, "root argument"), (root / name, "root argument")]
    if os.environ.get(ENV_VAR):
        dirs.append((Path(os.environ[ENV_VAR]).expanduser() / name, f"${ENV_VAR}"))
    dirs.append((cache_dir(name), "user cache"))
    dirs += [(path, f"Debian package {SYSTEM_PACKAGES[name]}") for path in SYSTEM_DIRS.get(name, ())]
    return dirs


def idx_path(directory, base):
    """``directory/base.gz`` or ``directory/base``, whichever exists first; None if neither."""
    for path in (Path(directory) / f"{base}.gz", Path(directory) / base):
        if path.is_file():
            return path
    return None


def find_idx_dir(name, root=None):
    """The first searched directory holding all four IDX files of ``name``."""
    bases = IDX_FILES["train"] + IDX_FILES["test"]
    searched = []
    for directory, why in search_dirs(name, root):
        missing = [base for base in bases if idx_path(directory, base) is None]
        if not missing:
            return directory
        searched.append(f"  {directory} ({why}): "
                        + ("no such directory" if not directory.is_dir() else "missing " + ", ".join(missing)))
    if not os.environ.get(ENV_VAR):  # say so where it would have been searched
        searched.insert(0 if root is None else 2, f"  ${ENV_VAR}/{name} (${ENV_VAR} is not set)")
    fixes = [f"`autoencoders data download {name}` (saves them in {cache_dir(name)})"]
    if name in SYSTEM_PACKAGES:
        fixes.append(f"`apt-get install {SYSTEM_PACKAGES[name]}`")
    raise FileNotFoundError(
        f"{name}: IDX files not found. Each place needs {', '.join(b + '[.gz]' for b in bases)}. Searched:\n"
        + "\n".join(searched) + "\nTo fix, run " + " or ".join(fixes) + "."
    )


def read_idx_split(directory, name, split):
    """Read one split ("train" or "test") of ``name`` from ``directory`` as (uint8 images, int64 labels)."""
    images_base, labels_base = IDX_FILES[split]
    images_path, labels_path = idx_path(directory, images_base), idx_path(directory, labels_base)
    images = read_idx(images_path, "images", IDX_SHA256[name][images_base])
    labels = read_idx(labels_path, "labels", IDX_SHA256[name][labels_base])
    if images.shape[1:] != IMAGE_SHAPE[1:]:
        raise ValueError(f"{images_path}: expected 28x28 images, found {images.shape[1]}x{images.shape[2]}")
    if len(images) != len(labels):
        raise ValueError(f"count mismatch: {images_path} holds {len(images)} images, "
                         f"expected as many as the {len(labels)} labels of {labels_path}")
    if labels.size and labels.max() >= NUM_CLASSES:
        raise ValueError(f"{labels_path}: expected labels 0..{NUM_CLASSES - 1}, found {labels.max()}")
    return images, labels.astype(np.int64)
