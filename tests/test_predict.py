"""Classifying users' own image files."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from common.basics.errors import UserError
from common.data.datasets import CIFAR10
from common.predict import dataset_of, has_light_background, image_to_pixels, main
from common.records.model_io import save_h5
from experiments.exp01_baseline.model import build_model


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = build_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return save_h5(model, tmp_path_factory.mktemp("m") / "exp01_baseline.h5")


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    rng = np.random.default_rng(0)
    files = [
        (tmp_path / "photo.jpg", Image.fromarray(rng.integers(0, 255, (240, 312, 3), np.uint8))),
        (tmp_path / "grey.png", Image.fromarray(rng.integers(0, 255, (50, 70), np.uint8))),
        (tmp_path / "alpha.png", Image.fromarray(rng.integers(0, 255, (64, 64, 4), np.uint8))),
        (tmp_path / "palette.png", Image.fromarray(rng.integers(0, 255, (20, 20, 3), np.uint8))
         .convert("P")),
    ]
    for path, img in files:
        img.save(path)
    return [path for path, _ in files]


def test_any_size_and_mode_becomes_32x32_rgb(images: list[Path]) -> None:
    for path in images:
        pixels = image_to_pixels(path, (32, 32, 3))
        assert pixels.shape == (32, 32, 3) and pixels.dtype == np.uint8


def test_top3_for_each_image_and_a_grid(images: list[Path], model_file: Path,
                                        tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--model", str(model_file), *map(str, images), "--out", str(tmp_path / "g.png")])
    assert exit_info.value.code == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith(str(tmp_path))]
    assert len(lines) == len(images)
    assert all(line.count("%") == 3 for line in lines)
    assert (tmp_path / "g.png").stat().st_size > 0


def test_corrupt_file_among_good_ones(images: list[Path], model_file: Path, tmp_path: Path,
                                      capsys) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(SystemExit) as exit_info:
        main(["--model", str(model_file), str(images[0]), str(bad), str(images[1])])
    assert exit_info.value.code == 1  # something failed
    captured = capsys.readouterr()
    assert captured.err.count("error:") == 1 and "broken.jpg" in captured.err
    assert str(images[0]) in captured.out and str(images[1]) in captured.out


def test_predictions_match_the_model(images: list[Path], model_file: Path, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--model", str(model_file), "--top", "1", str(images[0])])
    probs = keras.models.load_model(model_file).predict(
        image_to_pixels(images[0], (32, 32, 3))[None].astype("float32") / 255,
        verbose=0)[0]
    best = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
            "truck"][int(np.argmax(probs))]
    assert f"{best} {probs.max():.1%}" in capsys.readouterr().out


def test_the_dataset_comes_from_the_experiment_name_or_the_models_shapes(
        model_file: Path, tmp_path: Path) -> None:
    model = keras.models.load_model(model_file)
    assert dataset_of(model, model_file, None) is CIFAR10  # saved_models/exp01_baseline.h5
    assert dataset_of(model, tmp_path / "renamed.h5", None) is CIFAR10  # 32x32x3 -> 10
    grey = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                             keras.layers.Dense(10, activation="softmax")])
    with pytest.raises(UserError, match="say which dataset it was trained on with --dataset"):
        dataset_of(grey, tmp_path / "mine.h5", None)
    with pytest.raises(UserError, match="CIFAR-10 has \\(32, 32, 3\\)"):
        dataset_of(grey, tmp_path / "mine.h5", "cifar10")


def test_grayscale_shapes_read_any_image_as_one_channel(images: list[Path]) -> None:
    for path in images:
        pixels = image_to_pixels(path, (28, 28, 1))
        assert pixels.shape == (28, 28, 1) and pixels.dtype == np.uint8


@pytest.fixture
def mnist_model(tmp_path: Path) -> Path:
    from experiments.mnist01_lenet5.model import build_model as build_lenet5

    model = build_lenet5()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return save_h5(model, tmp_path / "mnist01_lenet5.h5")


def test_a_dark_digit_on_white_paper_is_inverted_a_white_one_on_black_is_not(
        mnist_model: Path, tmp_path: Path, capsys) -> None:
    paper = np.full((120, 90), 240, np.uint8)
    paper[30:90, 40:50] = 20  # a dark "1" drawn on white
    Image.fromarray(paper).save(tmp_path / "paper.png")
    Image.fromarray(255 - paper).save(tmp_path / "screen.png")
    with pytest.raises(SystemExit) as exit_info:
        main(["--model", str(mnist_model), str(tmp_path / "paper.png"),
              str(tmp_path / "screen.png")])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "paper.png: light background, inverted to match MNIST" in out
    assert "screen.png: light background" not in out
    paper_pixels = image_to_pixels(tmp_path / "paper.png", (28, 28, 1))
    screen_pixels = image_to_pixels(tmp_path / "screen.png", (28, 28, 1))
    assert has_light_background(paper_pixels) and not has_light_background(screen_pixels)
    np.testing.assert_allclose(255 - paper_pixels.astype(int), screen_pixels, atol=1)


def test_a_missing_model_of_another_name_is_not_told_to_train(tmp_path: Path, capsys) -> None:
    for name, hint in (("my_net.h5", "check the path"),
                       ("exp03_deeper_l2.h5", "train it first: python -m "
                                              "experiments.exp03_deeper_l2.train")):
        with pytest.raises(SystemExit):
            main(["--model", str(tmp_path / name), str(tmp_path / "x.png")])
        err = capsys.readouterr().err
        assert hint in err and ("train it first" in err) == name.startswith("exp"), err


def test_test_images_are_pictures_predict_reads(npz_path: Path, model_file: Path,
                                                tmp_path: Path, capsys) -> None:
    from common.test_images import main as take

    take(["--count", "2", "--data", str(npz_path), "--out-dir", str(tmp_path / "t")])
    written = sorted((tmp_path / "t").glob("cifar10-*.png"))
    assert len(written) == 2 and all(p.stem.split("-")[-1] in CIFAR10.class_folders
                                     for p in written)
    with pytest.raises(SystemExit) as exit_info:
        main(["--model", str(model_file), *map(str, written)])
    assert exit_info.value.code == 0
    assert sum(line.startswith(str(tmp_path)) for line in
               capsys.readouterr().out.splitlines()) == 2


def test_a_grid_caption_shows_predicted_and_true_class_and_never_cuts_a_name() -> None:
    from common.data.datasets import DATASETS
    from common.predict import class_in_name, grid_caption

    cifar = DATASETS["cifar10"].class_names
    assert class_in_name(Path("cifar10-6369-frog.png"), cifar) == "frog"
    assert class_in_name(Path("My_Cat.JPG"), cifar) == "cat"
    assert class_in_name(Path("holiday.jpg"), cifar) is None
    assert class_in_name(Path("cat-and-dog.png"), cifar) is None  # two classes: no guess
    fashion = DATASETS["fashion_mnist"].class_names
    assert class_in_name(Path("fashion_mnist-12-ankle-boot.png"), fashion) == "Ankle boot"
    assert grid_caption("frog", 0.97, "frog", "x.png") == ("frog (frog)\n97%", "tab:green")
    assert grid_caption("cat", 0.51, "dog", "x.png") == ("cat (dog)\n51%", "tab:red")
    long_name = "a_rather_long_holiday_picture_name.jpeg"
    caption, color = grid_caption("ship", 0.8, None, long_name)
    assert caption.replace("\n", "").endswith(long_name) and color == "black"
