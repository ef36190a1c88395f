"""Where a dataset's arrays come from: the Keras download, an ``.npz``, or a folder or
archive of images by class (decoded once, then cached). Every reader returns the four
arrays ``load_data()`` returns, unchecked; ``common.data.loading`` checks them against the
dataset's description."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from common.basics.errors import DataError
from common.basics.files import atomic_path, sha256_of
from common.data.datasets import Dataset

Arrays = dict[str, np.ndarray]  # x_train, y_train, x_test, y_test
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
SPLITS = ("train", "test")


def keras_cache_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"


def is_downloaded(dataset: Dataset) -> bool:
    """Whether Keras' download of ``dataset`` is already in its cache (no network needed)."""
    return all((keras_cache_dir() / name).is_file() for name in dataset.keras_cache)


def read_keras(dataset: Dataset) -> Arrays:
    """``keras.datasets.<module>.load_data()``: downloads once, then reads Keras' cache."""
    import importlib

    try:
        module = importlib.import_module(f"keras.datasets.{dataset.keras_module}")
        (x_train, y_train), (x_test, y_test) = module.load_data()
    except Exception as err:  # network errors come in many types
        raise DataError(f"the Keras download failed ({type(err).__name__}: {err})") from None
    return dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def read_npz(path: Path) -> Arrays:
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except Exception as err:
        raise DataError(f"cannot read {path} as .npz: {err}") from None


def verify_checksum(path: Path) -> None:
    """If a SHA256SUMS beside ``path`` lists it, check the file against it."""
    sums = path.parent / "SHA256SUMS"
    if not sums.is_file():
        return
    expected = None
    for line in sums.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") == path.name:
            expected = parts[0].lower()
    if expected is None:
        return
    actual = sha256_of(path)
    if actual != expected:
        raise DataError(f"{path} does not match its checksum in {sums} "
                        f"(sha256 {actual[:12]}..., expected {expected[:12]}...): "
                        f"the file is damaged or was replaced; fetch it again")


# ---------------------------------------------------------------- IDX (the MNIST family)

# The official file names: the form Keras downloads Fashion-MNIST in, .gz or not.
IDX_FILES = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
             "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}
IDX_UBYTE = 0x08  # the element type byte of unsigned bytes


def is_idx_folder(folder: Path) -> bool:
    return folder.is_dir() and any(_idx_path(folder, name) for name in IDX_FILES.values())


def _idx_path(folder: Path, name: str) -> Path | None:
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def read_idx_folder(folder: Path) -> Arrays:
    """The four official IDX files (``train-images-idx3-ubyte.gz``, ...) in ``folder``,
    each checked against a SHA256SUMS beside it when one lists it."""
    arrays = {}
    for key, name in IDX_FILES.items():
        path = _idx_path(folder, name)
        if path is None:
            raise DataError(f"{folder} lacks {name}.gz (needs the four IDX files: "
                            f"{', '.join(f'{n}.gz' for n in IDX_FILES.values())})")
        verify_checksum(path)
        arrays[key] = read_idx(path, dims=3 if key.startswith("x") else 1)
    return arrays


