"""Small CIFAR-shaped datasets the tests generate, in every format the loader reads, and a
results folder of run records."""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from common.data.datasets import CIFAR10
from common.data.loading import Splits, load
from tests.run_records import fill_records

CLASS_NAMES = CIFAR10.class_names

PER_CLASS_TRAIN, PER_CLASS_TEST = 12, 4


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's cache, $CIFAR10_DATA or the real Keras cache."""
    monkeypatch.setenv(CIFAR10.cache_env, str(tmp_path / "cache"))
    monkeypatch.delenv(CIFAR10.data_env, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    """A results folder holding two CIFAR-10 steps' records (``run_records``)."""
    return fill_records(tmp_path)


def load_cifar10(data: str | None = None) -> Splits:
    """CIFAR-10 from ``data``, as the experiments load it."""
    return load(CIFAR10, data)


def make_arrays(seed: int = 0) -> dict[str, np.ndarray]:
    """Random images whose mean brightness depends on the class, so a model can learn."""
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", PER_CLASS_TRAIN), ("test", PER_CLASS_TEST)):
        y = np.repeat(np.arange(10), n)
        base = (y * 25)[:, None, None, None]
        x = np.clip(base + rng.integers(-20, 20, size=(len(y), 32, 32, 3)), 0, 255)
        out[f"x_{split}"], out[f"y_{split}"] = x.astype(np.uint8), y.astype(np.int64)
    return out


def encode(pixels: np.ndarray, fmt: str = "PNG", mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).convert(mode).save(buf, format=fmt)
    return buf.getvalue()


def image_files(arrays: dict[str, np.ndarray], fmt: str = "PNG") -> dict[str, bytes]:
    """{'train/cat/0000.png': bytes, ...} in the layout of the shared archive."""
    ext = "png" if fmt == "PNG" else "jpg"
    files = {}
    for split in ("train", "test"):
        for i, (pixels, label) in enumerate(zip(arrays[f"x_{split}"], arrays[f"y_{split}"],
                                                strict=True)):
            files[f"{split}/{CLASS_NAMES[label]}/{i:04d}.{ext}"] = encode(pixels, fmt)
    return files


def write_folder(root: Path, files: dict[str, bytes]) -> Path:
    for name, blob in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(blob)
    return root


def write_tar(path: Path, files: dict[str, bytes], prefix: str = "") -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, blob in files.items():
            info = tarfile.TarInfo(prefix + name)
            info.size = len(blob)
            tf.addfile(info, io.BytesIO(blob))
    return path


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, blob in files.items():
            zf.writestr(name, blob)
    return path


@pytest.fixture
def arrays() -> dict[str, np.ndarray]:
    return make_arrays()


@pytest.fixture
def npz_path(tmp_path: Path, arrays: dict[str, np.ndarray]) -> Path:
    path = tmp_path / "tiny.npz"
    np.savez(path, **arrays)
    return path


REPO = Path(__file__).resolve().parents[1]


def run_python(code: str, backend: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter under ``KERAS_BACKEND=backend``."""
    return run_under(backend, ["-c", code], timeout)


def run_under(backend: str, args: list[str], timeout: int = 600,
              **env: str) -> subprocess.CompletedProcess:
    """``python *args`` under ``KERAS_BACKEND=backend`` (a backend is chosen once per
    process) and ``env``; skip the test where that backend is not installed."""
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install -r requirements-backends.txt)")
    done = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout,
                          env={**os.environ, "KERAS_BACKEND": backend, **env})
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def saved_h5(folder: Path, name: str) -> Path:
    """The one .h5 a run of experiment ``name`` saved in ``folder``: ``<name>.h5``, or named
    by the options it ran with (``<name>-epochs2-...h5``: ``Settings.file_stem``)."""
    [path] = [p for p in Path(folder).glob(f"{name}*.h5")
              if p.stem == name or p.stem.startswith(f"{name}-")]
    return path


def backup_dir(folder: Path, name: str) -> Path:
    """The one backup folder of a run of experiment ``name`` under ``folder``/checkpoints."""
    [path] = [p for p in (Path(folder) / "checkpoints").glob(f"{name}*-seed*") if p.is_dir()]
    return path


def backup_of(folder: Path, name: str, seed: int = 0, **changes: object) -> Path:
    """The backup folder a run of experiment ``name`` with these settings ``changes``
    (``epochs=4, batch_size=8``) keeps under ``folder``/checkpoints: named by the options
    it differs from the recipe in (``Settings.file_stem``), before it exists."""
    from dataclasses import replace

    from common.config.registry import find_experiment
    settings = find_experiment(name).settings
    stem = replace(settings, **changes).file_stem(name, settings)
    return Path(folder) / "checkpoints" / f"{stem}-seed{seed}"
