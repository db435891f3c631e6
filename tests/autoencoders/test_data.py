"""Tests of autoencoders.data: IDX files, datasets, download (offline), transforms, DataLoader.

No test touches the network: an autouse fixture makes urllib.request.urlopen fail, and the
download tests replace it with a fake server.
"""

import gzip
import hashlib
import importlib
import io
import json
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from autoencoders.data import (
    DataLoader, GaussianNoise, MaskingNoise, SaltAndPepperNoise, download, load_dataset, read_idx, write_idx,
)
from autoencoders.data import datasets, loader as loader_module, transforms
from autoencoders.data.idx import parse_idx

download_module = importlib.import_module("autoencoders.data.download")  # the package exports the function

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
IDX_BASES = datasets.IDX_FILES["train"] + datasets.IDX_FILES["test"]


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """Empty env var, cache and system dirs, so only what a test writes can be found."""
    monkeypatch.delenv(datasets.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "SYSTEM_DIRS", {"fashion-mnist": (tmp_path / "system" / "fashion-mnist",)})
    return tmp_path


def fake_set(directory, n_train=6, n_test=3, label_offset=0, gzip=True):
    """Write a small MNIST-shaped IDX set; labels are (i + label_offset) % 10."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(label_offset)
    for (images_base, labels_base), n in zip(datasets.IDX_FILES.values(), (n_train, n_test)):
        suffix = ".gz" if gzip else ""
        write_idx(directory / f"{images_base}{suffix}", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), gzip=gzip)
        labels = ((np.arange(n) + label_offset) % 10).astype(np.uint8)
        write_idx(directory / f"{labels_base}{suffix}", labels, gzip=gzip)
    return directory


# ---- IDX ---------------------------------------------------------------------------------

@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("shape, kind", [((5, 28, 28), "images"), ((7,), "labels"), ((2, 3, 4, 5), None)])
def test_idx_roundtrip(tmp_path, compress, shape, kind):
    array = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    path = write_idx(tmp_path / "f.idx", array, gzip=compress)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
    back = read_idx(path, kind)
    assert back.dtype == np.uint8 and back.shape == shape
    np.testing.assert_array_equal(back, array)
    back[...] = 0  # a writable copy, not a view of the file bytes


def test_idx_gzip_detected_by_magic_not_name(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "labels", labels, gzip=True)
    write_idx(tmp_path / "labels.gz", labels, gzip=False)
    np.testing.assert_array_equal(read_idx(tmp_path / "labels", "labels"), labels)
    np.testing.assert_array_equal(read_idx(tmp_path / "labels.gz", "labels"), labels)


def test_idx_header_bytes_match_the_format(tmp_path):
    path = write_idx(tmp_path / "img", np.zeros((2, 28, 28), np.uint8))
    assert path.read_bytes()[:16] == bytes.fromhex("00000803" "00000002" "0000001c" "0000001c")


def test_idx_bad_magic(tmp_path):
    path = write_idx(tmp_path / "labels-as-images", np.arange(4, dtype=np.uint8))
    with pytest.raises(ValueError) as err:
        read_idx(path, "images")
    message = str(err.value)
    assert str(path) in message and "bad magic number" in message
    assert "expected 0x00000803" in message and "found 0x00000801" in message

    path.write_bytes(b"\x12\x34\x56\x78" + bytes(8))
    with pytest.raises(ValueError, match=r"expected 0x000008NN .* found 0x12345678"):
        read_idx(path)


def test_idx_truncated_data(tmp_path):
    path = write_idx(tmp_path / "img", np.ones((1, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:16 + 700])
    with pytest.raises(ValueError) as err:
        read_idx(path, "images")
    message = str(err.value)
    assert str(path) in message and "truncated" in message
    assert "1x28x28 needs 784 bytes" in message and "found 700" in message


def test_idx_trailing_bytes(tmp_path):
    path = write_idx(tmp_path / "lab", np.ones(3, np.uint8))
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(ValueError, match=r"trailing bytes.*needs 3 bytes of data, found 4"):
        read_idx(path, "labels")


def test_idx_truncated_header(tmp_path):
    path = tmp_path / "img"
    path.write_bytes(bytes.fromhex("00000803" "00000002"))
    with pytest.raises(ValueError, match=r"truncated header: expected 16 bytes for 3 dimension sizes, found 8"):
        read_idx(path, "images")
    with pytest.raises(ValueError, match=r"expected a 4-byte magic number, found 2 bytes"):
        parse_idx(b"\x00\x00")


def test_idx_truncated_gzip(tmp_path):
    path = write_idx(tmp_path / "img.gz", np.ones((3, 28, 28), np.uint8), gzip=True)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match=r"corrupt gzip data") as err:
        read_idx(path, "images")
    assert str(path) in str(err.value)


def test_idx_checksum(tmp_path):
    labels = np.arange(5, dtype=np.uint8)
    path = write_idx(tmp_path / "lab.gz", labels, gzip=True)
    good = hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest()
    np.testing.assert_array_equal(read_idx(path, "labels", sha256=good), labels)
    with pytest.raises(ValueError, match=rf"checksum mismatch: expected .* {'0' * 64}, found {good}"):
        read_idx(path, "labels", sha256="0" * 64)


def test_write_idx_rejects_other_dtypes(tmp_path):
    with pytest.raises(TypeError, match="uint8"):
        write_idx(tmp_path / "f", np.zeros(3, np.float32))


# ---- the embedded mnist-5k ---------------------------------------------------------------

def test_embedded_file_checksum():
    assert hashlib.sha256(datasets.EMBEDDED_PATH.read_bytes()).hexdigest() == datasets.EMBEDDED_SHA256


def test_embedded_dataset_shapes_dtypes_labels_and_split():
    data = load_dataset()
    assert data.name == "mnist-5k" and data.image_shape == (1, 28, 28) and data.num_classes == 10
    assert data.x_train.shape == (4000, 784) and data.x_test.shape == (1000, 784)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert 0.0 <= data.x_train.min() and data.x_train.max() == 1.0
    np.testing.assert_array_equal(np.bincount(data.y_train), [400] * 10)
    np.testing.assert_array_equal(np.bincount(data.y_test), [100] * 10)
    np.testing.assert_array_equal(data.y_test[:20], np.tile(np.arange(10), 2))  # round-robin order
    assert data.x_val is None and data.y_val is None


def test_embedded_split_partitions_the_file():
    (x_train, y_train), (x_test, y_test) = datasets.embedded_split()
    x_all, y_all = datasets.read_embedded(datasets.EMBEDDED_PATH, datasets.EMBEDDED_SHA256)
    assert x_all.shape == (5000, 784) and x_all.dtype == np.uint8
    rows = lambda x, y: sorted(row.tobytes() + bytes([label]) for row, label in zip(x, y))  # noqa: E731
    assert rows(np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])) == rows(x_all, y_all)
    # the first 400 of each class (in file order) are the training set
    first_zeros = x_all[np.flatnonzero(y_all == 0)[:400]]
    np.testing.assert_array_equal(x_train[y_train == 0], first_zeros)


def test_embedded_cache_is_read_only_and_loads_are_independent():
    x, y = datasets.read_embedded(datasets.EMBEDDED_PATH, datasets.EMBEDDED_SHA256)
    assert not x.flags.writeable and not y.flags.writeable
    first = load_dataset()
    first.x_train[:] = 7
    assert load_dataset().x_train.max() == 1.0


def test_embedded_checksum_is_verified(tmp_path):
    tampered = tmp_path / "mnist_5k.csv.gz"
    raw = bytearray(datasets.EMBEDDED_PATH.read_bytes())
    raw[1000] ^= 1
    tampered.write_bytes(raw)
    with pytest.raises(ValueError, match=rf"{tampered}: checksum mismatch: expected sha256 {datasets.EMBEDDED_SHA256}"):
        datasets.read_embedded(tampered, datasets.EMBEDDED_SHA256)


def test_load_options():
    images = load_dataset(flatten=False)
    assert images.x_train.shape == (4000, 1, 28, 28)
    symmetric = load_dataset(value_range=(-1, 1))
    assert symmetric.x_train.min() == -1.0 and symmetric.x_train.max() == 1.0
    np.testing.assert_allclose(symmetric.x_train, 2 * images.x_train.reshape(4000, 784) - 1, atol=1e-6)
    assert load_dataset(dtype="float64").x_test.dtype == np.float64
    with pytest.raises(ValueError, match="value_range"):
        load_dataset(value_range=(0, 255))
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        load_dataset("cifar")


def test_static_binarization():
    grey = load_dataset().x_train
    threshold = load_dataset(binarize="threshold", threshold=0.5).x_train
    np.testing.assert_array_equal(threshold, (grey > 0.5).astype(np.float32))
    a, b, c = (load_dataset(binarize="bernoulli", seed=s).x_train for s in (1, 1, 2))
    assert set(np.unique(a)) == {0.0, 1.0}
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()
    assert abs(a.mean() - grey.mean()) < 0.01  # a Bernoulli draw keeps the mean intensity
    assert set(np.unique(load_dataset(binarize="threshold", value_range=(-1, 1)).x_test)) == {-1.0, 1.0}


def test_validation_split():
    data = load_dataset(val_fraction=0.1, seed=3)
    assert len(data.x_train) == 3600 and len(data.x_val) == 400 and len(data.y_val) == 400
    full = load_dataset().x_train
    rows = lambda x: {row.tobytes() for row in x}  # noqa: E731
    assert rows(data.x_train) | rows(data.x_val) == rows(full)
    assert not rows(data.x_train) & rows(data.x_val)
    np.testing.assert_array_equal(load_dataset(val_fraction=0.1, seed=3).y_val, data.y_val)
    assert (load_dataset(val_fraction=0.1, seed=4).y_val != data.y_val).any()
    with pytest.raises(ValueError, match="val_fraction"):
        load_dataset(val_fraction=1.0)


# ---- IDX datasets: search, errors, checksums ---------------------------------------------

def test_idx_dataset_from_root(isolated):
    for compress in (True, False):
        root = fake_set(isolated / f"root-{compress}", gzip=compress)
        data = load_dataset("mnist", root=root, flatten=False)
        assert data.x_train.shape == (6, 1, 28, 28) and data.x_test.shape == (3, 1, 28, 28)
        np.testing.assert_array_equal(data.y_train, np.arange(6))
        assert data.source == str(root)


def test_search_order_root_then_env_then_cache(isolated, monkeypatch):
    root = fake_set(isolated / "root" / "mnist", label_offset=1)
    env = fake_set(isolated / "env" / "mnist", label_offset=2)
    fake_set(datasets.cache_dir("mnist"), label_offset=3)
    monkeypatch.setenv(datasets.ENV_VAR, str(isolated / "env"))
    assert load_dataset("mnist", root=isolated / "root").source == str(root)
    assert load_dataset("mnist").source == str(env)
    monkeypatch.delenv(datasets.ENV_VAR)
    data = load_dataset("mnist")
    assert data.source == str(isolated / "cache" / "autoencoders" / "mnist") and data.y_train[0] == 3


def test_cache_dir_defaults_to_home(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert datasets.cache_dir("mnist") == tmp_path / ".cache" / "autoencoders" / "mnist"


def test_missing_files_list_every_place_searched(isolated, monkeypatch):
    root = isolated / "root"
    fake_set(root / "fashion-mnist")
    (root / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError) as err:
        load_dataset("fashion-mnist", root=root)
    message = str(err.value)
    for place in (root, root / "fashion-mnist", isolated / "cache" / "autoencoders" / "fashion-mnist",
                  isolated / "system" / "fashion-mnist"):
        assert f"  {place} (" in message
    assert "missing t10k-labels-idx1-ubyte" in message and "$AUTOENCODERS_DATA is not set" in message
    assert "`autoencoders data download fashion-mnist`" in message
    assert "`apt-get install dataset-fashion-mnist`" in message

    monkeypatch.setenv(datasets.ENV_VAR, str(isolated / "env"))
    with pytest.raises(FileNotFoundError) as err:
        load_dataset("mnist")
    message = str(err.value)
    assert f"{isolated / 'env' / 'mnist'} ($AUTOENCODERS_DATA)" in message
    assert "`autoencoders data download mnist`" in message and "apt-get" not in message


def test_count_mismatch(isolated):
    root = fake_set(isolated / "root")
    write_idx(root / "t10k-labels-idx1-ubyte.gz", np.zeros(2, np.uint8), gzip=True)
    with pytest.raises(ValueError, match=r"count mismatch: .*t10k-images-idx3-ubyte.gz holds 3 images, "
                                         r"expected as many as the 2 labels of .*t10k-labels-idx1-ubyte.gz"):
        load_dataset("mnist", root=root)


def test_wrong_image_size_and_label_range(isolated):
    root = fake_set(isolated / "root")
    write_idx(root / "train-images-idx3-ubyte.gz", np.zeros((6, 27, 28), np.uint8), gzip=True)
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz: expected 28x28 images, found 27x28"):
        load_dataset("mnist", root=root)
    root = fake_set(isolated / "root2")
    write_idx(root / "train-labels-idx1-ubyte.gz", np.full(6, 10, np.uint8), gzip=True)
    with pytest.raises(ValueError, match=r"expected labels 0..9, found 10"):
        load_dataset("mnist", root=root)


def test_fake_fashion_files_fail_the_checksum(isolated):
    root = fake_set(isolated / "root")
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz: checksum mismatch: expected the sha256 "
                                         r"of the decompressed data to be c59f468a"):
        load_dataset("fashion-mnist", root=root)


@pytest.mark.skipif(not (DEBIAN_FASHION / "train-images-idx3-ubyte.gz").exists(),
                    reason="Debian package dataset-fashion-mnist not installed")
def test_fashion_mnist_from_debian(isolated, monkeypatch):
    monkeypatch.setattr(datasets, "SYSTEM_DIRS", {"fashion-mnist": (DEBIAN_FASHION,)})
    data = load_dataset("fashion-mnist")  # the sha256 of every file is checked on the way
    assert data.source == str(DEBIAN_FASHION)
    assert data.x_train.shape == (60000, 784) and data.x_test.shape == (10000, 784)
    np.testing.assert_array_equal(np.bincount(data.y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(data.y_test), [1000] * 10)
    assert data.class_names[9] == "Ankle boot"


# ---- download (offline: urlopen is faked) ------------------------------------------------

class FakeResponse(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}


def fake_server(monkeypatch, files):
    """Serve ``files`` ({file name: bytes}) at any URL ending in that name; records the URLs asked."""
    asked = []

    def urlopen(url, timeout=None):
        asked.append(url)
        return FakeResponse(files[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return asked


def test_download_writes_checked_files(monkeypatch, tmp_path, capsys):
    source = fake_set(tmp_path / "source")
    asked = fake_server(monkeypatch, {p.name: p.read_bytes() for p in source.iterdir()})
    dest = download("mnist", tmp_path / "dest")
    assert sorted(p.name for p in dest.iterdir()) == sorted(f"{base}.gz" for base in IDX_BASES)
    assert all(url.startswith("https://ossci-datasets.s3.amazonaws.com/mnist/") for url in asked) and len(asked) == 4
    assert "MiB" in capsys.readouterr().err  # progress
    np.testing.assert_array_equal(load_dataset("mnist", root=dest).y_train, np.arange(6))
    download("mnist", dest)  # valid files are kept, nothing fetched again
    assert len(asked) == 4


def test_download_default_dest_is_the_cache(monkeypatch, isolated):
    source = fake_set(isolated / "source")
    fake_server(monkeypatch, {p.name: p.read_bytes() for p in source.iterdir()})
    assert download("mnist", quiet=True) == datasets.cache_dir("mnist")
    assert load_dataset("mnist").source == str(datasets.cache_dir("mnist"))


def test_download_checksum_mismatch_leaves_nothing(monkeypatch, tmp_path):
    fake = fake_set(tmp_path / "fake")  # structurally valid, but not the official Fashion-MNIST
    asked = fake_server(monkeypatch, {p.name: p.read_bytes() for p in fake.iterdir()})
    with pytest.raises(OSError) as err:
        download("fashion-mnist", tmp_path / "dest", quiet=True)
    assert "checksum mismatch" in str(err.value) and "could not download train-images-idx3-ubyte.gz" in str(err.value)
    assert len(asked) == len(download_module.MIRRORS["fashion-mnist"])  # every mirror tried
    assert list((tmp_path / "dest").iterdir()) == []  # no partial or temporary file left


def test_download_truncated_file_is_rejected(monkeypatch, tmp_path):
    source = fake_set(tmp_path / "source")
    files = {p.name: p.read_bytes() for p in source.iterdir()}
    files["train-images-idx3-ubyte.gz"] = files["train-images-idx3-ubyte.gz"][:-30]
    fake_server(monkeypatch, files)
    with pytest.raises(OSError, match="corrupt gzip data"):
        download("mnist", tmp_path / "dest", quiet=True)
    assert list((tmp_path / "dest").iterdir()) == []


def test_download_refuses_unknown_names(tmp_path):
    with pytest.raises(ValueError, match="embedded"):
        download("mnist-5k", tmp_path)


@pytest.mark.skipif(not (DEBIAN_FASHION / "train-labels-idx1-ubyte.gz").exists(),
                    reason="Debian package dataset-fashion-mnist not installed")
def test_download_accepts_the_real_fashion_files(monkeypatch, tmp_path):
    fake_server(monkeypatch, {p.name: p.read_bytes() for p in DEBIAN_FASHION.iterdir()})
    dest = download("fashion-mnist", tmp_path / "dest", quiet=True)
    for base in IDX_BASES:
        assert (dest / f"{base}.gz").read_bytes() == (DEBIAN_FASHION / f"{base}.gz").read_bytes()


# ---- transforms ----------------------------------------------------------------------------

def test_scaling():
    pixels = np.array([[0, 51, 255]], np.uint8)
    unit = transforms.to_unit(pixels)
    assert unit.dtype == np.float32
    np.testing.assert_allclose(unit, [[0.0, 0.2, 1.0]])
    np.testing.assert_allclose(transforms.rescale(unit, (-1, 1)), [[-1.0, -0.6, 1.0]], atol=1e-6)


def test_gaussian_noise():
    x = np.full((200, 784), 0.5, np.float32)
    noisy = GaussianNoise(0.1)(x, np.random.default_rng(0))
    assert noisy.dtype == np.float32 and x[0, 0] == 0.5
    assert abs((noisy - x).std() - 0.1) < 0.005 and abs((noisy - x).mean()) < 0.005
    big = GaussianNoise(2.0, value_range=(-1, 1))(x, np.random.default_rng(0))
    assert big.min() == -1.0 and big.max() == 1.0  # clipped to the data range
    np.testing.assert_array_equal(GaussianNoise(0.1)(x, np.random.default_rng(0)), noisy)


@pytest.mark.parametrize("fraction", [0.0, 0.25, 0.5, 1.0])
def test_masking_noise_fraction(fraction):
    x = np.full((64, 1, 28, 28), 0.5, np.float32)
    masked = MaskingNoise(fraction)(x, np.random.default_rng(1))
    assert masked.shape == x.shape and (x == 0.5).all()
    per_example = (masked == 0).reshape(64, -1).sum(axis=1)
    np.testing.assert_array_equal(per_example, round(fraction * 784))
    assert set(np.unique(masked)) <= {0.0, 0.5}
    if 0 < fraction < 1:  # different pixels for different examples
        assert not (masked[0] == masked[1]).all()
    assert MaskingNoise(0.5, value_range=(-1, 1))(x, np.random.default_rng(1)).min() == -1.0


def test_salt_and_pepper_noise():
    x = np.full((100, 784), 0.5, np.float32)
    noisy = SaltAndPepperNoise(0.2)(x, np.random.default_rng(2))
    changed = noisy != 0.5
    np.testing.assert_array_equal(changed.sum(axis=1), round(0.2 * 784))
    salt = (noisy == 1.0).sum() / changed.sum()
    assert 0.45 < salt < 0.55 and set(np.unique(noisy)) == {0.0, 0.5, 1.0}
    symmetric = SaltAndPepperNoise(0.2, value_range=(-1, 1))(x, np.random.default_rng(2))
    assert set(np.unique(symmetric)) == {-1.0, 0.5, 1.0}


def test_noise_arguments_are_checked():
    with pytest.raises(ValueError, match="fraction"):
        MaskingNoise(1.5)
    with pytest.raises(ValueError, match="std"):
        GaussianNoise(-0.1)


# ---- DataLoader ----------------------------------------------------------------------------

def numbered(n=10):
    """Rows whose first column is their index, and matching labels."""
    x = np.repeat(np.arange(n, dtype=np.float64)[:, None], 3, axis=1)
    return x, np.arange(n)


def epoch_rows(loader):
    return [batch[1].tolist() for batch in loader]


@pytest.mark.parametrize("drop_last, expected_len, sizes", [(False, 4, [3, 3, 3, 1]), (True, 3, [3, 3, 3])])
def test_loader_len_and_drop_last(drop_last, expected_len, sizes):
    x, y = numbered(10)
    loader = DataLoader(x, y, batch_size=3, shuffle=False, drop_last=drop_last, device=False)
    batches = list(loader)
    assert len(loader) == expected_len == len(batches)
    assert [len(xb) for xb, yb in batches] == sizes


def test_loader_batches_are_tuples_like_the_inputs():
    x, y = numbered(10)
    batches = list(DataLoader(x, y, batch_size=4, shuffle=False, device=False))
    assert all(isinstance(b, tuple) and len(b) == 2 for b in batches)
    xb, yb = batches[0]
    assert xb.dtype == np.float32 and yb.dtype == np.int64  # cast once: floats to dtype, labels int64
    np.testing.assert_array_equal(xb[:, 0], [0, 1, 2, 3])
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), np.arange(10))
    (single,) = next(iter(DataLoader(x, batch_size=2, device=False)))
    assert single.shape == (2, 3)


def test_loader_shuffle_seeding():
    x, y = numbered(50)
    a, b, c = (DataLoader(x, y, batch_size=8, seed=s, device=False) for s in (0, 0, 1))
    first_a, first_b, first_c = epoch_rows(a), epoch_rows(b), epoch_rows(c)
    assert first_a == first_b and first_a != first_c
    assert sorted(sum(first_a, [])) == list(range(50))  # every row once per epoch
    assert sum(first_a, []) != list(range(50))
    second_a = epoch_rows(a)
    assert second_a != first_a and second_a == epoch_rows(b)  # a fresh permutation each epoch


def test_loader_resume_gives_identical_batches():
    x = np.random.default_rng(0).random((37, 5)).astype(np.float32)
    y = np.arange(37)

    def make():
        return DataLoader(x, x, y, batch_size=5, seed=7, dynamic_binarize=True, transform=MaskingNoise(0.4),
                          device=False)

    original = make()
    list(original)  # one full epoch
    iterator = iter(original)
    for _ in range(3):
        next(iterator)
    state = json.loads(json.dumps(original.state_dict()))  # plain values, survives JSON
    rest = list(iterator) + list(original)  # the rest of epoch 2, then epoch 3

    resumed = make()
    resumed.load_state_dict(state)
    again = list(resumed) + list(resumed)
    assert len(rest) == len(again) == 5 + 8
    for got, want in zip(again, rest):
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    assert resumed.epoch == original.epoch == 3

    fresh = make()  # without the state, the batches differ
    assert any((g[2] != w[2]).any() for g, w in zip(list(fresh)[3:], rest))


def test_loader_state_at_epoch_end_and_mismatch():
    x, y = numbered(20)
    a = DataLoader(x, y, batch_size=4, seed=3, device=False)
    list(a)
    state = a.state_dict()
    b = DataLoader(x, y, batch_size=4, seed=99, device=False)
    b.load_state_dict(state)
    assert epoch_rows(b) == epoch_rows(a)
    with pytest.raises(ValueError, match="batch_size: state has 4, loader has 5"):
        DataLoader(x, y, batch_size=5, device=False).load_state_dict(state)


def test_loader_dynamic_binarization():
    x = np.full((400, 784), 0.3, np.float32)
    loader = DataLoader(x, batch_size=400, shuffle=False, dynamic_binarize=True, device=False)
    (first,), (second,) = next(iter(loader)), next(iter(loader))
    assert set(np.unique(first)) == {0.0, 1.0}
    assert abs(first.mean() - 0.3) < 0.01
    assert (first != second).any()  # a fresh draw per batch
    with pytest.raises(ValueError, match=r"floats in \[0, 1\]"):
        DataLoader(x * 2 - 1, batch_size=4, dynamic_binarize=True)


def test_loader_noisy_input_and_clean_target():
    x = np.random.default_rng(0).random((16, 784)).astype(np.float32) * 0.9 + 0.1  # no zeros
    loader = DataLoader(x, x, np.arange(16), batch_size=8, transform=MaskingNoise(0.25), device=False)
    for noisy, clean, labels in loader:
        np.testing.assert_array_equal(clean, x[labels])
        assert ((noisy == 0).sum(axis=1) == 196).all()
        np.testing.assert_array_equal(noisy[noisy != 0], clean[noisy != 0])
    # with dynamic binarization the target is the same binary draw as the input, before the noise
    binary = DataLoader(x, x, batch_size=8, dynamic_binarize=True, transform=MaskingNoise(0.25), device=False)
    for noisy, clean in binary:
        assert set(np.unique(clean)) == {0.0, 1.0}
        assert (noisy <= clean).all() and ((clean - noisy).sum(axis=1) <= 196).all()


def test_loader_checks_arguments():
    with pytest.raises(ValueError, match=r"same length, got lengths \[10, 9\]"):
        DataLoader(np.zeros((10, 2)), np.zeros(9, np.int64), batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(np.zeros((10, 2)), batch_size=0)
    with pytest.raises(TypeError, match="float or integer"):
        DataLoader(np.array(["a", "b"]), batch_size=1)


def test_loader_copies_each_array_to_the_device_once_per_batch(monkeypatch):
    copies = []
    monkeypatch.setattr(loader_module, "to_device", lambda array: copies.append(array) or ("on device", array))
    x, y = numbered(10)
    batches = list(DataLoader(x, y, batch_size=4))
    assert len(copies) == 2 * 3
    assert all(b[0][0] == "on device" and b[1][0] == "on device" for b in batches)
    assert [c.dtype for c in copies[:2]] == [np.float32, np.int64]


@pytest.mark.parametrize("shuffle", [False, True])
def test_loader_batches_never_share_memory_with_the_dataset(shuffle):
    # On NumPy a batch is wrapped without a copy (to_device): it must then be a gather of its
    # own, so that nothing done to a batch can reach the dataset, nor the next epoch's batches.
    x, y = numbered(10)
    x_before = x.copy()
    for xb, yb in DataLoader(x, y, batch_size=4, shuffle=shuffle, seed=0):
        assert not np.shares_memory(xb.data, x) and not np.shares_memory(yb.data, y)
        xb.data[...] = -1.0
    np.testing.assert_array_equal(x, x_before)


def test_loader_yields_minigrad_tensors_on_the_active_backend(backend):
    import minigrad  # the `backend` fixture (tests/conftest.py) makes each backend active in turn

    x, y = numbered(10)
    xb, yb = next(iter(DataLoader(x, y, batch_size=4, shuffle=False)))
    assert isinstance(xb, minigrad.Tensor) and isinstance(yb, minigrad.Tensor)
    assert minigrad.backend.backend_of(xb.data) == minigrad.backend.backend_of(yb.data) == backend
    np.testing.assert_array_equal(minigrad.backend.to_numpy(xb.data)[:, 0], [0, 1, 2, 3])
    np.testing.assert_array_equal(minigrad.backend.to_numpy(yb.data), [0, 1, 2, 3])
    assert str(xb.data.dtype) == "float32" and str(yb.data.dtype) == "int64"
    assert not xb.requires_grad
