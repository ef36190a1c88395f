"""Transfer learning (transfer01-04): the animal and vehicle halves of CIFAR-10, the label
budgets, and a network that starts from another's frozen layers."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from common.basics.errors import ModelFileError
from common.config.run_options import parse
from common.data.datasets import ANIMALS, CIFAR10, VEHICLES
from common.data.loading import Splits, labelled_per_class, subset
from common.evaluation.evaluate import evaluate_main
from common.training import transfer
from common.training.train import train
from experiments.transfer01_animals.model import build_model as build_source
from experiments.transfer03_frozen.model import build_model as build_frozen
from experiments.transfer04_finetuned.model import build_model as build_finetuned
from experiments.transfer04_finetuned.train import SETTINGS as FINETUNED
from tests.conftest import saved_h5


def test_the_halves_keep_their_classes_relabelled_and_nothing_else(arrays: dict) -> None:
    splits = Splits(**arrays, source="memory", dataset=CIFAR10)
    vehicles = subset(splits, VEHICLES)
    assert vehicles.dataset.class_names == ("airplane", "automobile", "ship", "truck")
    names = [CIFAR10.class_names[c] for c in arrays["y_train"]]
    kept = [VEHICLES.class_names.index(n) for n in names if n in VEHICLES.class_names]
    assert vehicles.y_train.tolist() == kept
    assert len(subset(splits, ANIMALS).y_test) + len(vehicles.y_test) == len(arrays["y_test"])
    assert set(ANIMALS.class_names).isdisjoint(VEHICLES.class_names)


def test_a_label_budget_is_the_same_images_whatever_the_seed() -> None:
    labels = np.repeat(np.arange(4), 50)
    order = np.random.default_rng(3).permutation(len(labels))
    taken = labelled_per_class(order, labels, 7)
    assert np.bincount(labels[taken]).tolist() == [7] * 4
    assert set(taken) < set(order[:100])  # the first of each class in the split's order


def save_source(folder: Path) -> keras.Model:
    source = build_source()
    for layer in source.layers:  # recognisable values
        layer.set_weights([np.full(w.shape, 0.5, w.dtype) for w in layer.get_weights()])
    folder.mkdir(parents=True, exist_ok=True)
    source.save(folder / "transfer01_animals.h5")
    return source


def test_reused_layers_are_copied_and_frozen_up_to_where_fine_tuning_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer, "SOURCE_DIR", tmp_path)
    save_source(tmp_path)
    network = build_finetuned()
    FINETUNED.initialize(network, np.zeros((1, 32, 32, 3)))
    assert np.all(network.get_layer("block1_conv1").kernel.numpy() == 0.5)
    assert not np.all(network.get_layer("output").kernel.numpy() == 0.5)  # a new classifier
    trainable = [layer.name for layer in network.layers if layer.trainable and layer.weights]
    assert trainable[0] == "block3_conv1" and trainable[-1] == "output"


def test_without_the_source_it_says_which_command_makes_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer, "SOURCE_DIR", tmp_path)
    with pytest.raises(ModelFileError, match="experiments.transfer01_animals.train"):
        transfer.reuse_features(build_frozen(), np.zeros(1), "transfer01_animals")


def test_frozen_features_train_to_their_own_file_and_stay_the_sources(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, npz_path: Path,
        capsys: pytest.CaptureFixture) -> None:
    from experiments.transfer03_frozen.train import SETTINGS

    monkeypatch.setattr(transfer, "SOURCE_DIR", tmp_path / "source")
    source = save_source(tmp_path / "source")
    where = ["--model-dir", str(tmp_path / "models"), "--results-dir", str(tmp_path / "results")]
    settings, run = parse("transfer03_frozen", SETTINGS, [
        "--data", str(npz_path), "--labels-per-class", "3", "--epochs", "2", *where])
    record = train("transfer03_frozen", build_frozen, settings, run)
    saved = saved_h5(tmp_path / "models", "transfer03_frozen-3")
    assert record["data"]["train"] == 4 * 3 and record["settings"]["labels_per_class"] == 3
    assert "--model" in capsys.readouterr().out  # the test command names the budget's file
    trained = keras.models.load_model(saved)
    for name in ("block1_conv1", "block3_bn3"):
        for a, b in zip(trained.get_layer(name).get_weights(),
                        source.get_layer(name).get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    evaluate_main("transfer03_frozen", build_frozen, SETTINGS, [
        "--model", str(saved), "--data", str(npz_path), "--results-dir",
        str(tmp_path / "results")])
    assert "test accuracy" in capsys.readouterr().out


def test_the_imagenet_option_builds_trains_and_reloads_without_a_download(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, npz_path: Path,
        capsys: pytest.CaptureFixture) -> None:
    """Shape and flow only: no ImageNet weights can be downloaded here (README)."""
    from experiments.transfer05_imagenet.model import build_model
    from experiments.transfer05_imagenet.train import SETTINGS

    monkeypatch.setattr(transfer, "IMAGENET_WEIGHTS", None)  # random weights, same calls
    network = build_model()
    assert network.output.shape[1:] == (4,)
    assert network.get_layer("backbone").output.shape[1:] == (1280,)
    where = ["--model-dir", str(tmp_path / "models"), "--results-dir", str(tmp_path / "results")]
    settings, run = parse("transfer05_imagenet", SETTINGS, [
        "--data", str(npz_path), "--labels-per-class", "2", "--epochs", "1", *where])
    train("transfer05_imagenet", build_model, settings, run)
    trained = keras.models.load_model(saved_h5(tmp_path / "models", "transfer05_imagenet-2"))
    trainable = [w.path for w in trained.trainable_weights]
    assert trainable and all(p.startswith("output") for p in trainable)  # only the classifier
    evaluate_main("transfer05_imagenet", build_model, SETTINGS, [
        "--model", str(saved_h5(tmp_path / "models", "transfer05_imagenet-2")),
        "--data", str(npz_path), "--results-dir", str(tmp_path / "results")])
    assert "test accuracy" in capsys.readouterr().out


def test_without_internet_the_imagenet_option_says_what_it_needs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from experiments.transfer05_imagenet.model import build_model

    def offline(*args: object, **kwargs: object) -> None:
        raise Exception("URL fetch failure")

    network = build_model()
    monkeypatch.setattr(keras.applications, "MobileNetV2", offline)
    with pytest.raises(ModelFileError, match="internet"):
        transfer.imagenet_features(network, np.zeros(1), "MobileNetV2")
