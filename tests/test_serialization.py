"""minigrad.save / minigrad.load: round trips across backends, atomic writes, clear errors."""

import json
import os
import zipfile

import numpy as np
import pytest

import minigrad
from minigrad import optim, serialization
from minigrad.backend import backend_of, to_numpy
from minigrad.serialization import CheckpointError

LOAD_BACKENDS = ["numpy", "strict"]


def sample(rng):
    """A checkpoint-like tree on the active backend: every kind of leaf and container."""
    weight = minigrad.tensor(rng.standard_normal((3, 4)).astype("float32"), requires_grad=True)
    return {
        "model": {
            "encoder.0.weight": weight,                                     # a Tensor
            "encoder.0.bias": minigrad.tensor(rng.standard_normal(4)).data,  # a float64 array
            "counts": minigrad.arange(5).data,                              # int64
            "mask": (minigrad.tensor(rng.standard_normal(3)) > 0).data,    # bool
            "scalar": minigrad.tensor(np.float32(2.5)).data,                # 0-d
            "empty": minigrad.zeros(0, 3).data,
        },
        "a/b": {"x%2Fy": 1, "": 2, "%": 3},                                 # keys that look like escapes
        7: "an int key",
        "7": "a str key",
        "list": [1, 2.5, "text", None, True, False, (3, [4.0, {"deep": minigrad.ones(2).data}])],
        "tuple": (1, 2),
        "floats": [float("inf"), -0.0, 1e-300],
        "numpy_scalar": np.float64(0.25),
        "unicode ключ": "значение ✓",
        "empty_dict": {},
        "empty_list": [],
        "none": None,
    }


