"""Classifying users' own image files."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from common.model_io import save_h5
from common.predict import image_to_pixels, main
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
        pixels = image_to_pixels(path)
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
        image_to_pixels(images[0])[None].astype("float32") / 255, verbose=0)[0]
    best = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
            "truck"][int(np.argmax(probs))]
    assert f"{best} {probs.max():.1%}" in capsys.readouterr().out
