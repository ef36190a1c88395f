"""Settings are the one source of truth: options, the run record and the recipe's identity."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

import common.training.setup as setup
import common.training.train as training
from common.basics.options import add_options, option
from common.config.registry import experiment_names, find_experiment
from common.config.run_options import RunOptions, parse
from common.config.settings import Settings
from experiments.exp01_baseline.model import build_model as build_exp01
from experiments.exp01_baseline.train import SETTINGS as EXP01

REPO = Path(__file__).resolve().parent.parent


def test_every_setting_with_a_help_text_is_an_option_with_the_recipe_as_default() -> None:
    parser = argparse.ArgumentParser()
    add_options(parser, EXP01)
    text = parser.format_help()
    for f in dataclasses.fields(Settings):
        if "help" in f.metadata:
            assert f.metadata["help"].split()[0] in text, f.name
    settings, run = parse("exp01_baseline", EXP01, [])
    assert settings == EXP01 and run == RunOptions()
    settings, run = parse("exp01_baseline", EXP01,
                          ["--lr", "0.01", "--keep", "last", "--schedule", "constant",
                           "--val-fraction", "0.2", "--seed", "4"])
    assert (settings.learning_rate, settings.keep, settings.schedule, settings.val_fraction,
            run.seed) == (0.01, "last", "constant", 0.2, 4)


def test_a_new_field_with_help_becomes_an_option_by_itself() -> None:
    @dataclasses.dataclass(frozen=True)
    class Recipe:
        warmup_epochs: int = dataclasses.field(default=2, metadata=option(
            "epochs of linear warm-up", type=int))
        note: str = "not an option"  # no help: not on the command line

    parser = argparse.ArgumentParser()
    add_options(parser, Recipe())
    assert parser.parse_args(["--warmup-epochs", "5"]).warmup_epochs == 5
    assert "epochs of linear warm-up (default 2)" in " ".join(parser.format_help().split())
    assert "--note" not in parser.format_help()


def warmup_then_constant(learning_rate: float, total_steps: int):
    """A recipe's own schedule: linear warm-up over the first tenth of the steps."""
    return keras.optimizers.schedules.PolynomialDecay(
        learning_rate / 10, max(total_steps // 10, 1), learning_rate, power=1.0)


def test_a_recipe_supplies_its_own_optimizer_and_schedule(
        tmp_path: Path, npz_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = dataclasses.replace(EXP01, optimizer=functools.partial(keras.optimizers.SGD,
                                                                 momentum=0.95),
                              schedule=warmup_then_constant, learning_rate=0.02)
    settings, _ = parse("exp01_baseline", own, [])
    assert settings.optimizer is own.optimizer and settings.schedule is warmup_then_constant
    assert parse("exp01_baseline", own, ["--optimizer", "adam"])[0].optimizer == "adam"
    compiled = []
    real = setup.training_model
    monkeypatch.setattr(setup, "training_model",
                        lambda *a, **k: compiled.append(real(*a, **k)) or compiled[-1])
    training.train_main("exp01_baseline", build_exp01, own,
                        ["--epochs", "1", "--batch-size", "16", "--data", str(npz_path),
                         "--model-dir", str(tmp_path / "m"), "--results-dir", str(tmp_path / "r")])
    optimizer = compiled[0][0].optimizer
    assert isinstance(optimizer, keras.optimizers.SGD) and optimizer.momentum == 0.95
    [path] = (tmp_path / "r" / "exp01_baseline").glob("train-*.json")
    record = json.loads(path.read_text())["settings"]
    assert record["optimizer"] == "SGD(momentum=0.95)"
    assert record["schedule"].endswith("warmup_then_constant")


@pytest.mark.parametrize("change, message", [({"schedule": "onecycle"}, "unknown schedule"),
                                             ({"optimizer": "rmsprop"}, "unknown optimizer"),
                                             ({"optimizer": 3}, "must be a name"),
                                             ({"dataset": "imagenet"}, "unknown dataset")])
def test_an_unknown_name_is_an_error_never_a_silent_default(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(EXP01, **change)


def test_unknown_schedule_on_the_command_line(capsys) -> None:
    with pytest.raises(SystemExit):
        parse("exp01_baseline", EXP01, ["--schedule", "onecycle"])
    assert "invalid choice: 'onecycle'" in capsys.readouterr().err


def test_the_record_keeps_the_effective_settings_and_the_recipe(tmp_path: Path,
                                                                 npz_path: Path) -> None:
    def train(folder: str, *extra: str) -> dict:
        training.train_main("exp01_baseline", build_exp01, EXP01,
                            ["--epochs", "1", "--batch-size", "16", "--data", str(npz_path),
                             "--model-dir", str(tmp_path / folder / "m"),
                             "--results-dir", str(tmp_path / folder / "r"), *extra])
        [path] = (tmp_path / folder / "r" / "exp01_baseline").glob("train-*.json")
        return json.loads(path.read_text())

    first, other_seed = train("a"), train("b", "--seed", "1")
    other_lr = train("c", "--lr", "0.002")
    assert first["settings"]["epochs"] == 1 and first["settings"]["dataset"] == "cifar10"
    assert first["settings"]["batchnorm"] == "none"  # exp01 has no BatchNormalization
    assert len(first["recipe"]["network"]) == 64  # its Keras config's hash
    assert first["recipe"]["id"] == other_seed["recipe"]["id"]  # the seed is not the recipe
    assert first["recipe"]["id"] != other_lr["recipe"]["id"]


def test_experiments_are_found_in_their_folder() -> None:
    names = experiment_names()
    assert names == sorted(names)  # the folder names are the series' order
    assert {"exp01_baseline", "exp04_augmentation", "fmnist01_cnn", "mnist02_vgg"} <= set(names)
    found = find_experiment("exp02_batchnorm")
    assert found.settings.target == 0.79 and found.build_model().name == "exp02_batchnorm"
    with pytest.raises(ValueError, match="unknown experiment 'exp99'"):
        find_experiment("exp99")


def test_no_start_up_noise_a_bad_model_file_is_exactly_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not a model")
    done = subprocess.run([sys.executable, "-m", "experiments.exp01_baseline.test",
                           "--model", str(bad)], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"error: cannot read {bad}")


def test_help_prints_only_its_own_lines() -> None:
    done = subprocess.run([sys.executable, "-m", "experiments.exp01_baseline.train", "--help"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("usage: python -m experiments.exp01_baseline.train")


@pytest.mark.parametrize("backend, reason", [("foo", "Unable to import backend : foo"),
                                             ("jax", "No module named 'jax'")])
def test_a_backend_keras_cannot_start_is_one_line(backend: str, reason: str,
                                                  tmp_path: Path) -> None:
    env = {**os.environ, "KERAS_BACKEND": backend}
    if backend == "jax" and importlib.util.find_spec("jax") is not None:
        # installed here: shadow it with a package that fails as a missing one does
        shadow = tmp_path / "shadow" / "jax"
        shadow.mkdir(parents=True)
        (shadow / "__init__.py").write_text(
            "raise ModuleNotFoundError(\"No module named 'jax'\", name='jax')\n")
        env["PYTHONPATH"] = os.pathsep.join([str(shadow.parent), env.get("PYTHONPATH", "")])
    saved = tmp_path / "exp01_baseline.h5"
    saved.write_bytes(b"an earlier good model")
    done = subprocess.run([sys.executable, "-m", "experiments.exp01_baseline.train",
                           "--model-dir", str(tmp_path)], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert f"KERAS_BACKEND={backend} ({reason})" in done.stderr
    assert saved.read_bytes() == b"an earlier good model"


@pytest.mark.parametrize("option", [["--epochs", "-3"], ["--batch-size", "0"],
                                    ["--lr", "nan"], ["--epochs", "many"]])
def test_nonsense_options_are_refused(option: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse("exp01_baseline", EXP01, option)
    assert exit_info.value.code == 2
    assert "must be a positive" in capsys.readouterr().err


@pytest.mark.parametrize("option, value, wording", [
    ("--weight-decay", "-1", "a number of at least 0"),
    ("--weight-decay", "inf", "a number of at least 0"),
    ("--lr", "0", "a positive number"),
    ("--lr", "nan", "a positive number"),
    ("--label-smoothing", "1", "at least 0 and below 1"),
    ("--label-smoothing", "-0.1", "at least 0 and below 1"),
    ("--label-smoothing", "lots", "at least 0 and below 1"),
])
def test_out_of_range_numbers_are_refused(capsys: pytest.CaptureFixture[str], option: str,
                                          value: str, wording: str) -> None:
    with pytest.raises(SystemExit):
        parse("exp01_baseline", EXP01, [option, value])
    assert f"{option}: must be {wording}, got '{value}'" in capsys.readouterr().err


def test_unknown_optimizer_is_refused_when_the_recipe_is_written() -> None:
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        dataclasses.replace(EXP01, optimizer="rmsprop")


def test_unknown_optimizer_is_refused(capsys) -> None:
    with pytest.raises(SystemExit):
        parse("exp01_baseline", EXP01, ["--optimizer", "rmsprop"])
    assert "invalid choice: 'rmsprop'" in capsys.readouterr().err


@pytest.mark.parametrize("change, message", [({"keep": "middle"}, "keep"),
                                             ({"val_fraction": 0.0}, "val_fraction"),
                                             ({"val_fraction": 1.0}, "val_fraction")])
def test_bad_settings_are_rejected(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(EXP01, **change)


def test_what_shapes_a_run_is_read_from_the_settings_fields() -> None:
    """Each field says once whether it is part of the recipe; the record's recipe, the
    resume key and the list of what is not a recipe are all derived from that."""
    from common.config.settings import recipe_fields
    from common.records.recipes import NOT_RECIPE
    from common.training.train import _options
    from experiments.exp04_augmentation.train import SETTINGS as EXP04

    names = {f.name for f in dataclasses.fields(Settings)}
    assert set(recipe_fields()) | (set(NOT_RECIPE) & names) == names
    assert not set(recipe_fields()) & set(NOT_RECIPE)
    run = RunOptions()
    key = _options(EXP04, run)
    assert {"augmentation", "dataset", "epochs"} <= key.keys() and "idea" not in key
    assert key != _options(dataclasses.replace(EXP04, augmentation=None), run)  # resumes
    assert key == _options(dataclasses.replace(EXP04, idea="reworded"), run)  # only its own
