"""Checkpoints: ``save(obj, path)`` and ``load(path, backend=None)``, without pickle.

What can be saved
-----------------
``obj`` is a tree of

* dicts whose keys are ``str`` or ``int`` (order and key types are kept),
* lists and tuples (both come back as lists),
* arrays of any backend, and Tensors (stored as their array; they come back as
  arrays), of a boolean, integer, unsigned, floating or complex dtype; NumPy
  scalars (``numpy.float32(1.5)``) are stored as, and come back as, 0-d arrays,
* plain values: ``None``, ``bool``, ``int``, ``float`` (NaN and infinities too), ``str``.

Anything else (an object array, a set, a custom class) raises ``TypeError`` naming
its place in the tree, before any file is touched: a checkpoint never needs
pickle, so loading one never runs code.

The file format (version 1)
---------------------------
A ``.npz`` file (a zip archive of ``.npy`` members, as ``numpy.savez`` writes;
compressed with ``save(..., compress=True)``), readable by ``numpy.load(path,
allow_pickle=False)``:

* one member per array, named by its path in the tree: the keys from the root,
  joined by ``/`` (``model/encoder.0.weight``, ``optimizer/state/0/exp_avg``).
  In a key, ``%`` is written ``%25`` and ``/`` is written ``%2F``; an empty key is
  written ``%``. A name already taken gets a ``~1``, ``~2`` ... suffix. The names
  are for people reading the file; the manifest says which member is which.
* the member ``__minigrad_checkpoint__``: a ``uint8`` array holding UTF-8 JSON::

      {"format": "minigrad-checkpoint", "version": 1, "root": NODE}

  where a NODE is one of
  ``{"type": "dict", "items": [[key, NODE], ...]}`` (a JSON string or integer key),
  ``{"type": "list", "items": [NODE, ...]}``,
  ``{"type": "array", "member": name, "dtype": "float32", "shape": [3, 4]}``,
  ``{"type": "value", "value": v}`` (null, true/false, a number or a string).

Writing is atomic: the file is written to a temporary file in the same directory,
flushed and fsynced, then renamed over ``path`` (``os.replace``). A crash or an
error mid-write leaves any previous file at ``path`` intact.

Reading checks the file and raises :class:`CheckpointError` (a ``ValueError``)
naming the path and the problem: missing, empty, not a zip archive, truncated or
corrupt, a foreign ``.npz`` without the manifest, a newer format version, or a
member that does not match the manifest.
"""

import json
import os
import secrets
import zipfile

import numpy
import numpy.lib.format

from minigrad import backend as _backend
from minigrad.tensor import Tensor

FORMAT_NAME = "minigrad-checkpoint"
FORMAT_VERSION = 1
MANIFEST = "__minigrad_checkpoint__"
_ARRAY_KINDS = "biufc"  # bool, signed, unsigned, float, complex: no pickle, and CuPy can hold them


class CheckpointError(ValueError):
    """A file cannot be read as a minigrad checkpoint; the message names the path and why."""


# ----- saving ----------------------------------------------------------------------------
def save(obj, path, compress=False):
    """Write ``obj`` (see the module docstring) to ``path`` atomically, as an ``.npz`` file.

    ``path`` is used as given (no ``.npz`` is appended). Arrays on a GPU are copied
    to the host one at a time while writing.
    """
    path = os.fspath(path)
    members = []   # (member name, array of any backend)
    root = _describe(obj, (), members, {MANIFEST}, set())
    manifest = json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION, "root": root})
    manifest = numpy.frombuffer(manifest.encode("utf-8"), dtype=numpy.uint8)

    compression = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    directory, base = os.path.split(os.path.abspath(path))
    temp, handle = _create_temp(directory, base)
    try:
        with handle:
            with zipfile.ZipFile(handle, mode="w", compression=compression, allowZip64=True) as archive:
                for name, array in members:
                    _write_member(archive, name, _backend.to_numpy(array))
                _write_member(archive, MANIFEST, manifest)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _describe(obj, where, members, taken, active):
    """The manifest node of ``obj``; its arrays are appended to ``members``."""
    if isinstance(obj, numpy.generic):   # before the plain values: numpy.float64 is a float
        obj = numpy.asarray(obj)
    elif obj is None or isinstance(obj, (bool, int, float, str)):
        return {"type": "value", "value": obj}
    elif isinstance(obj, Tensor):
        obj = obj.data
    if isinstance(obj, (dict, list, tuple)):
        if id(obj) in active:
            raise ValueError(f"save: the object at {_show(where)} contains itself")
        active.add(id(obj))
        if isinstance(obj, dict):
            items = []
            for key, value in obj.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise TypeError(f"save: dict keys must be str or int, got {type(key).__name__} key {key!r} "
                                    f"at {_show(where)}")
                items.append([key, _describe(value, where + (key,), members, taken, active)])
            node = {"type": "dict", "items": items}
        else:
            node = {"type": "list",
                    "items": [_describe(value, where + (i,), members, taken, active) for i, value in enumerate(obj)]}
        active.discard(id(obj))
        return node
    try:
        _backend.backend_of(obj)
    except TypeError:
        raise TypeError(f"save: cannot store a {type(obj).__name__} at {_show(where)}; a checkpoint holds dicts, "
                        "lists, tuples, arrays, Tensors, None, bool, int, float and str") from None
    if obj.dtype.kind not in _ARRAY_KINDS:
        raise TypeError(f"save: the array at {_show(where)} has dtype {obj.dtype}, which cannot be stored without "
                        "pickle; checkpoints hold boolean and numeric arrays only (convert it, or store it as "
                        "a list of plain values)")
    name = _member_name(where, taken)
    members.append((name, obj))
    return {"type": "array", "member": name, "dtype": obj.dtype.str, "shape": list(obj.shape)}


