"""Every data source, the cache, the split, and the errors a user can hit."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import encode, image_files, load_cifar10, write_folder, write_tar, write_zip

from common.basics.errors import DataError
from common.data import sources as data_sources
from common.data.datasets import CIFAR10, DATASETS, get_dataset
from common.data.loading import Splits, load, one_hot, scale, train_val_split


def assert_same(loaded: Splits, arrays: dict[str, np.ndarray]) -> None:
    for key in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(loaded, key), arrays[key], err_msg=key)


def test_npz(npz_path: Path, arrays: dict) -> None:
    assert_same(load_cifar10(str(npz_path)), arrays)


def test_png_folder(tmp_path: Path, arrays: dict) -> None:
    root = write_folder(tmp_path / "tree", image_files(arrays))
    assert_same(load_cifar10(str(root)), arrays)  # PNG is lossless: exact pixels


def test_tar_gz_with_top_folder_and_extras(tmp_path: Path, arrays: dict) -> None:
    files = image_files(arrays) | {"README.txt": b"not an image, outside the splits"}
    archive = write_tar(tmp_path / "cifar.tar.gz", files, prefix="cifar10/")
    assert_same(load_cifar10(str(archive)), arrays)


def test_zip_of_jpegs(tmp_path: Path, arrays: dict) -> None:
    archive = write_zip(tmp_path / "cifar.zip", image_files(arrays, fmt="JPEG"))
    loaded = load_cifar10(str(archive))
    np.testing.assert_array_equal(loaded.y_train, arrays["y_train"])
    assert loaded.x_train.shape == arrays["x_train"].shape and loaded.x_train.dtype == np.uint8
    # JPEG is lossy, but close: the classes' brightness levels are 25 apart.
    assert np.abs(loaded.x_test.astype(int) - arrays["x_test"]).mean() < 12


def test_env_variable_sets_default(npz_path: Path, arrays: dict,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CIFAR10.data_env, str(npz_path))
    assert_same(load_cifar10(), arrays)


def test_auto_prefers_offline_copy(tmp_path: Path, arrays: dict) -> None:
    archive = write_tar(tmp_path / "copy.tar.gz", image_files(arrays))
    loaded = load(replace(CIFAR10, offline_copy=archive), "auto")
    assert loaded.source == str(archive)
    assert_same(loaded, arrays)


def test_archive_decoded_once_then_cached(tmp_path: Path, arrays: dict,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    archive = write_tar(tmp_path / "c.tar.gz", image_files(arrays))
    load_cifar10(str(archive))
    assert list((tmp_path / "cache").glob("*.npz"))

    def no_decoding(*_args: object) -> None:
        raise AssertionError("decoded again despite the cache")

    monkeypatch.setattr(data_sources, "assemble", no_decoding)
    assert_same(load_cifar10(str(archive)), arrays)


def test_changed_archive_is_decoded_again(tmp_path: Path, arrays: dict) -> None:
    archive = write_tar(tmp_path / "c.tar.gz", image_files(arrays))
    load_cifar10(str(archive))
    other = {k: v.copy() for k, v in arrays.items()}
    other["x_test"][0] = 255 - other["x_test"][0]
    write_tar(archive, image_files(other))
    assert_same(load_cifar10(str(archive)), other)


def test_published_checksum_is_verified(tmp_path: Path, arrays: dict) -> None:
    archive = write_tar(tmp_path / "c.tar.gz", image_files(arrays))
    good = hashlib.sha256(archive.read_bytes()).hexdigest()
    (tmp_path / "SHA256SUMS").write_text(f"{good}  c.tar.gz\n")
    load_cifar10(str(archive))  # matches: fine
    (tmp_path / "SHA256SUMS").write_text(f"{'0' * 64}  c.tar.gz\n")
    (tmp_path / "cache").rename(tmp_path / "old_cache")  # force a first use again
    with pytest.raises(DataError, match="checksum"):
        load_cifar10(str(archive))


# ------------------------------------------------------------------ errors


def test_missing_path() -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_cifar10("/nowhere/cifar.tar.gz")


def test_nothing_found_says_where_it_looked(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(dataset: object) -> None:
        raise DataError("the Keras download failed (URLError: no network)")

    monkeypatch.setattr(data_sources, "read_keras", offline)
    with pytest.raises(DataError) as err:
        load(replace(CIFAR10, offline_copy=tmp_path / "absent.tar.gz"))
    message = str(err.value)
    for expected in ("CIFAR10_DATA", "absent.tar.gz", "keras_home", "--data", "download"):
        assert expected in message


@pytest.mark.parametrize("change, match", [
    (lambda f: f | {"train/unicorn/0.png": f["train/airplane/0000.png"]}, "unknown class"),
    (lambda f: {k: v for k, v in f.items() if "/ship/" not in k or k.startswith("test")},
     "no train/<class>/ images for ship"),
    (lambda f: f | {"train/cat/big.png": encode(np.zeros((40, 40, 3), np.uint8))}, "40x40"),
    (lambda f: f | {"train/cat/grey.png": encode(np.zeros((32, 32, 3), np.uint8), mode="L")},
     "L image"),
    (lambda f: f | {"train/cat/alpha.png": encode(np.zeros((32, 32, 3), np.uint8),
                                                  mode="RGBA")}, "RGBA image"),
    (lambda f: f | {"train/cat/notes.png": b"hello"}, "not a readable image"),
])
def test_bad_image_tree(tmp_path: Path, arrays: dict, change, match: str) -> None:
    archive = write_tar(tmp_path / "bad.tar.gz", change(image_files(arrays)))
    with pytest.raises(DataError, match=match):
        load_cifar10(str(archive))


def test_truncated_archive(tmp_path: Path, arrays: dict) -> None:
    archive = write_tar(tmp_path / "c.tar.gz", image_files(arrays))
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(DataError, match="truncated or damaged"):
        load_cifar10(str(archive))


@pytest.mark.parametrize("edit, match", [
    (lambda a: a.pop("y_test"), "lacks y_test"),
    (lambda a: a.update(x_train=a["x_train"][:, :16]), "expected \\(N, 32, 32, 3\\)"),
    (lambda a: a.update(y_train=a["y_train"][:-1]), "y_train has shape"),
    (lambda a: a.update(y_test=a["y_test"] + 5), "labels 0-9"),
    (lambda a: a.update(x_test=a["x_test"].astype(np.float32)), "expected uint8"),
])
def test_bad_npz(tmp_path: Path, arrays: dict, edit, match: str) -> None:
    edit(arrays)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DataError, match=match):
        load_cifar10(str(tmp_path / "bad.npz"))


def test_unknown_file_type(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("1,2,3")
    with pytest.raises(DataError, match="don't know how to read"):
        load_cifar10(str(tmp_path / "data.csv"))


# ------------------------------------------------------------------ model inputs


def test_split_is_class_balanced_disjoint_and_reproducible() -> None:
    labels = np.sort(np.repeat(np.arange(10), 500))  # sorted by class, like the folder copy
    train, val = train_val_split(labels, 0.1, seed=0)
    assert len(val) == 500 and len(train) == 4500
    assert not set(train) & set(val)
    np.testing.assert_array_equal(np.bincount(labels[val]), [50] * 10)
    assert len(set(labels[val[:50]])) > 5  # shuffled, not class after class
    again_train, again_val = train_val_split(labels, 0.1, seed=0)
    np.testing.assert_array_equal(val, again_val)
    np.testing.assert_array_equal(train, again_train)
    assert not np.array_equal(val, train_val_split(labels, 0.1, seed=1)[1])


def test_split_of_small_data_keeps_one_image_per_class_for_validation() -> None:
    labels = np.repeat(np.arange(10), 12)  # 2% of 12 rounds to 0
    train, val = train_val_split(labels, 0.02)
    np.testing.assert_array_equal(np.bincount(labels[val]), [1] * 10)
    assert len(train) == 110


def test_scale_and_one_hot() -> None:
    x = scale(np.array([[0, 255]], dtype=np.uint8))
    assert x.dtype == np.float32 and x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(one_hot(np.array([3]), 10)[0], np.eye(10)[3])
    assert one_hot(np.array([1]), 3).shape == (1, 3)


@pytest.mark.skipif(not CIFAR10.offline_copy.is_file(), reason="no offline copy here")
def test_shared_offline_copy() -> None:
    data = load_cifar10(str(CIFAR10.offline_copy))
    assert data.x_train.shape == (50000, 32, 32, 3) and data.x_test.shape == (10000, 32, 32, 3)
    np.testing.assert_array_equal(np.bincount(data.y_train), [5000] * 10)
    np.testing.assert_array_equal(np.bincount(data.y_test), [1000] * 10)


def test_auto_ignores_an_empty_keras_cache_folder(tmp_path: Path, arrays: dict) -> None:
    (tmp_path / "keras_home" / "datasets" / "cifar-10-batches-py").mkdir(parents=True)
    archive = write_tar(tmp_path / "copy.tar.gz", image_files(arrays))
    assert load(replace(CIFAR10, offline_copy=archive)).source == str(archive)


# ------------------------------------------------------------------ the description


def test_a_dataset_is_looked_up_by_name_and_an_unknown_name_is_refused() -> None:
    assert get_dataset("cifar10") is CIFAR10 and DATASETS["cifar10"] is CIFAR10
    assert CIFAR10.num_classes == 10 and CIFAR10.image_shape == (32, 32, 3)
    with pytest.raises(ValueError, match="unknown dataset 'cifar100'"):
        get_dataset("cifar100")


def grey_arrays(classes: int = 3, side: int = 8) -> dict[str, np.ndarray]:
    """A made-up grayscale dataset, (N, side, side) as Keras gives MNIST."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(classes), 4)
    x = rng.integers(0, 256, (len(y), side, side), dtype=np.uint8)
    return {"x_train": x, "y_train": y, "x_test": x[::4], "y_test": y[::4]}


