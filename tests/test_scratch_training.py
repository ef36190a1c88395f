"""From scratch to Keras: a NumPy network trains, resumes, saves as a stock Keras .h5 that
predicts what it predicts, and its test entry point reads it back."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

from common.data.loading import scale
from common.records.recipes import recipe
from common.records.upgrade import upgraded
from common.scratch.keras_io import from_keras, to_keras
from common.scratch.optimizers import Adam
from common.scratch.recipe import ScratchRun
from common.scratch.training import evaluate_main, fit, train, train_main
from experiments.scratch02_two_layer.model import build_model as two_layer
from experiments.scratch02_two_layer.train import SETTINGS as TWO_LAYER
from experiments.scratch05_deep_convnet.model import build_model as deep_convnet


@pytest.fixture
def digits(tmp_path: Path) -> Path:
    """A small MNIST-shaped .npz whose class is where a bright square sits."""
    rng = np.random.default_rng(0)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 10, n)
        x = rng.integers(0, 60, (n, 28, 28), dtype=np.uint8)
        for i, label in enumerate(y):
            r, c = divmod(int(label), 5)
            x[i, 4 + 12 * r:12 + 12 * r, 1 + 5 * c:5 + 5 * c] = 250
        return x, y.astype(np.uint8)

    (x_train, y_train), (x_test, y_test) = draw(600), draw(200)
    path = tmp_path / "digits.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def test_a_deep_convnet_in_keras_predicts_what_the_numpy_one_does(tmp_path: Path) -> None:
    network = deep_convnet(seed=3)
    x = np.random.default_rng(1).random((50, 28, 28, 1), dtype=np.float32)
    rng_labels = np.random.default_rng(2).integers(0, 10, 50)
    optimizer = Adam()
    for _ in range(2):  # trained weights, not only the initial ones
        network.gradient(x, rng_labels)
        optimizer.update(network.params, network.grads)
    path = tmp_path / "deep.h5"
    to_keras(network, "deep").save(path)
    model = keras.models.load_model(path)  # plain Keras, no project code
    assert model.count_params() == network.count_params() == 123_552
    np.testing.assert_allclose(model.predict(x, verbose=0), network.predict(x), atol=1e-5)
    back = from_keras(model)
    assert back.names == network.names
    np.testing.assert_allclose(back.predict(x), network.predict(x), atol=1e-6)


def test_train_saves_a_keras_h5_records_it_and_test_reads_it_back(
        tmp_path: Path, digits: Path, capsys) -> None:
    run = ScratchRun(data=str(digits), model_dir=tmp_path / "m", results_dir=tmp_path / "r")
    record = train("scratch02_two_layer", two_layer, replace(TWO_LAYER, epochs=3), run,
                   TWO_LAYER)
    saved = tmp_path / "m" / "scratch02_two_layer-epochs3.h5"  # not the recipe: own name
    assert record["model_file"].endswith(saved.name) and record["epochs_run"] == 3
    assert record["versions"]["backend"] == "numpy" and record["params"] == 79_510
    assert record["keras_max_difference"] <= 1e-5 and record["ms_per_step"] > 0
    assert 0 <= record["others_share"] <= 1  # what other processes took: had it the machine?
    # its recipe made as every step's is (the network known by its name), read as written
    assert record["recipe"] == recipe(record["settings"], record["data"], TWO_LAYER.network)
    assert upgraded(json.loads(json.dumps(record)))["recipe"] == record["recipe"]
    assert not (tmp_path / "m" / "checkpoints" / "scratch02_two_layer-epochs3-seed0").exists()

    evaluate_main("scratch02_two_layer", TWO_LAYER, argv=[
        "--model", str(saved), "--data", str(digits), "--results-dir", str(tmp_path / "r")])
    [test_path] = (tmp_path / "r" / "scratch02_two_layer").glob("test-*.json")
    tested = json.loads(test_path.read_text())
    x_test = scale(np.load(digits)["x_test"])[..., None]
    keras_accuracy = np.mean(keras.models.load_model(saved).predict(x_test, verbose=0)
                             .argmax(1) == np.load(digits)["y_test"])
    assert tested["test_accuracy"] == pytest.approx(keras_accuracy)
    assert tested["test_accuracy"] > 0.5 and tested["forward"] == "NumPy"
    assert "forward pass in NumPy" in capsys.readouterr().out


def test_an_interrupted_run_resumes_to_the_same_weights(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    x, y = rng.random((300, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 300)
    settings = replace(TWO_LAYER, epochs=2, optimizer="adam", learning_rate=1e-3)

    def run(epochs: int, state: Path, network=None, optimizer=None):
        network = network or two_layer(seed=0)
        optimizer = optimizer or Adam(1e-3)
        fit(network, optimizer, replace(settings, epochs=epochs), 0, x, y, state)
        return network

    straight = run(2, tmp_path / "straight")
    state = tmp_path / "interrupted"
    run(1, state)  # stopped after its first epoch: the backup holds it
    resumed = run(2, state)  # a fresh process: new network and optimizer, same backup
    for key, p in straight.params.items():
        np.testing.assert_array_equal(resumed.params[key], p, err_msg=key)


def test_bad_input_is_one_line(tmp_path: Path, digits: Path, capsys) -> None:
    argv = ["--data", str(digits), "--limit", "50", "--model-dir", str(tmp_path / "m"),
            "--results-dir", str(tmp_path / "r")]
    with pytest.raises(SystemExit) as stopped:
        train_main("scratch02_two_layer", two_layer, TWO_LAYER, argv=argv)
    assert stopped.value.code != 0
    err = capsys.readouterr().err.strip()
    assert "make no batch of 100" in err and len(err.splitlines()) == 1
    with pytest.raises(SystemExit):
        train_main("scratch02_two_layer", two_layer, TWO_LAYER, argv=["--epochs", "0"])
    assert "positive integer" in capsys.readouterr().err


def test_profile_times_the_layers_records_them_and_trains_nothing(tmp_path: Path, digits: Path,
                                                                  capsys) -> None:
    train_main("scratch02_two_layer", two_layer, TWO_LAYER, argv=[
        "--profile", "3", "--data", str(digits), "--model-dir", str(tmp_path / "m"),
        "--results-dir", str(tmp_path / "r")])
    assert "| affine1 |" in capsys.readouterr().out
    [path] = (tmp_path / "r" / "scratch02_two_layer").glob("*.json")
    record = json.loads(path.read_text())
    assert path.name.startswith("profile-") and record["kind"] == "profile"
    assert record["steps"] == 3 and record["median_ms"]["step"] > 0
    assert {"affine1 forward", "affine1 backward", "update forward"} <= set(record["median_ms"])
    assert not (tmp_path / "m").exists()  # trained nothing, saved nothing
