"""Load a dataset from any of its sources, checked against its description.

Sources (``--data``, default from the dataset's environment variable, else ``auto``):

* ``keras``  - ``keras.datasets.<name>.load_data()`` (downloads once, then Keras' cache);
* a folder or a ``.tar.gz``/``.tgz``/``.tar``/``.zip`` archive of ``train/<class>/*`` and
  ``test/<class>/*`` images (PNG or JPEG), decoded once and cached;
* an ``.npz`` holding ``x_train, y_train, x_test, y_test`` (uint8 pixels, integer labels);
* a folder of the four official IDX files (``train-images-idx3-ubyte.gz``, ...), the form
  Keras downloads Fashion-MNIST in.

``auto`` uses the Keras cache if it is already there, else the dataset's offline copy
beside the repository (``../shared/datasets/``), else the Keras download.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.basics.errors import DataError
from common.data import sources
from common.data.datasets import Dataset, get_dataset
from common.data.identity import describe

SPLIT_SEED = 0  # fixed, so every run and seed is validated on the same images


@dataclass
class Splits:
    """uint8 images (N, *image_shape) and int labels (N,), as ``load_data()`` gives them."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # what was read: "keras" or a path
    dataset: Dataset

    def describe(self) -> dict:
        """How a record names this data: by its content, not by where it sits."""
        return describe(self.source, self.dataset)


def load(dataset: Dataset, data: str | None = None) -> Splits:
    """Load ``dataset`` from ``data`` (see module docstring); raise DataError if impossible."""
    if dataset.subset_of is not None:
        return subset(load(get_dataset(dataset.subset_of), data), dataset)
    data = data or os.environ.get(dataset.data_env) or "auto"
    if data == "auto":
        return _load_auto(dataset)
    if data == "keras":
        return checked(sources.read_keras(dataset), dataset, "keras")
    path = Path(data).expanduser()
    forms = (f"a folder (of images by class, or of IDX files), an archive "
             f"({', '.join(sources.ARCHIVE_SUFFIXES)}), an .npz")
    if not path.exists():
        raise DataError(f"data path {path} does not exist; give --data {forms}, or 'keras'")
    name = path.name.lower()
    if sources.is_idx_folder(path):
        arrays = sources.read_idx_folder(path)
    elif path.is_dir() or name.endswith(sources.ARCHIVE_SUFFIXES):
        arrays = sources.cached(path, dataset, sources.image_tree(dataset))
    elif name.endswith(".npz"):
        sources.verify_checksum(path)
        arrays = sources.read_npz(path)
    else:
        raise DataError(f"don't know how to read {path}: expected {forms}")
    return checked(arrays, dataset, str(path))


def subset(splits: Splits, dataset: Dataset) -> Splits:
    """The images of ``splits`` in ``dataset``'s classes (a subset), relabelled."""
    relabel = np.full(splits.dataset.num_classes, -1)
    relabel[list(dataset.parent_labels)] = np.arange(dataset.num_classes)
    kept = {}
    for part in ("train", "test"):
        x, y = getattr(splits, f"x_{part}"), getattr(splits, f"y_{part}")
        keep = relabel[y] >= 0
        kept[f"x_{part}"], kept[f"y_{part}"] = x[keep], relabel[y[keep]]
    return Splits(**kept, source=splits.source, dataset=dataset)


def labelled_per_class(train_idx: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """The first ``count`` indices of each class in ``train_idx`` (in its order): a scarce
    labelled set; the same images for every method and seed."""
    taken = [i for c in np.unique(labels) for i in train_idx[labels[train_idx] == c][:count]]
    return np.sort(np.array(taken, dtype=train_idx.dtype))


def _load_auto(dataset: Dataset) -> Splits:
    if sources.is_downloaded(dataset):
        return checked(sources.read_keras(dataset), dataset, "keras")
    if dataset.offline_copy.exists():
        return load(dataset, str(dataset.offline_copy))
    try:
        return checked(sources.read_keras(dataset), dataset, "keras")
    except DataError as err:
        raise DataError(
            f"no {dataset.title} found: ${dataset.data_env} is not set, no Keras cache in "
            f"{sources.keras_cache_dir()}, no offline copy at {dataset.offline_copy}, and "
            f"{err}. Provide data with --data PATH or {dataset.data_env}=PATH (a folder or "
            f"archive of train/<class>/*, test/<class>/* images, or an .npz)") from None


def checked(arrays: dict[str, np.ndarray], dataset: Dataset, source: str) -> Splits:
    """Validate keys, shapes, dtypes and labels against ``dataset``; flatten (N, 1) labels
    and give single-channel images their channel axis."""
    missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in arrays]
    if missing:
        raise DataError(f"{source} lacks {', '.join(missing)} "
                        f"(needs x_train, y_train, x_test, y_test)")
    shape, top = dataset.image_shape, dataset.num_classes - 1
    out = {}
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], np.asarray(arrays[f"y_{split}"])
        if shape[-1] == 1 and x.ndim == 3:
            x = x[..., None]  # (N, 28, 28) as Keras gives MNIST
        if x.ndim != 4 or x.shape[1:] != shape:
            raise DataError(f"{source}: x_{split} has shape {x.shape}, expected "
                            f"(N, {', '.join(map(str, shape))}) for {dataset.title}")
        if x.dtype != np.uint8:
            raise DataError(f"{source}: x_{split} is {x.dtype}, expected uint8 pixels 0-255")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.shape != (len(x),):
            raise DataError(f"{source}: y_{split} has shape {y.shape}, expected ({len(x)},)")
        if not np.issubdtype(y.dtype, np.integer) or y.size and (y.min() < 0 or y.max() > top):
            raise DataError(f"{source}: y_{split} must hold integer labels 0-{top}")
        out[f"x_{split}"], out[f"y_{split}"] = x, y.astype(np.int64)
    return Splits(**out, source=source, dataset=dataset)


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


def one_hot(y: np.ndarray, num_classes: int) -> np.ndarray:
    """Integer labels -> one-hot float32 rows (the slides' categorical_crossentropy)."""
    return np.eye(num_classes, dtype=np.float32)[y]
