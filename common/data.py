"""CIFAR-10 from any of three sources, decoded once and cached.

Sources (``--data``, default from ``$CIFAR10_DATA``, else ``auto``):

* ``keras``  - ``keras.datasets.cifar10.load_data()`` (downloads once, then Keras' cache);
* a folder or a ``.tar.gz``/``.tgz``/``.tar``/``.zip`` archive of ``train/<class>/*`` and
  ``test/<class>/*`` images (PNG or JPEG), read in place;
* an ``.npz`` holding ``x_train, y_train, x_test, y_test`` (uint8 pixels, labels 0-9).

``auto`` uses the Keras cache if it is already there, else the offline copy at
``../shared/datasets/cifar10-jpeg.tar.gz`` next to the repository, else the Keras download.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from common.errors import DataError
from common.files import atomic_path, sha256_of

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck")
IMAGE_SHAPE = (32, 32, 3)
DATA_ENV = "CIFAR10_DATA"
CACHE_ENV = "CIFAR10_CACHE"
REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_COPY = REPO_ROOT.parent / "shared" / "datasets" / "cifar10-jpeg.tar.gz"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
SPLIT_SEED = 0  # fixed, so every run and seed is validated on the same images


@dataclass
class Cifar10:
    """uint8 images (N, 32, 32, 3) and int labels (N,), as ``load_data()`` gives them."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # what was read, for run records: "keras" or a path


def load_cifar10(data: str | None = None) -> Cifar10:
    """Load CIFAR-10 from ``data`` (see module docstring); raise DataError if impossible."""
    data = data or os.environ.get(DATA_ENV) or "auto"
    if data == "auto":
        return _load_auto()
    if data == "keras":
        return _load_keras()
    path = Path(data).expanduser()
    if not path.exists():
        raise DataError(f"data path {path} does not exist; give --data a folder, an archive "
                        f"({', '.join(ARCHIVE_SUFFIXES)}), an .npz, or 'keras'")
    if path.is_dir():
        return _cached(path, _read_folder)
    name = path.name.lower()
    if name.endswith(".npz"):
        verify_checksum(path)
        return _load_npz(path)
    if name.endswith(ARCHIVE_SUFFIXES):
        return _cached(path, _read_archive)
    raise DataError(f"don't know how to read {path}: expected a folder, an archive "
                    f"({', '.join(ARCHIVE_SUFFIXES)}) or an .npz")


def _keras_cache_dir() -> Path:
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return keras_home / "datasets" / "cifar-10-batches-py"


def _load_auto() -> Cifar10:
    cache = _keras_cache_dir()
    if (cache / "data_batch_1").is_file() and (cache / "test_batch").is_file():
        return _load_keras()  # downloaded before: no network needed
    if SHARED_COPY.is_file():
        return load_cifar10(str(SHARED_COPY))
    try:
        return _load_keras()
    except DataError as err:
        raise DataError(
            f"no CIFAR-10 found: ${DATA_ENV} is not set, no Keras cache at "
            f"{_keras_cache_dir()}, no offline copy at {SHARED_COPY}, and {err}. "
            f"Provide data with --data PATH or {DATA_ENV}=PATH (a folder or archive of "
            f"train/<class>/*, test/<class>/* images, or an .npz)") from None


def _load_keras() -> Cifar10:
    import keras  # deferred: importing Keras takes seconds

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    except Exception as err:  # network errors come in many types
        raise DataError(f"the Keras download failed ({type(err).__name__}: {err})") from None
    return _checked(dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test),
                    "keras")


# ---------------------------------------------------------------- .npz


def _load_npz(path: Path) -> Cifar10:
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except Exception as err:
        raise DataError(f"cannot read {path} as .npz: {err}") from None
    return _checked(arrays, str(path))


def _checked(arrays: dict[str, np.ndarray], source: str) -> Cifar10:
    """Validate keys, shapes, dtypes and labels; flatten (N, 1) labels to (N,)."""
    missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in arrays]
    if missing:
        raise DataError(f"{source} lacks {', '.join(missing)} "
                        f"(needs x_train, y_train, x_test, y_test)")
    out = {}
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], np.asarray(arrays[f"y_{split}"])
        if x.ndim != 4 or x.shape[1:] != IMAGE_SHAPE:
            raise DataError(f"{source}: x_{split} has shape {x.shape}, expected (N, 32, 32, 3)")
        if x.dtype != np.uint8:
            raise DataError(f"{source}: x_{split} is {x.dtype}, expected uint8 pixels 0-255")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.shape != (len(x),):
            raise DataError(f"{source}: y_{split} has shape {y.shape}, expected ({len(x)},)")
        if not np.issubdtype(y.dtype, np.integer) or y.size and (y.min() < 0 or y.max() > 9):
            raise DataError(f"{source}: y_{split} must hold integer labels 0-9")
        out[f"x_{split}"], out[f"y_{split}"] = x, y.astype(np.int64)
    return Cifar10(**out, source=source)


