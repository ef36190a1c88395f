"""Fashion-MNIST (and MNIST) from every form they come in, and the bad inputs a user can hit."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import encode, write_folder, write_tar

from common.basics.errors import DataError
from common.data import sources as data_sources
from common.data.datasets import FASHION_MNIST, MNIST
from common.data.loading import load

NAMES = data_sources.IDX_FILES  # x_train -> "train-images-idx3-ubyte", ...
# The MD5 sums Zalando Research publishes in the dataset's README.
OFFICIAL_MD5 = {"train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
                "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
                "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310"}


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FASHION_MNIST.cache_env, str(tmp_path / "cache"))
    monkeypatch.delenv(FASHION_MNIST.data_env, raising=False)


def small_arrays(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", 3), ("test", 1)):
        y = np.repeat(np.arange(10), n).astype(np.uint8)
        out[f"x_{split}"] = rng.integers(0, 256, (len(y), 28, 28), dtype=np.uint8)
        out[f"y_{split}"] = y
    return out


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file of unsigned bytes, as the official files are written."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.tobytes()


def write_idx_folder(folder: Path, arrays: dict[str, np.ndarray],
                     sums: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for key, name in NAMES.items():
        path = folder / f"{name}.gz"
        path.write_bytes(gzip.compress(idx_bytes(arrays[key]), mtime=0))
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}")
    if sums:
        (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    return folder


def assert_same(loaded, arrays: dict[str, np.ndarray]) -> None:
    for key in ("x_train", "x_test"):
        np.testing.assert_array_equal(getattr(loaded, key)[..., 0], arrays[key], err_msg=key)
    for key in ("y_train", "y_test"):
        np.testing.assert_array_equal(getattr(loaded, key), arrays[key], err_msg=key)


def test_official_idx_files_in_a_folder(tmp_path: Path) -> None:
    arrays = small_arrays()
    loaded = load(FASHION_MNIST, str(write_idx_folder(tmp_path / "fm", arrays)))
    assert loaded.x_train.shape == (30, 28, 28, 1) and loaded.x_train.dtype == np.uint8
    assert_same(loaded, arrays)


def test_auto_finds_the_keras_download_first_then_the_offline_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = write_idx_folder(tmp_path / "copy", small_arrays(1))
    described = replace(FASHION_MNIST, offline_copy=copy)
    assert load(described).source == str(copy)  # no Keras cache: the offline copy
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    downloaded = write_idx_folder(tmp_path / "keras_home" / "datasets" / "fashion-mnist",
                                  small_arrays(2), sums=False)
    assert data_sources.is_downloaded(FASHION_MNIST)

    def keras_load(dataset: object) -> dict:  # what keras.datasets.fashion_mnist reads there
        return data_sources.read_idx_folder(downloaded)

    monkeypatch.setattr(data_sources, "read_keras", keras_load)
    loaded = load(described)
    assert loaded.source == "keras"
    assert_same(loaded, small_arrays(2))


def png_files(arrays: dict[str, np.ndarray]) -> dict[str, bytes]:
    return {f"{split}/{FASHION_MNIST.class_folders[label]}/{i:04d}.png": encode(pixels, mode="L")
            for split in ("train", "test")
            for i, (pixels, label) in enumerate(zip(arrays[f"x_{split}"],
                                                    arrays[f"y_{split}"], strict=True))}


def test_pngs_by_class_in_a_folder_or_archive_and_an_npz(tmp_path: Path) -> None:
    arrays = small_arrays()
    files = png_files(arrays)
    assert "train/T-shirt_top/0000.png" in files  # "/" cannot be in a folder name
    for source in (write_folder(tmp_path / "tree", files),
                   write_tar(tmp_path / "fm.tar.gz", files, prefix="fashion/")):
        loaded = load(FASHION_MNIST, str(source))
        order = np.argsort(arrays["y_train"], kind="stable")  # the tree sorts by class
        np.testing.assert_array_equal(loaded.x_train[..., 0], arrays["x_train"][order])
        np.testing.assert_array_equal(loaded.y_train, arrays["y_train"][order])
    np.savez(tmp_path / "fm.npz", **arrays)  # (N, 28, 28), as Keras gives it
    assert_same(load(FASHION_MNIST, str(tmp_path / "fm.npz")), arrays)


def corrupt(folder: Path, name: str, change) -> None:
    path = folder / f"{name}.gz"
    path.write_bytes(change(path.read_bytes()))


@pytest.mark.parametrize("change, match", [
    (lambda blob: blob[: len(blob) // 2], "truncated or damaged"),  # a cut-off download
    (lambda blob: gzip.compress(b"\x00\x00\x08\x01" + gzip.decompress(blob)[4:]),
     "not an IDX file of 3-dimensional unsigned bytes"),  # labels' magic on the images
    (lambda blob: gzip.compress(gzip.decompress(blob)[:-28]), "says it holds 30 x 28 x 28"),
])
def test_damaged_idx_files_are_one_clear_error(tmp_path: Path, change, match: str) -> None:
    folder = write_idx_folder(tmp_path / "fm", small_arrays(), sums=False)
    corrupt(folder, NAMES["x_train"], change)
    with pytest.raises(DataError, match=match):
        load(FASHION_MNIST, str(folder))


def test_a_file_that_does_not_match_its_checksum_is_refused(tmp_path: Path) -> None:
    folder = write_idx_folder(tmp_path / "fm", small_arrays())
    corrupt(folder, NAMES["y_test"], lambda blob: gzip.compress(gzip.decompress(blob)))
    with pytest.raises(DataError, match="does not match its checksum"):
        load(FASHION_MNIST, str(folder))


def test_labels_out_of_range_and_a_missing_file(tmp_path: Path) -> None:
    arrays = small_arrays()
    folder = write_idx_folder(tmp_path / "fm", arrays | {"y_test": arrays["y_test"] + 1})
    with pytest.raises(DataError, match="labels 0-9"):
        load(FASHION_MNIST, str(folder))
    (folder / f"{NAMES['y_train']}.gz").unlink()
    with pytest.raises(DataError, match="lacks train-labels-idx1-ubyte.gz"):
        load(FASHION_MNIST, str(folder))


def test_cifar_images_given_as_fashion_mnist_are_refused(tmp_path: Path, npz_path: Path,
                                                         arrays: dict) -> None:
    with pytest.raises(DataError, match=r"expected \(N, 28, 28, 1\) for Fashion-MNIST"):
        load(FASHION_MNIST, str(npz_path))  # the tests' 32x32 RGB CIFAR-shaped arrays
    files = {k: v for k, v in png_files(small_arrays()).items()}
    files["train/Bag/rgb.png"] = encode(arrays["x_train"][0])  # a 32x32 RGB image
    with pytest.raises(DataError, match="is a RGB image; Fashion-MNIST images are L"):
        load(FASHION_MNIST, str(write_folder(tmp_path / "tree", files)))


def test_the_training_command_reports_bad_data_in_one_line(tmp_path: Path, capsys) -> None:
    from common.training.train import train_main
    from experiments.fmnist01_cnn.train import SETTINGS, build_model

    folder = write_idx_folder(tmp_path / "fm", small_arrays(), sums=False)
    corrupt(folder, NAMES["x_test"], lambda blob: blob[:100])
    with pytest.raises(SystemExit) as exit_info:
        train_main("fmnist01_cnn", build_model, SETTINGS,
                   ["--data", str(folder), "--model-dir", str(tmp_path / "m"),
                    "--results-dir", str(tmp_path / "r")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "truncated or damaged" in err
    assert not (tmp_path / "m").exists()


@pytest.mark.skipif(not FASHION_MNIST.offline_copy.is_dir(), reason="no offline copy here")
def test_the_shared_copy_is_the_official_files() -> None:
    for name in NAMES.values():
        path = FASHION_MNIST.offline_copy / f"{name}.gz"
        data_sources.verify_checksum(path)  # its SHA256SUMS
        assert hashlib.md5(path.read_bytes()).hexdigest() == OFFICIAL_MD5[name]
    data = load(FASHION_MNIST, str(FASHION_MNIST.offline_copy))
    assert data.x_train.shape == (60000, 28, 28, 1) and data.x_test.shape == (10000, 28, 28, 1)
    np.testing.assert_array_equal(np.bincount(data.y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(data.y_test), [1000] * 10)


@pytest.mark.skipif(not MNIST.offline_copy.is_file(), reason="no offline copy here")
def test_the_shared_mnist_copy() -> None:
    data = load(MNIST, str(MNIST.offline_copy))
    assert data.x_train.shape == (60000, 28, 28, 1) and len(data.y_test) == 10000
