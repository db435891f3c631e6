"""Fetch the official MNIST / Fashion-MNIST IDX files into the user cache.

Only the user's explicit command ``autoencoders data download mnist|fashion-mnist`` calls
this; nothing else in the package touches the network. Each file is streamed into a
temporary file next to its target, checked (IDX structure, and the sha256 of its
decompressed bytes where known), then renamed into place, so an interrupted or bad
download never leaves a file that looks complete.
"""

import os
import sys
import tempfile
import urllib.request
from pathlib import Path

from autoencoders.data.datasets import IDX_FILES, IDX_SHA256, cache_dir
from autoencoders.data.idx import read_idx

# Tried in order. A plain-HTTP mirror is only used for files whose sha256 is known.
MIRRORS = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/",),
    "fashion-mnist": (
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
}
_CHUNK = 1 << 20


def download(name, dest=None, *, force=False, quiet=False):
    """Download the four IDX files of ``name`` into ``dest`` (default: the user cache); returns ``dest``.

    Files already there and valid are kept unless ``force``. Progress goes to stderr.
    """
    if name not in MIRRORS:
        raise ValueError(f"cannot download {name!r}: expected one of {', '.join(MIRRORS)}"
                         + (" (mnist-5k is embedded in the package)" if name == "mnist-5k" else ""))
    dest = Path(dest) if dest is not None else cache_dir(name)
    dest.mkdir(parents=True, exist_ok=True)
    log = (lambda *args, **kwargs: None) if quiet else _log
    for bases in IDX_FILES.values():
        for base, kind in zip(bases, ("images", "labels")):
            target = dest / f"{base}.gz"
            sha256 = IDX_SHA256[name][base]
            if target.exists() and not force and _is_valid(target, kind, sha256):
                log(f"{target}: already there")
                continue
            _fetch_from_mirrors(name, base, kind, sha256, target, log)
    return dest


def _fetch_from_mirrors(name, base, kind, sha256, target, log):
    failures = []
    for mirror in MIRRORS[name]:
        url = f"{mirror}{base}.gz"
        if not url.startswith("https://") and sha256 is None:
            failures.append(f"  {url}: skipped, plain HTTP and no known checksum")
            continue
        try:
            _fetch(url, target, kind, sha256, log)
            return
        except (OSError, ValueError) as exc:  # URLError is an OSError; ValueError: failed checks
            log(f"{url}: failed: {exc}")
            failures.append(f"  {url}: {exc}")
    raise OSError(f"{name}: could not download {base}.gz:\n" + "\n".join(failures))


def _fetch(url, target, kind, sha256, log):
    """Stream ``url`` into a temporary file, check it, then rename it to ``target``."""
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                done += len(chunk)
                of_total = f" / {total / 2**20:.1f}" if total else ""
                log(f"\r{url}: {done / 2**20:.1f}{of_total} MiB", end="")
            log("")
        read_idx(partial, kind, sha256)
        os.replace(partial, target)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise
    log(f"{target}: saved" + (", sha256 verified" if sha256 else ", structure checked (no known sha256)"))


def _is_valid(path, kind, sha256):
    try:
        read_idx(path, kind, sha256)
        return True
    except ValueError:
        return False


def _log(*args, **kwargs):
    print(*args, file=sys.stderr, flush=True, **kwargs)
