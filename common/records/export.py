"""What a finished run leaves behind: the plain-Keras .h5, and the run record with its
per-epoch CSV and curves plot."""

from __future__ import annotations

import shutil
from pathlib import Path

import keras

from common.basics import plots
from common.basics.files import sha256_of
from common.basics.paths import relative
from common.records.model_io import save_h5
from common.records.store import new_record, write_record


def save_model(model: keras.Model, path: Path) -> Path:
    """Save the stock float32 ``model`` as the slides' test script expects it: compiled
    with the plain loss and metric (``evaluate`` needs them), whatever trained it."""
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return save_h5(model, path)


def saved_file(model_path: Path) -> dict:
    """How a record names the .h5 it made or read: its path and its SHA-256."""
    return {"model_file": relative(model_path), "model_sha256": sha256_of(model_path)}


def write_train_record(fields: dict, commit: str, model_path: Path,
                       history: dict[str, list[float]], history_csv: Path, results_dir: Path,
                       run_id: str, backend: str | None = None) -> Path:
    """Copy the per-epoch CSV, draw the curves, and write
    ``results/<experiment>/<run_id>.json``: ``fields`` plus the saved file and this machine."""
    name = fields["experiment"]
    out_dir = results_dir / name
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(history_csv, out_dir / f"{run_id}.history.csv")
    plots.training_curves(history, f"{name}: {fields['idea']}",
                          out_dir / f"{run_id}.curves.png")
    record = new_record("train", commit, **fields, **saved_file(model_path),
                        history_csv=f"{run_id}.history.csv", curves_png=f"{run_id}.curves.png")
    if backend:  # what computed the steps, where it was not Keras (NumPy from scratch)
        record["versions"]["backend"] = backend
    return write_record(results_dir, name, run_id, record)