def read_idx(path: Path, dims: int) -> np.ndarray:
    """One IDX file of unsigned bytes with ``dims`` dimensions (3: images, 1: labels)."""
    import gzip

    try:
        with (gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")) as f:
            blob = f.read()
    except (OSError, EOFError) as err:
        raise DataError(f"cannot read {path}: {err or type(err).__name__} "
                        f"(truncated or damaged? fetch it again)") from None
    magic = int.from_bytes(blob[:4], "big") if len(blob) >= 4 else -1
    if magic != (IDX_UBYTE << 8 | dims):
        raise DataError(f"{path} is not an IDX file of {dims}-dimensional unsigned bytes "
                        f"(magic number {magic:#010x}, expected {IDX_UBYTE << 8 | dims:#010x})")
    shape = tuple(int.from_bytes(blob[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    body = blob[4 + 4 * dims:]
    if len(body) != int(np.prod(shape)):
        raise DataError(f"{path} says it holds {' x '.join(map(str, shape))} bytes but has "
                        f"{len(body)}: truncated or damaged; fetch it again")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


# ---------------------------------------------------------------- decoded once, cached


def cached(path: Path, dataset: Dataset, decode: Callable[[Path], Arrays]) -> Arrays:
    """``decode(path)`` once; later loads read the cached arrays (seconds, not minutes)."""
    stat = path.stat()
    key = hashlib.sha1(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    if path.is_dir():  # a folder's own mtime misses edits to files inside it
        for file in sorted(path.rglob("*")):
            key.update(f"{file}|{file.stat().st_mtime_ns}".encode())
    cache_dir = Path(os.environ.get(dataset.cache_env,
                                    Path.home() / ".cache" / dataset.cache_name))
    cache = cache_dir / f"{path.name}-{key.hexdigest()[:16]}.npz"
    if cache.is_file():
        try:
            return read_npz(cache)
        except DataError:
            pass  # a damaged cache is rebuilt below
    if path.is_file():
        verify_checksum(path)
    arrays = decode(path)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(cache) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
    return arrays


# ---------------------------------------------------------------- images by class


def image_tree(dataset: Dataset) -> Callable[[Path], Arrays]:
    """A decoder of ``train/<class>/*`` and ``test/<class>/*`` images in a folder or archive."""
    def decode(path: Path) -> Arrays:
        files = _folder_files(path) if path.is_dir() else _archive_files(path)
        return assemble(files, dataset, str(path))
    return decode


def _folder_files(root: Path) -> Iterator[tuple[str, bytes]]:
    for file in root.rglob("*"):
        if file.is_file():
            yield file.relative_to(root).as_posix(), file.read_bytes()


def _archive_files(path: Path) -> Iterator[tuple[str, bytes]]:
    try:
        if path.name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if not info.is_dir():
                        yield info.filename, zf.read(info)
        else:
            with tarfile.open(path, "r|*") as tf:  # streamed: one pass over the gzip
                for member in tf:
                    if member.isfile():
                        yield member.name, tf.extractfile(member).read()
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as err:
        raise DataError(f"cannot read archive {path}: {err or type(err).__name__} "
                        f"(truncated or damaged? fetch it again)") from None


def _split_and_class(name: str) -> tuple[str, str] | None:
    """'any/prefix/train/cat/0001.jpg' -> ('train', 'cat'); None for files outside splits."""
    parts = name.split("/")
    for i in range(len(parts) - 2):
        if parts[i] in SPLITS and i == len(parts) - 3:
            return parts[i], parts[i + 1]
    return None


def assemble(files: Iterator[tuple[str, bytes]], dataset: Dataset, source: str) -> Arrays:
    """Decode ``(name, bytes)`` image files into the four arrays, sorted by class and name."""
    from PIL import Image, UnidentifiedImageError

    classes = dataset.class_folders
    height, width, channels = dataset.image_shape
    mode = {1: "L", 3: "RGB"}[channels]
    found: dict[str, list[tuple[str, int, np.ndarray]]] = {split: [] for split in SPLITS}
    seen: dict[str, set[str]] = {split: set() for split in SPLITS}
    for name, blob in files:
        where = _split_and_class(name)
        if where is None or Path(name).name.startswith("."):
            continue  # READMEs, licences, .DS_Store: not part of the data
        split, cls = where
        if cls not in classes:
            raise DataError(f"{source}: unknown class folder '{cls}' in {name}; "
                            f"expected the {dataset.title} classes {', '.join(classes)}")
        seen[split].add(cls)
        try:
            with Image.open(io.BytesIO(blob)) as img:
                img_mode, size = img.mode, img.size
                pixels = np.asarray(img)
        except (UnidentifiedImageError, OSError, SyntaxError) as err:
            raise DataError(f"{source}: {name} is not a readable image ({err})") from None
        if img_mode != mode:
            raise DataError(f"{source}: {name} is a {img_mode} image; {dataset.title} "
                            f"images are {mode}")
        if size != (width, height):
            raise DataError(f"{source}: {name} is {size[0]}x{size[1]}; "
                            f"expected {width}x{height}")
        found[split].append((name, classes.index(cls), pixels.reshape(dataset.image_shape)))
    arrays = {}
    for split, items in found.items():
        absent = [c for c in classes if c not in seen[split]]
        if absent:
            raise DataError(f"{source}: no {split}/<class>/ images for {', '.join(absent)} "
                            f"(expected {split}/<class>/*.png|jpg for all "
                            f"{len(classes)} classes)")
        items.sort(key=lambda item: (item[1], item[0]))  # archive order is not guaranteed
        arrays[f"x_{split}"] = np.stack([pixels for _, _, pixels in items])
        arrays[f"y_{split}"] = np.array([label for _, label, _ in items], dtype=np.int64)
    return arrays
