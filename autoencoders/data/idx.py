"""Read and write IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number ``0x0000TTNN`` (TT the element type, NN the number
of dimensions), NN big-endian uint32 dimension sizes, then the elements in C order.
MNIST uses type 0x08 (unsigned byte): 0x00000803 for images (N, rows, cols) and
0x00000801 for labels (N,). Files may be gzip-compressed; that is detected from the
gzip magic bytes, not from the file name.

Every check fails with a ValueError naming the file, what was expected and what was found.
"""

import gzip as _gzip
import hashlib
import zlib
from pathlib import Path

import numpy as np

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
_MAGIC_OF_KIND = {"images": IMAGES_MAGIC, "labels": LABELS_MAGIC}
_UINT8 = 0x08
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx_bytes(path):
    """The IDX bytes of ``path``, decompressed when the file is gzip."""
    path = Path(path)
    data = path.read_bytes()
    if data[:2] != _GZIP_MAGIC:
        return data
    try:
        return _gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:  # truncated stream, bad header or bad CRC
        raise ValueError(f"{path}: corrupt gzip data ({exc}); expected a complete gzip stream") from exc


def read_idx(path, kind=None, sha256=None):
    """Read a uint8 IDX file into a numpy uint8 array of the shape its header gives.

    ``kind`` ("images" or "labels") also requires that kind's magic number.
    ``sha256``, when given, must be the hex digest of the decompressed IDX bytes.
    """
    path = Path(path)
    data = read_idx_bytes(path)
    if sha256 is not None:
        found = hashlib.sha256(data).hexdigest()
        if found != sha256:
            raise ValueError(
                f"{path}: checksum mismatch: expected the sha256 of the decompressed data to be {sha256}, "
                f"found {found}; the file is corrupt or not the official one"
            )
    return parse_idx(data, kind=kind, source=path)


def parse_idx(data, kind=None, source="<bytes>"):
    """Parse IDX bytes (already decompressed); ``source`` names them in error messages."""
    if len(data) < 4:
        raise ValueError(f"{source}: not an IDX file: expected a 4-byte magic number, found {len(data)} bytes")
    magic = int.from_bytes(data[:4], "big")
    if kind is not None:
        expected = _MAGIC_OF_KIND[kind]
        if magic != expected:
            raise ValueError(
                f"{source}: bad magic number: expected 0x{expected:08x} (uint8 {kind}, {expected & 0xFF} "
                f"dimension{'s' if expected & 0xFF > 1 else ''}), found 0x{magic:08x}"
            )
    elif data[:3] != bytes([0, 0, _UINT8]) or data[3] == 0:
        raise ValueError(
            f"{source}: bad magic number: expected 0x000008NN (uint8, NN >= 1 dimensions), found 0x{magic:08x}"
        )
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(
            f"{source}: truncated header: expected {header} bytes for {ndim} dimension sizes, found {len(data)} bytes"
        )
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected_bytes = int(np.prod(shape, dtype=np.int64))
    found_bytes = len(data) - header
    if found_bytes != expected_bytes:
        problem = "truncated" if found_bytes < expected_bytes else "trailing bytes after the data"
        raise ValueError(
            f"{source}: size mismatch ({problem}): header shape {'x'.join(map(str, shape))} needs "
            f"{expected_bytes} bytes of data, found {found_bytes}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def write_idx(path, array, gzip=False):
    """Write a uint8 array as an IDX file (gzip-compressed if ``gzip``); returns the path."""
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise TypeError(f"write_idx writes uint8 arrays, got dtype {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"write_idx needs 1 to 255 dimensions, got {array.ndim}")
    header = bytes([0, 0, _UINT8, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    data = header + np.ascontiguousarray(array).tobytes()
    if gzip:
        data = _gzip.compress(data, mtime=0)
    path = Path(path)
    path.write_bytes(data)
    return path
