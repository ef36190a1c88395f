"""The train and test entry points end to end on tiny generated data."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import load_cifar10

import common.training.setup as setup
import common.training.train as training
from common.data.loading import one_hot, scale
from common.evaluation.evaluate import evaluate_main
from common.layers.optim import make_optimizer
from common.training.checkpoints import KeepWeights
from common.training.train import train_main
from experiments.exp01_baseline.model import build_model as build_exp01
from experiments.exp01_baseline.train import SETTINGS as EXP01
from experiments.exp03_deeper_l2.model import build_model as build_exp03
from experiments.exp03_deeper_l2.train import SETTINGS as EXP03
from tests.conftest import saved_h5

REPO = Path(__file__).resolve().parent.parent


def dirs(tmp_path: Path) -> list[str]:
    return ["--model-dir", str(tmp_path / "models"), "--results-dir", str(tmp_path / "results")]


@pytest.fixture
def trained(tmp_path: Path, npz_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Train exp01 for 2 epochs on the tiny set; keep the in-memory model that was saved."""
    saved = {}
    real_save = training.save_model

    def spy(model: keras.Model, path: Path) -> Path:
        saved["model"] = model
        return real_save(model, path)

    monkeypatch.setattr(training, "save_model", spy)
    train_main("exp01_baseline", build_exp01, EXP01,
               ["--epochs", "2", "--batch-size", "16", "--data", str(npz_path), *dirs(tmp_path)])
    saved["path"] = saved_h5(tmp_path / "models", "exp01_baseline")
    return saved


def test_training_saves_a_plain_h5_with_identical_predictions(trained: dict,
                                                              npz_path: Path) -> None:
    x = scale(load_cifar10(str(npz_path)).x_test)
    reloaded = keras.models.load_model(trained["path"])  # no project code, no custom objects
    np.testing.assert_array_equal(reloaded.predict(x, verbose=0),
                                  trained["model"].predict(x, verbose=0))
    assert reloaded.count_params() == 1_639_914
    assert reloaded.loss is not None  # compiled: the slides' test script can evaluate()


def test_training_writes_record_history_and_curves(trained: dict, tmp_path: Path) -> None:
    folder = tmp_path / "results" / "exp01_baseline"
    [record_path] = folder.glob("train-*.json")
    record = json.loads(record_path.read_text())
    for key in ("command", "commit", "seed", "data", "hardware", "versions", "train_seconds",
                "started", "finished", "model_sha256", "val_accuracy"):
        assert key in record
    assert record["epochs_run"] == 2 and record["params"] == 1_639_914
    history = (folder / record["history_csv"]).read_text().splitlines()
    assert len(history) == 3 and "val_accuracy" in history[0] and "seconds" in history[0]
    assert (folder / record["curves_png"]).stat().st_size > 0
    assert not list((tmp_path / "models" / "checkpoints").glob("exp01_baseline*/"))


@pytest.mark.parametrize("precision", ["float32", "mixed_bfloat16"])
def test_saved_model_evaluates_with_the_plain_loss_not_the_training_one(
        tmp_path: Path, npz_path: Path, precision: str) -> None:
    assert EXP01.label_smoothing > 0  # the training loss differs from the plain one
    train_main("exp01_baseline", build_exp01, EXP01,
               ["--epochs", "1", "--batch-size", "16", "--precision", precision,
                "--data", str(npz_path), *dirs(tmp_path)])
    model = keras.models.load_model(saved_h5(tmp_path / "models", "exp01_baseline"))
    data = load_cifar10(str(npz_path))
    x, y = scale(data.x_test), one_hot(data.y_test, 10)
    loss, _ = model.evaluate(x, y, verbose=0)
    plain = keras.ops.mean(keras.losses.categorical_crossentropy(y, model.predict(x, verbose=0)))
    assert loss == pytest.approx(float(plain), rel=1e-4)


