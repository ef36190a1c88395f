"""The series command: each step trained and tested by its entry points, timed, packed."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from common import series


def test_the_validation_curve_adds_up_the_epochs_times(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text("epoch,seconds,val_accuracy\n0,10.5,0.5\n1,20.25,0.75\n")
    curve = series.validation_curve({"_path": tmp_path / "train.json", "history_csv": "h.csv"})
    assert curve == [{"epoch": 1, "seconds": 10.5, "val_accuracy": 0.5},
                     {"epoch": 2, "seconds": 30.8, "val_accuracy": 0.75}]


def test_series_trains_tests_records_and_packs_each_step(tmp_path: Path,
                                                         npz_path: Path) -> None:
    results, models, out = tmp_path / "results", tmp_path / "models", tmp_path / "out"
    series.main(["--experiments", "exp01_baseline", "--out", str(out),
                 "--results-dir", str(results), "--model-dir", str(models),
                 "--", "--epochs", "1", "--batch-size", "16", "--data", str(npz_path)])
    (path,) = results.glob("series-*.json")
    record = json.loads(path.read_text())
    (step,) = record["steps"]
    assert step["experiment"] == "exp01_baseline" and 0 <= step["test_accuracy"] <= 1
    assert step["train_seconds"] > 0 and step["gpu_utilisation"] is None  # no GPU here
    assert record["train_options"][:2] == ["--epochs", "1"]
    # one epoch over the training images; exp01's forward pass: 29,659,904 FLOPs
    images = json.loads((results / step["train_record"]).read_text())["data"]["train"]
    assert step["train_flops"] == 3 * 29_659_904 * images
    assert step["met"] is False and step["time_to_target_seconds"] is None  # tiny data
    (epoch,) = step["validation_curve"]  # one epoch: its time and validation score
    assert epoch["epoch"] == 1 and 0 < epoch["seconds"] <= step["train_seconds"] + 0.1
    assert 0 <= epoch["val_accuracy"] <= 1
    test = json.loads((results / step["test_record"]).read_text())
    assert test["test_accuracy"] == step["test_accuracy"]
    assert test["data"]["source"] == str(npz_path)  # tested on the data it trained on
    with tarfile.open(out / "series.tar.gz") as tar:
        names = set(tar.getnames())
    assert {f"results/{path.name}", "saved_models/exp01_baseline.h5",
            f"results/{step['train_record']}", f"results/{step['test_record']}"} <= names