def expected_plain(obj):
    """``obj`` as load must give it back, with arrays on the host: Tensors and NumPy scalars as arrays,
    tuples as lists."""
    if isinstance(obj, dict):
        return {k: expected_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [expected_plain(v) for v in obj]
    if isinstance(obj, minigrad.Tensor):
        return np.array(to_numpy(obj.data))
    if isinstance(obj, np.generic):
        return np.asarray(obj)
    try:
        return np.array(to_numpy(obj))
    except TypeError:
        return obj


def assert_same(loaded, expected, backend, where="root"):
    assert type(loaded) is type(expected) or (hasattr(expected, "dtype") and backend_of(loaded) == backend), where
    if isinstance(expected, dict):
        assert list(loaded) == list(expected), where           # keys, their types and their order
        assert [type(k) for k in loaded] == [type(k) for k in expected], where
        for key in expected:
            assert_same(loaded[key], expected[key], backend, f"{where}[{key!r}]")
    elif isinstance(expected, list):
        assert len(loaded) == len(expected), where
        for i, (a, b) in enumerate(zip(loaded, expected)):
            assert_same(a, b, backend, f"{where}[{i}]")
    elif isinstance(expected, np.ndarray):
        assert backend_of(loaded) == backend, where
        host = to_numpy(loaded)
        assert host.dtype == expected.dtype and host.shape == expected.shape, where
        np.testing.assert_array_equal(host, expected, err_msg=where)
    else:
        assert loaded == expected or (loaded != loaded and expected != expected), where
        assert type(loaded) is type(expected), where


@pytest.mark.parametrize("load_backend", LOAD_BACKENDS)
@pytest.mark.parametrize("compress", [False, True], ids=["stored", "deflated"])
def test_round_trip_to_every_backend(backend, rng, tmp_path, load_backend, compress):
    obj = sample(rng)
    path = tmp_path / "checkpoint.npz"
    minigrad.save(obj, path, compress=compress)
    loaded = minigrad.load(path, backend=load_backend)
    assert_same(loaded, expected_plain(obj), load_backend)
    assert loaded["floats"][1] == 0.0 and str(loaded["floats"][1]) == "-0.0"


def test_load_defaults_to_the_active_backend(backend, rng, tmp_path):
    with minigrad.use_backend("strict" if backend == "numpy" else "numpy"):
        minigrad.save({"w": minigrad.randn(2, 2)}, tmp_path / "c.npz")
    assert backend_of(minigrad.load(tmp_path / "c.npz")["w"]) == backend


def test_nan_round_trips(tmp_path):
    minigrad.save({"x": float("nan"), "y": [float("-inf")]}, tmp_path / "c.npz")
    loaded = minigrad.load(tmp_path / "c.npz")
    assert loaded["x"] != loaded["x"] and loaded["y"] == [float("-inf")]


def test_the_file_is_a_plain_npz_with_flattened_names(backend, tmp_path):
    obj = {"model": {"encoder.0.weight": minigrad.ones(2, 3), "a/b": minigrad.zeros(1), "50%": minigrad.zeros(1)},
           "step": 3}
    minigrad.save(obj, tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == ["__minigrad_checkpoint__", "model/50%25", "model/a%2Fb",
                                         "model/encoder.0.weight"]
        np.testing.assert_array_equal(archive["model/encoder.0.weight"], np.ones((2, 3), dtype="float32"))
        manifest = json.loads(archive["__minigrad_checkpoint__"].tobytes().decode("utf-8"))
    assert manifest["format"] == "minigrad-checkpoint" and manifest["version"] == 1
    assert manifest["root"]["items"][1] == ["step", {"type": "value", "value": 3}]


def test_colliding_member_names_stay_distinct(backend, tmp_path):
    obj = {0: minigrad.ones(1), "0": minigrad.zeros(1), "__minigrad_checkpoint__": minigrad.full((1,), 7.0)}
    minigrad.save(obj, tmp_path / "c.npz")
    loaded = minigrad.load(tmp_path / "c.npz")
    assert list(loaded) == [0, "0", "__minigrad_checkpoint__"]
    assert [float(to_numpy(v)[0]) for v in loaded.values()] == [1.0, 0.0, 7.0]


@pytest.mark.parametrize("load_backend", LOAD_BACKENDS)
def test_optimizer_state_dict_through_a_file_resumes_identically(backend, rng, tmp_path, load_backend):
    start = rng.standard_normal(5)
    grads = [rng.standard_normal(5) for _ in range(4)]

    def run(optimizer, p, grads):
        for g in grads:
            p.grad = minigrad.tensor(g)
            optimizer.step()

    straight = minigrad.tensor(start, requires_grad=True)
    run(optim.Adam([straight], lr=0.1, amsgrad=True), straight, grads)

    p = minigrad.tensor(start, requires_grad=True)
    optimizer = optim.Adam([p], lr=0.1, amsgrad=True)
    run(optimizer, p, grads[:2])
    minigrad.save({"param": p, "optimizer": optimizer.state_dict()}, tmp_path / "c.npz")

    checkpoint = minigrad.load(tmp_path / "c.npz", backend=load_backend)
    with minigrad.use_backend(load_backend):
        resumed = minigrad.tensor(checkpoint["param"], requires_grad=True)
        resumed_optimizer = optim.Adam([resumed], lr=0.1, amsgrad=True)
        resumed_optimizer.load_state_dict(checkpoint["optimizer"])
        run(resumed_optimizer, resumed, grads[2:])
    np.testing.assert_array_equal(resumed.numpy(), straight.numpy())


# ----- atomic writes -----------------------------------------------------------------
def test_a_failing_write_leaves_the_old_file_intact(backend, tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    minigrad.save({"w": minigrad.ones(3), "version": 1}, path)
    before = path.read_bytes()

    calls = []
    real_write_array = np.lib.format.write_array

    def write_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        return real_write_array(*args, **kwargs)

    monkeypatch.setattr(serialization.numpy.lib.format, "write_array", write_then_fail)
    with pytest.raises(OSError, match="disk full"):
        minigrad.save({"a": minigrad.zeros(3), "b": minigrad.zeros(3), "version": 2}, path)
    monkeypatch.undo()

    assert len(calls) == 2                                  # it did fail mid-write
    assert path.read_bytes() == before
    assert minigrad.load(path)["version"] == 1
    assert os.listdir(tmp_path) == ["c.npz"]               # no temporary file left behind


def test_save_replaces_an_existing_file_and_fsyncs(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    minigrad.save({"version": 1}, path)
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(serialization.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr(serialization.os, "replace", lambda *a: (events.append("replace"), real_replace(*a)))
    minigrad.save({"version": 2}, str(path))
    assert "fsync" in events and events.index("fsync") < events.index("replace"), \
        f"save must fsync the data before renaming it into place, got {events}"
    assert minigrad.load(path)["version"] == 2
    assert os.listdir(tmp_path) == ["c.npz"]


# ----- refused objects ---------------------------------------------------------------
@pytest.mark.parametrize("bad, message", [
    (np.array([1, "a", None], dtype=object), r"\['model'\]\['bad'\] has dtype object.*without pickle"),
    (np.array(["a", "b"]), r"dtype <U1"),
    ({1, 2}, r"cannot store a set at \['model'\]\['bad'\]"),
    (object(), r"cannot store a object"),
])
def test_unsavable_objects_raise_at_save_and_write_nothing(tmp_path, bad, message):
    with pytest.raises(TypeError, match=message):
        minigrad.save({"model": {"ok": np.ones(2), "bad": bad}}, tmp_path / "c.npz")
    assert os.listdir(tmp_path) == []


def test_bad_keys_and_cycles_are_refused(tmp_path):
    with pytest.raises(TypeError, match="keys must be str or int"):
        minigrad.save({(1, 2): 3}, tmp_path / "c.npz")
    with pytest.raises(TypeError, match="keys must be str or int"):
        minigrad.save({True: 3}, tmp_path / "c.npz")
    loop = {"a": []}
    loop["a"].append(loop)
    with pytest.raises(ValueError, match=r"\['a'\]\[0\] contains itself"):
        minigrad.save(loop, tmp_path / "c.npz")
    assert os.listdir(tmp_path) == []


# ----- files that are not checkpoints --------------------------------------------------
def test_truncated_files_raise_checkpoint_error(rng, tmp_path):
    path = tmp_path / "c.npz"
    minigrad.save({"w": rng.standard_normal((50, 50)), "s": "x"}, path)
    data = path.read_bytes()
    for keep in (0, 2, 10, len(data) // 3, len(data) // 2, len(data) - 30, len(data) - 1):
        broken = tmp_path / f"broken_{keep}.npz"
        broken.write_bytes(data[:keep])
        with pytest.raises(CheckpointError, match=str(broken).replace("\\", "\\\\")):
            minigrad.load(broken)


def test_a_corrupted_member_raises_checkpoint_error(rng, tmp_path):
    path = tmp_path / "c.npz"
    minigrad.save({"w": rng.standard_normal(1000)}, path)
    data = bytearray(path.read_bytes())
    data[500] ^= 0xFF                      # inside the array's bytes: the zip CRC no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        minigrad.load(path)


def test_a_foreign_npz_raises_checkpoint_error(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, weights=np.ones(3))
    with pytest.raises(CheckpointError, match=r"foreign\.npz: not a minigrad checkpoint.*manifest.*weights"):
        minigrad.load(path)


def test_non_zip_empty_and_missing_files_raise_checkpoint_error(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match=r"notes\.txt: not a minigrad checkpoint: not a zip"):
        minigrad.load(text)
    single = tmp_path / "single.npy"
    np.save(single, np.ones(2))
    with pytest.raises(CheckpointError, match="not a zip"):
        minigrad.load(single)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"empty\.npz: the file is empty"):
        minigrad.load(empty)
    with pytest.raises(CheckpointError, match=r"missing\.npz: no such checkpoint file"):
        minigrad.load(tmp_path / "missing.npz")
    assert issubclass(CheckpointError, ValueError)


def test_a_newer_format_version_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "future.npz"
    with monkeypatch.context() as patch:
        patch.setattr(serialization, "FORMAT_VERSION", 2)
        minigrad.save({"x": 1}, path)
    with pytest.raises(CheckpointError, match="format version 2.*up to 1"):
        minigrad.load(path)


def test_a_member_that_disagrees_with_the_manifest_is_refused(tmp_path):
    path = tmp_path / "c.npz"
    minigrad.save({"w": np.ones(3)}, path)
    with np.load(path) as archive:
        manifest = archive["__minigrad_checkpoint__"]
    with zipfile.ZipFile(path, "w") as rewritten:     # same manifest, a different array
        for name, array in (("w", np.ones(4)), ("__minigrad_checkpoint__", manifest)):
            with rewritten.open(name + ".npy", "w") as member:
                np.lib.format.write_array(member, array)
    with pytest.raises(CheckpointError, match=r"'w' has dtype <f8 and shape \[4\], the manifest says <f8 and \[3\]"):
        minigrad.load(path)