def test_another_dataset_is_loaded_from_its_description_alone(tmp_path: Path) -> None:
    shapes = replace(CIFAR10, name="shapes", title="Shapes", class_names=("a", "b", "c"),
                     image_shape=(8, 8, 1), offline_copy=tmp_path / "absent")
    arrays = grey_arrays()
    np.savez(tmp_path / "shapes.npz", **arrays)
    loaded = load(shapes, str(tmp_path / "shapes.npz"))
    assert loaded.x_train.shape == (12, 8, 8, 1) and loaded.dataset is shapes
    files = {f"{split}/{shapes.class_names[label]}/{i}.png": encode(pixels, mode="L")
             for split in ("train", "test")
             for i, (pixels, label) in enumerate(zip(arrays[f"x_{split}"], arrays[f"y_{split}"],
                                                     strict=True))}
    tree = load(shapes, str(write_folder(tmp_path / "tree", files)))
    np.testing.assert_array_equal(np.sort(tree.x_train.ravel()), np.sort(arrays["x_train"].ravel()))
    np.savez(tmp_path / "labels.npz", **(arrays | {"y_test": arrays["y_test"] + 1}))
    with pytest.raises(DataError, match="labels 0-2"):
        load(shapes, str(tmp_path / "labels.npz"))
    np.savez(tmp_path / "big.npz", **grey_arrays(side=9))
    with pytest.raises(DataError, match=r"expected \(N, 8, 8, 1\) for Shapes"):
        load(shapes, str(tmp_path / "big.npz"))
