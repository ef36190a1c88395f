"""What a finished run leaves behind: the plain-Keras .h5, and the run record with its
per-epoch CSV and curves plot."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import keras

from common import plots
from common.files import sha256_of
from common.model_io import save_h5
from common.records import command_line, environment, now_iso, relative, write_record


def save_model(model: keras.Model, path: Path) -> Path:
    """Save the stock float32 ``model`` as the slides' test script expects it: compiled
    with the plain loss and metric (``evaluate`` needs them), whatever trained it."""
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return save_h5(model, path)


def model_config_sha256(model: keras.Model) -> str:
    """A hash of the network as Keras describes it (layers, shapes, initialisers, names)."""
    config = json.dumps(model.get_config(), sort_keys=True, default=str)
    return hashlib.sha256(config.encode()).hexdigest()


# settings that do not change what a run is: the step's wording, speed-only layer choices
NOT_RECIPE = ("idea", "target", "batchnorm", "dropout")


def recipe(settings: dict, data_source: str, model: keras.Model) -> dict:
    """What makes two runs the same recipe up to the seed, recorded as the run is made:
    the effective settings (without the step's wording and the speed-only layer choices),
    the data, and the network's config."""
    fixed = {k: v for k, v in settings.items() if k not in NOT_RECIPE}
    identity = {"settings": fixed, "data": data_source,
                "model_config_sha256": model_config_sha256(model)}
    text = json.dumps(identity, sort_keys=True, default=str)
    return {**identity, "id": hashlib.sha256(text.encode()).hexdigest()[:16]}


def write_train_record(record: dict, model_path: Path, history: dict[str, list[float]],
                       history_csv: Path, results_dir: Path, run_id: str) -> Path:
    """Copy the per-epoch CSV, draw the curves, and write
    ``results/<experiment>/<run_id>.json``: ``record`` plus the saved file and this machine."""
    name = record["experiment"]
    out_dir = results_dir / name
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(history_csv, out_dir / f"{run_id}.history.csv")
    plots.training_curves(history, f"{name}: {record['idea']}",
                          out_dir / f"{run_id}.curves.png")
    return write_record(results_dir, name, run_id, {
        "kind": "train", **record, "command": command_line(), "finished": now_iso(),
        "model_file": relative(model_path), "model_sha256": sha256_of(model_path),
        "history_csv": f"{run_id}.history.csv", "curves_png": f"{run_id}.curves.png",
        **environment()})