# ---------------------------------------------------------------- checksums


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


# ---------------------------------------------------------------- image trees


def _cached(path: Path, read) -> Cifar10:
    """Decode ``path`` once; later loads read the cached arrays (seconds, not minutes)."""
    stat = path.stat()
    key = hashlib.sha1(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    if path.is_dir():  # a folder's own mtime misses edits to files inside it
        for file in sorted(path.rglob("*")):
            key.update(f"{file}|{file.stat().st_mtime_ns}".encode())
    cache_dir = Path(os.environ.get(CACHE_ENV, Path.home() / ".cache" / "cifar10-steps"))
    cache = cache_dir / f"{path.name}-{key.hexdigest()[:16]}.npz"
    if cache.is_file():
        try:
            return replace(_load_npz(cache), source=str(path))
        except DataError:
            pass  # a damaged cache is rebuilt below
    if path.is_file():
        verify_checksum(path)
    data = _assemble(read(path), str(path))
    cache_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(cache) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, x_train=data.x_train, y_train=data.y_train,
                     x_test=data.x_test, y_test=data.y_test)
    return data


def _read_folder(root: Path) -> Iterator[tuple[str, bytes]]:
    for file in root.rglob("*"):
        if file.is_file():
            yield file.relative_to(root).as_posix(), file.read_bytes()


def _read_archive(path: Path) -> Iterator[tuple[str, bytes]]:
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
        if parts[i] in ("train", "test") and i == len(parts) - 3:
            return parts[i], parts[i + 1]
    return None


def _assemble(files: Iterator[tuple[str, bytes]], source: str) -> Cifar10:
    from PIL import Image, UnidentifiedImageError

    found: dict[str, list[tuple[str, int, np.ndarray]]] = {"train": [], "test": []}
    seen_classes: dict[str, set[str]] = {"train": set(), "test": set()}
    for name, blob in files:
        where = _split_and_class(name)
        if where is None or Path(name).name.startswith("."):
            continue  # READMEs, licences, .DS_Store: not part of the data
        split, cls = where
        if cls not in CLASS_NAMES:
            raise DataError(f"{source}: unknown class folder '{cls}' in {name}; "
                            f"expected the CIFAR-10 classes {', '.join(CLASS_NAMES)}")
        seen_classes[split].add(cls)
        try:
            with Image.open(io.BytesIO(blob)) as img:
                mode, size = img.mode, img.size
                pixels = np.asarray(img)
        except (UnidentifiedImageError, OSError, SyntaxError) as err:
            raise DataError(f"{source}: {name} is not a readable image ({err})") from None
        if mode != "RGB":
            raise DataError(f"{source}: {name} is a {mode} image; CIFAR-10 images are RGB")
        if size != (32, 32):
            raise DataError(f"{source}: {name} is {size[0]}x{size[1]}; expected 32x32")
        found[split].append((name, CLASS_NAMES.index(cls), pixels))
    arrays = {}
    for split, items in found.items():
        absent = [c for c in CLASS_NAMES if c not in seen_classes[split]]
        if absent:
            raise DataError(f"{source}: no {split}/<class>/ images for {', '.join(absent)} "
                            f"(expected {split}/<class>/*.png|jpg for all 10 classes)")
        items.sort(key=lambda item: (item[1], item[0]))  # archive order is not guaranteed
        arrays[f"x_{split}"] = np.stack([pixels for _, _, pixels in items])
        arrays[f"y_{split}"] = np.array([label for _, label, _ in items], dtype=np.int64)
    return _checked(arrays, source)


# ---------------------------------------------------------------- model inputs


def train_val_split(labels: np.ndarray, val_fraction: float = 0.1,
                    seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Class-balanced, reproducible split: ``val_fraction`` of each class, shuffled."""
    rng = np.random.default_rng(seed)
    train_idx, val_idx = [], []
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        n_val = max(int(round(len(idx) * val_fraction)), 1)  # small data: still a curve
        val_idx.append(idx[:n_val])
        train_idx.append(idx[n_val:])
    return rng.permutation(np.concatenate(train_idx)), rng.permutation(np.concatenate(val_idx))


def scale(x: np.ndarray) -> np.ndarray:
    """uint8 pixels -> float32 in [0, 1], as in the slides."""
    return x.astype(np.float32) / 255.0


def one_hot(y: np.ndarray) -> np.ndarray:
    """Integer labels -> one-hot float32 rows (the slides' categorical_crossentropy)."""
    return np.eye(len(CLASS_NAMES), dtype=np.float32)[y]