def test_test_entry_point_matches_in_process_evaluation(trained: dict, tmp_path: Path,
                                                        npz_path: Path) -> None:
    results = tmp_path / "cli_results"
    subprocess.run([sys.executable, "-m", "experiments.exp01_baseline.test",
                    "--model", str(trained["path"]), "--data", str(npz_path),
                    "--precision", "float32", "--results-dir", str(results)],
                   cwd=REPO, check=True, capture_output=True, env=os.environ.copy())
    [record_path] = (results / "exp01_baseline").glob("test-*.json")
    record = json.loads(record_path.read_text())
    data = load_cifar10(str(npz_path))
    loss, accuracy = keras.models.load_model(trained["path"]).evaluate(
        scale(data.x_test), one_hot(data.y_test, 10), verbose=0)
    assert record["precision"] == "float32"
    assert record["test_accuracy"] == pytest.approx(accuracy, abs=1e-6)
    assert record["test_loss"] == pytest.approx(loss, rel=1e-4)
    assert len(record["per_class_accuracy"]) == 10
    for png in ("confusion.png", "predictions.png"):
        assert (results / "exp01_baseline" / png).stat().st_size > 0


def run_test_entry(name: str, build, settings, argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        evaluate_main(name, build, settings, argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize("content, match", [
    (None, "no saved model"),
    (b"", "is empty"),
    (b"\x89HDF\r\n\x1a\n truncated", "cannot read"),
    (b"this is not an h5 file at all", "cannot read"),
])
def test_bad_model_file(tmp_path: Path, npz_path: Path, content: bytes | None, match: str,
                        capsys) -> None:
    path = tmp_path / "model.h5"
    if content is not None:
        path.write_bytes(content)
    err = run_test_entry("exp01_baseline", build_exp01, EXP01,
                         ["--model", str(path), "--data", str(npz_path)], capsys)
    assert match in err and "python -m experiments.exp01_baseline.train" in err


def test_other_experiments_model_is_refused(trained: dict, npz_path: Path, capsys) -> None:
    err = run_test_entry("exp03_deeper_l2", build_exp03, EXP03,
                         ["--model", str(trained["path"]), "--data", str(npz_path)], capsys)
    assert "different architecture" in err


def test_bad_data_is_one_line_and_harms_nothing_saved(tmp_path: Path, capsys) -> None:
    saved = tmp_path / "models" / "exp01_baseline.h5"
    saved.parent.mkdir()
    saved.write_bytes(b"an earlier good model")
    empty_class = tmp_path / "tree" / "train" / "cat"
    empty_class.mkdir(parents=True)
    for data, match in ((tmp_path / "nope", "does not exist"),
                        (tmp_path / "tree", "no train/<class>/ images for airplane")):
        with pytest.raises(SystemExit) as exit_info:
            train_main("exp01_baseline", build_exp01, EXP01,
                       ["--data", str(data), *dirs(tmp_path)])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert match in err and len(err.strip().splitlines()) == 1
    assert saved.read_bytes() == b"an earlier good model"


def test_help_works_without_data() -> None:
    out = subprocess.run([sys.executable, "-m", "experiments.exp01_baseline.train", "--help"],
                         cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert "--epochs" in out and "--seed" in out and "--data" in out


def test_an_entry_point_runs_as_a_file_from_anywhere(tmp_path: Path) -> None:
    """The slides run scripts as files: `python experiments/<step>/test.py` must find `common`
    and its step's modules like `python -m` does, from any working directory."""
    script = REPO / "experiments" / "exp02_batchnorm" / "test.py"
    run = subprocess.run([sys.executable, str(script), "--help"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "--recipe" in run.stdout and "--model" in run.stdout


def test_every_entry_point_sets_its_package_when_run_as_a_file() -> None:
    entry_points = sorted((REPO / "experiments").glob("*/t*.py"))
    assert len(entry_points) >= 40
    for path in entry_points:
        source = path.read_text()
        guard = source.find('__package__ = f"experiments.{Path(__file__).parent.name}"')
        assert 0 < guard < source.find("\nfrom common"), path


def test_mixed_precision_training_still_saves_a_float32_model(tmp_path: Path,
                                                              npz_path: Path) -> None:
    train_main("exp01_baseline", build_exp01, EXP01,
               ["--epochs", "1", "--batch-size", "16", "--precision", "mixed_bfloat16",
                "--data", str(npz_path), *dirs(tmp_path)])
    reloaded = keras.models.load_model(saved_h5(tmp_path / "models", "exp01_baseline"))
    assert {layer.dtype_policy.name for layer in reloaded.layers} == {"float32"}
    assert all(w.dtype == np.float32 for w in reloaded.get_weights())
    assert keras.mixed_precision.global_policy().name == "float32"  # nothing leaks
    x = scale(load_cifar10(str(npz_path)).x_test)
    assert np.isfinite(reloaded.predict(x, verbose=0)).all()


def test_sgd_recipe_trains_with_nesterov_momentum_and_records_it(tmp_path: Path,
                                                                  npz_path: Path) -> None:
    sgd = dataclasses.replace(EXP01, optimizer="sgd", learning_rate=0.05)
    train_main("exp01_baseline", build_exp01, sgd,
               ["--epochs", "1", "--batch-size", "16", "--data", str(npz_path), *dirs(tmp_path)])
    record = json.loads(next((tmp_path / "results" / "exp01_baseline").glob("train-*.json"))
                        .read_text())
    assert record["settings"]["optimizer"] == "sgd"
    assert record["settings"]["learning_rate"] == 0.05
    optimizer = make_optimizer("sgd", 0.05)
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert optimizer.momentum == 0.9 and optimizer.nesterov


@pytest.mark.parametrize("backend, steps", [("tensorflow", setup.STEPS_PER_EXECUTION),
                                           ("jax", setup.STEPS_PER_EXECUTION),
                                           ("torch", 1)])  # PyTorch refuses more than 1
def test_steps_per_call_suit_the_backend(monkeypatch: pytest.MonkeyPatch, backend: str,
                                         steps: int) -> None:
    monkeypatch.setattr(training.keras.backend, "backend", lambda: backend)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    trained, _, _ = setup.training_model(model, EXP01, "float32", 10)
    assert trained.steps_per_execution == steps


def test_weight_decay_option_is_recorded(tmp_path: Path, npz_path: Path) -> None:
    train_main("exp01_baseline", build_exp01, EXP01,
               ["--epochs", "1", "--batch-size", "16", "--weight-decay", "0.05",
                "--data", str(npz_path), *dirs(tmp_path)])
    record = json.loads(next((tmp_path / "results" / "exp01_baseline").glob("train-*.json"))
                        .read_text())
    assert record["settings"]["weight_decay"] == 0.05


def test_tensorboard_flag_writes_event_logs(tmp_path: Path, npz_path: Path) -> None:
    train_main("exp01_baseline", build_exp01, EXP01,
               ["--epochs", "1", "--batch-size", "16", "--tensorboard",
                "--data", str(npz_path), *dirs(tmp_path)])
    events = list((tmp_path / "results" / "exp01_baseline" / "tensorboard").rglob("events.*"))
    assert events and all(e.stat().st_size > 0 for e in events)


@pytest.mark.parametrize("last, kept_epoch", [(False, 1), (True, 3)])
def test_keep_weights_keeps_the_best_or_the_last_epoch(tmp_path: Path, last: bool,
                                                       kept_epoch: int) -> None:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    keep = KeepWeights(tmp_path / "kept.weights.h5", last=last)
    keep.set_model(model)
    keep.on_train_begin()
    for epoch, val_accuracy in enumerate((0.7, 0.6, 0.5), start=1):  # best epoch first
        model.set_weights([np.full((2, 1), epoch, "float32"), np.zeros(1, "float32")])
        keep.on_epoch_end(epoch - 1, {"val_accuracy": val_accuracy})
    model.load_weights(tmp_path / "kept.weights.h5")
    assert model.get_weights()[0][0, 0] == kept_epoch


def test_label_smoothing_and_optimizer_options_reach_the_training_and_the_record(
        tmp_path: Path, npz_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = []
    real = setup.training_model

    def spy(*args, **kwargs) -> tuple:
        made = real(*args, **kwargs)
        compiled.append(made[0])
        return made

    monkeypatch.setattr(setup, "training_model", spy)
    train_main("exp01_baseline", build_exp01, EXP01,
               ["--epochs", "1", "--batch-size", "16", "--label-smoothing", "0.2",
                "--optimizer", "sgd", "--lr", "0.05", "--data", str(npz_path),
                *dirs(tmp_path)])
    assert compiled[0].loss.get_config()["label_smoothing"] == 0.2
    optimizer = compiled[0].optimizer
    assert isinstance(optimizer, keras.optimizers.SGD) and optimizer.nesterov
    record = json.loads(next((tmp_path / "results" / "exp01_baseline").glob("train-*.json"))
                        .read_text())
    assert record["settings"]["label_smoothing"] == 0.2
    assert (record["settings"]["optimizer"], record["settings"]["learning_rate"]) == ("sgd", 0.05)