def _member_name(where, taken):
    parts = [str(key).replace("%", "%25").replace("/", "%2F") or "%" for key in where]
    name = base = "/".join(parts) or "%"
    suffix = 0
    while name in taken:
        suffix += 1
        name = f"{base}~{suffix}"
    taken.add(name)
    return name


def _show(where):
    return "the root" if not where else "".join(f"[{key!r}]" for key in where)


def _write_member(archive, name, array):
    with archive.open(name + ".npy", mode="w", force_zip64=True) as member:
        numpy.lib.format.write_array(member, numpy.asanyarray(array), allow_pickle=False)


def _create_temp(directory, base):
    """A new file next to the target (same file system, so os.replace is atomic)."""
    while True:
        temp = os.path.join(directory, f".{base}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue
        return temp, os.fdopen(fd, "wb")


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ----- loading ---------------------------------------------------------------------------
def load(path, backend=None):
    """Read a checkpoint written by :func:`save`; arrays are placed on ``backend``.

    ``backend`` ("numpy", "cupy", "strict") defaults to the active backend,
    whichever backend saved the file. Raises :class:`CheckpointError` for a file
    that is missing or is not a valid checkpoint.
    """
    path = os.fspath(path)
    target = _backend.get_backend() if backend is None else backend
    _backend.module_for(target)  # an unknown or unavailable backend fails here, before reading
    _check_zip_signature(path)
    try:
        with numpy.load(path, allow_pickle=False) as archive:
            if MANIFEST not in archive.files:
                shown = ", ".join(archive.files[:5]) + (" ..." if len(archive.files) > 5 else "")
                raise CheckpointError(f"{path}: not a minigrad checkpoint: the .npz has no '{MANIFEST}' manifest "
                                      f"(its members: {shown or 'none'}); was it written by minigrad.save?")
            root = _read_manifest(archive, path)
            return _rebuild(root, archive, path, target)
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: the file is truncated or corrupt ({type(exc).__name__}: {exc})") from exc


def _check_zip_signature(path):
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except FileNotFoundError as exc:
        raise CheckpointError(f"{path}: no such checkpoint file") from exc
    except IsADirectoryError as exc:
        raise CheckpointError(f"{path}: is a directory, not a checkpoint file") from exc
    if not head:
        raise CheckpointError(f"{path}: the file is empty (an interrupted write?)")
    if head not in (b"PK\x03\x04", b"PK\x05\x06"):
        raise CheckpointError(f"{path}: not a minigrad checkpoint: not a zip (.npz) archive "
                              f"(it starts with {head!r})")


def _read_manifest(archive, path):
    raw = archive[MANIFEST]
    if raw.dtype != numpy.uint8 or raw.ndim != 1:
        raise CheckpointError(f"{path}: the manifest is not a uint8 vector (dtype {raw.dtype}, shape {raw.shape})")
    try:
        manifest = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: the manifest is not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME or "root" not in manifest:
        raise CheckpointError(f"{path}: the manifest does not describe a {FORMAT_NAME}")
    version = manifest.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format version {version!r}, but this minigrad reads versions up "
                              f"to {FORMAT_VERSION}; upgrade minigrad to read it")
    return manifest["root"]


def _rebuild(node, archive, path, target):
    kind = node.get("type") if isinstance(node, dict) else None
    if kind == "value":
        return node["value"]
    if kind == "dict":
        return {key: _rebuild(value, archive, path, target) for key, value in node["items"]}
    if kind == "list":
        return [_rebuild(value, archive, path, target) for value in node["items"]]
    if kind == "array":
        name = node["member"]
        if name not in archive.files:
            raise CheckpointError(f"{path}: the manifest lists the array '{name}', which the file does not hold")
        array = archive[name]
        if array.dtype.str != node["dtype"] or list(array.shape) != node["shape"]:
            raise CheckpointError(f"{path}: the array '{name}' has dtype {array.dtype.str} and shape "
                                  f"{list(array.shape)}, the manifest says {node['dtype']} and {node['shape']}")
        return _backend.to_backend(array, target)
    raise CheckpointError(f"{path}: the manifest holds an unknown node {str(node)[:80]!r}")
