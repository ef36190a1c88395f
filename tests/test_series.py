"""The series command: each step trained and tested by its entry points, timed, packed."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from common import series
from common.basics.errors import UserError
from common.basics.files import sha256_of


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
    train = json.loads((results / step["train_record"]).read_text())
    assert test["data"]["source"] == npz_path.name  # tested on the data it trained on
    assert test["data"]["sha256"] == train["data"]["sha256"] == sha256_of(npz_path)
    with tarfile.open(out / "series.tar.gz") as tar:
        names = set(tar.getnames())
    saved = f"saved_models/{Path(step['model_file']).name}"  # named by the options
    assert saved.startswith("saved_models/exp01_baseline-") and saved.endswith(".h5")
    assert {f"results/{path.name}", saved, "results/series.md",
            f"results/{step['train_record']}", f"results/{step['test_record']}"} <= names
    table = (results / "series.md").read_text()  # the time-to-accuracy table, and its plot
    assert f"| exp01_baseline | 74% | {step['test_accuracy']:.2%} | **no** | — |" in table
    assert (results / "series.png").stat().st_size > 0


def _fake_steps(monkeypatch, fail_at: str | None = None) -> list[str]:
    """run_step replaced by a stand-in that records the steps it ran (and can crash)."""
    ran: list[str] = []

    def run_step(name: str, *_: object) -> dict:
        if name == fail_at:
            raise KeyboardInterrupt  # the session ended mid-step
        ran.append(name)
        return {"experiment": name, "target": 0.8, "test_accuracy": 0.5, "met": False,
                "train_seconds": 10.0, "time_to_target_seconds": None,
                "validation_curve": [{"epoch": 1, "seconds": 10.0, "val_accuracy": 0.5}]}

    monkeypatch.setattr(series, "run_step", run_step)
    return ran


def test_an_interrupted_series_continues_after_its_last_finished_step(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dirs = ["--results-dir", str(tmp_path / "results"), "--model-dir", str(tmp_path / "m")]
    argv = ["--experiments", "exp01_baseline", "exp02_batchnorm", *dirs, "--", "--seed", "2"]
    first = _fake_steps(monkeypatch, fail_at="exp02_batchnorm")
    with pytest.raises(KeyboardInterrupt):
        series.main(argv)
    assert first == ["exp01_baseline"] and not (tmp_path / "results").exists()
    second = _fake_steps(monkeypatch)
    series.main(argv)
    assert second == ["exp02_batchnorm"]  # step 1 is not trained again
    (path,) = (tmp_path / "results").glob("series-*.json")
    record = json.loads(path.read_text())
    assert [s["experiment"] for s in record["steps"]] == ["exp01_baseline", "exp02_batchnorm"]
    assert record["resumed"] == 1 and record["train_seconds"] == 20.0
    assert not (tmp_path / "m" / "checkpoints" / "series.json").exists()  # done: forgotten


def test_another_series_over_an_interrupted_one_says_how_to_continue_or_start_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dirs = ["--results-dir", str(tmp_path / "results"), "--model-dir", str(tmp_path / "m")]
    _fake_steps(monkeypatch, fail_at="exp02_batchnorm")
    with pytest.raises(KeyboardInterrupt):
        series.main(["--experiments", "exp01_baseline", "exp02_batchnorm", *dirs])
    step_backup = tmp_path / "m" / "checkpoints" / "exp02_batchnorm"
    step_backup.mkdir()  # the interrupted step's own backup
    with pytest.raises(UserError, match="exp01_baseline exp02_batchnorm.*--fresh"):
        series.main(["--experiments", "exp02_batchnorm", *dirs])
    ran = _fake_steps(monkeypatch)
    series.main(["--experiments", "exp02_batchnorm", "--fresh", *dirs])
    assert ran == ["exp02_batchnorm"] and not step_backup.exists()


def test_a_step_that_fails_stops_the_series_with_one_line(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no_such_step's train command stopped"):
        series.main(["--experiments", "no_such_step", "--results-dir", str(tmp_path / "r"),
                     "--model-dir", str(tmp_path / "m")])


def _record(stamp: str, accuracy: float, time_to_target: float | None) -> dict:
    step = {"experiment": "exp04_augmentation", "target": 0.88, "test_accuracy": accuracy,
            "met": time_to_target is not None, "time_to_target_seconds": time_to_target,
            "train_seconds": 600.0, "train_flops": 2.5e15, "precision": "mixed_float16",
            "gpu_utilisation": {"mean_percent": 91.4, "max_percent": 99, "samples": 9},
            "validation_curve": [{"epoch": 1, "seconds": 300.0, "val_accuracy": 0.7},
                                 {"epoch": 2, "seconds": 600.0, "val_accuracy": 0.89}]}
    return {"kind": "series", "command": "python -m common.series", "commit": "abcdef123",
            "started": f"2026-11-{stamp}T10:00:00", "finished": f"2026-11-{stamp}T10:10:00",
            "resumed": 2, "train_options": [], "steps": [step], "train_seconds": 600.0,
            "hardware": {"cpu": "Some CPU", "cores": 16, "gpus": ["NVIDIA H200"]},
            "versions": {"backend": "jax"}}


def test_the_report_shows_every_series_newest_first(tmp_path: Path) -> None:
    for day, accuracy, reached in [("01", 0.8712, None), ("02", 0.8899, 540.0)]:
        path = tmp_path / f"series-202611{day}-100000.json"
        path.write_text(json.dumps(_record(day, accuracy, reached)))
    series.main(["--report", "--results-dir", str(tmp_path)])
    table = (tmp_path / "series.md").read_text()
    rest = "| 10.0 min | 2.50 PFLOP | mixed_float16 | 91% |"
    newer = f"| exp04_augmentation | 88% | 88.99% | yes | 9.0 min {rest}"
    older = f"| exp04_augmentation | 88% | 87.12% | **no** | — {rest}"
    assert table.index(newer) < table.index(older)
    assert "jax on Some CPU, 16 cores, NVIDIA H200" in table and "resumed 2 times" in table
    assert (tmp_path / "series.png").stat().st_size > 0


def test_the_default_series_is_the_steps_that_carry_the_slides_recipe() -> None:
    """No list of names in common/: the steps with a --recipe slides variant."""
    assert series.slides_steps() == ["exp01_baseline", "exp02_batchnorm", "exp03_deeper_l2",
                                     "exp04_augmentation"]
