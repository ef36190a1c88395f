"""What data a run read, named by its content: two copies of one dataset are one source
wherever they sit, and a record never holds a path of the machine that wrote it.

A file's identity is its SHA-256 (the checksum ``SHA256SUMS`` lists beside the offline
copies); a folder's is the SHA-256 of its own ``SHA256SUMS``-style listing (each file's
checksum and relative name); the Keras download's is that of the files Keras keeps in its
cache (the folder or file it unpacks there).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from common.basics.files import sha256_of
from common.basics.paths import relative_inside
from common.data.datasets import Dataset
from common.data.sources import keras_cache_dir

CHECKSUM_LISTS = ("SHA256SUMS", "MD5SUMS")  # about the data, not part of it


def content_sha256(path: Path) -> str:
    """The SHA-256 of a file, or of a folder's listing of its files' SHA-256s."""
    path = Path(path)
    if path.is_file():
        stat = path.stat()
        return _file_sha256(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    files = sorted(f for f in path.rglob("*") if f.is_file() and f.name not in CHECKSUM_LISTS
                   and not any(part.startswith(".") for part in f.relative_to(path).parts))
    listing = "".join(f"{content_sha256(f)}  {f.relative_to(path).as_posix()}\n"
                      for f in files)
    return hashlib.sha256(listing.encode()).hexdigest()


@functools.cache
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    """Hashed once a process for a file as it is (its size and time key the cache)."""
    return sha256_of(Path(path))


def keras_download(dataset: Dataset) -> Path:
    """The file or folder Keras keeps ``dataset`` in once it is downloaded."""
    roots = {name.split("/")[0] for name in dataset.keras_cache}
    return keras_cache_dir() / roots.pop()


def describe(source: str, dataset: Dataset) -> dict:
    """How a record names its data: the dataset, the source's name ('keras' or the file or
    folder name), its content's SHA-256, and its path when inside the repository."""
    path = keras_download(dataset) if source == "keras" else Path(source)
    return {"dataset": dataset.name, "source": "keras" if source == "keras" else path.name,
            "sha256": content_sha256(path), "path": relative_inside(path)}


def identity(data: dict) -> dict:
    """What of a record's data makes a recipe: the dataset, the content, and the --limit a
    quick check trained with (its few images are another recipe, never one more seed)."""
    found = {"dataset": data["dataset"], "sha256": data["sha256"]}
    return {**found, "limit": data["limit"]} if data.get("limit") else found
