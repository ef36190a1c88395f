"""Nothing lost, nothing silently wrong: resume, reproducibility, divergence, atomic writes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import keras
import numpy as np
import pytest

import common.training.setup as setup
import common.training.train as training
from common.basics.errors import UserError
from common.basics.files import atomic_path, write_json_atomic
from common.data.pipeline import EpochShuffledBatches
from common.records.model_io import save_h5
from common.records.store import read_records, write_record
from common.training.checkpoints import start_or_resume
from experiments.exp04_augmentation.model import build_model as build_exp04
from experiments.exp04_augmentation.train import SETTINGS as EXP04
from tests.conftest import backup_dir, backup_of, saved_h5

NAME = "exp04_augmentation"  # dropout *and* augmentation: every random stream


def run(tmp: Path, npz: Path, *extra: str) -> None:
    training.train_main(NAME, build_exp04, EXP04,
                        ["--epochs", "3", "--batch-size", "16", "--data", str(npz),
                         "--model-dir", str(tmp / "models"), "--results-dir",
                         str(tmp / "results"), *extra])


def history(tmp: Path) -> list[str]:
    [csv] = (tmp / "results" / NAME).glob("*.history.csv")
    return [",".join(v for k, v in zip(lines[0].split(","), line.split(","), strict=True)
                     if k not in ("seconds", "cpu_seconds", "machine_cpu_seconds"))  # times differ
            for lines in [csv.read_text().splitlines()] for line in lines]


def weights(tmp: Path) -> list[np.ndarray]:
    return keras.models.load_model(saved_h5(tmp / "models", NAME)).get_weights()


class InterruptAtEpoch(keras.callbacks.Callback):
    """Stands in for Ctrl-C arriving while epoch ``at`` (0-based) starts."""

    at = 2

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if epoch == self.at:
            raise KeyboardInterrupt
        super().on_epoch_begin(epoch, logs)


@pytest.mark.parametrize("alternate_flips", [False, True])
def test_in_graph_batches_are_the_pydatasets_in_every_epoch(alternate_flips: bool) -> None:
    pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    batches = EpochShuffledBatches(rng.integers(0, 256, (50, 32, 32, 3), np.uint8),
                                   rng.integers(0, 10, 50), batch_size=16, seed=4,
                                   num_classes=10, alternate_flips=alternate_flips)
    dataset = batches.tf_dataset()  # made once, as fit gets it; set_epoch reorders it
    seen = []
    for epoch in (0, 1, 5):
        batches.set_epoch(epoch)
        fed = list(dataset.as_numpy_iterator())
        assert len(fed) == len(batches) == 4
        for index, (images, labels) in enumerate(fed):
            expected_images, expected_labels = batches[index]
            np.testing.assert_array_equal(images, expected_images)
            np.testing.assert_array_equal(labels, expected_labels)
        seen.append(fed[0][1])
    assert not np.array_equal(seen[0], seen[1])  # each epoch its own order


@pytest.fixture
def uninterrupted(tmp_path: Path, npz_path: Path) -> Path:
    run(tmp_path / "a", npz_path)
    return tmp_path / "a"


def test_same_seed_same_weights(uninterrupted: Path, tmp_path: Path, npz_path: Path) -> None:
    run(tmp_path / "b", npz_path)
    assert history(tmp_path / "b") == history(uninterrupted)
    for w1, w2 in zip(weights(tmp_path / "b"), weights(uninterrupted), strict=True):
        np.testing.assert_array_equal(w1, w2)


def test_interrupted_run_resumes_to_the_same_result(uninterrupted: Path, tmp_path: Path,
                                                    npz_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys) -> None:
    tmp = tmp_path / "c"
    with monkeypatch.context() as patch:
        patch.setattr(training, "EpochStats",
                      type("Interrupting", (InterruptAtEpoch, training.EpochStats), {}))
        with pytest.raises(SystemExit) as exit_info:
            run(tmp, npz_path)
    assert exit_info.value.code == 130
    assert "rerun the same command to resume" in capsys.readouterr().err
    assert not list((tmp / "models").glob(f"{NAME}*.h5"))

    run(tmp, npz_path)  # the same command again
    assert "resuming the interrupted run" in capsys.readouterr().out
    assert history(tmp) == history(uninterrupted)  # epochs 1-2 kept, epoch 3 identical
    for w1, w2 in zip(weights(tmp), weights(uninterrupted), strict=True):
        np.testing.assert_array_equal(w1, w2)


def test_fresh_discards_the_backup_and_other_options_are_refused(
        tmp_path: Path, npz_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(training, "EpochStats",
                      type("Interrupting", (InterruptAtEpoch, training.EpochStats), {}))
        with pytest.raises(SystemExit):
            run(tmp_path, npz_path)
    with pytest.raises(SystemExit) as exit_info:  # another seed has a backup of its own;
        run(tmp_path, npz_path, "--precision", "float32")  # other options are named
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "--fresh" in err and "precision 'auto' there" in err
    run(tmp_path, npz_path, "--precision", "float32", "--fresh")
    assert "resuming" not in capsys.readouterr().out
    assert len(history(tmp_path)) == 4  # header + 3 epochs of the new run


@pytest.mark.parametrize("label_smoothing, resumes", [(0.0, True), (0.1, False)])
def test_a_backup_older_than_an_option_resumes_only_with_its_default(
        tmp_path: Path, label_smoothing: float, resumes: bool) -> None:
    old = {"epochs": 3, "seed": 0}  # written before label_smoothing and optimizer existed
    write_json_atomic(tmp_path / "run.json", {"options": old, "started": "then",
                                              "started_stamp": "x", "resumed": 0})
    (tmp_path / "history.csv").write_text("epoch,loss\n0,1.0\n")
    options = {**old, "label_smoothing": label_smoothing, "optimizer": "adam"}
    added_later = {"label_smoothing": 0.0, "optimizer": "adam"}
    if resumes:
        assert start_or_resume(tmp_path, options, added_later)["resumed"] == 1
    else:
        with pytest.raises(UserError, match="--fresh"):
            start_or_resume(tmp_path, options, added_later)


def test_nan_loss_stops_at_once_and_keeps_the_last_good_epoch(
        tmp_path: Path, npz_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    real_getitem = EpochShuffledBatches.__getitem__

    def nan_from_epoch_2(self: EpochShuffledBatches, index: int):
        x, y = real_getitem(self, index)
        return (x * np.nan if self.epoch >= 1 else x), y

    real_set_epoch = EpochShuffledBatches.set_epoch

    def remember_epoch(self: EpochShuffledBatches, epoch: int) -> None:
        self.epoch = epoch
        real_set_epoch(self, epoch)

    with monkeypatch.context() as patch:
        # NaN images through the PyDataset path (the in-graph pipeline reads no __getitem__)
        patch.setattr(setup, "fit_inputs", lambda batches: batches)
        patch.setattr(EpochShuffledBatches, "__getitem__", nan_from_epoch_2)
        patch.setattr(EpochShuffledBatches, "set_epoch", remember_epoch)
        with pytest.raises(SystemExit) as exit_info:
            run(tmp_path, npz_path)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    # Within the epoch's first call into the graph (STEPS_PER_EXECUTION steps): callbacks
    # see the loss once per call.
    found = re.search(r"loss became nan at batch (\d+);", err)
    assert found and int(found[1]) <= setup.STEPS_PER_EXECUTION
    assert "last good epoch is kept" in err
    state = backup_dir(tmp_path / "models", NAME)
    assert len((state / "history.csv").read_text().splitlines()) == 2  # epoch 1 only
    assert (state / "kept.weights.h5").is_file()
    assert not list((tmp_path / "models").glob(f"{NAME}*.h5"))

    run(tmp_path, npz_path)  # with good data again: resumes after epoch 1 and finishes
    assert "resuming" in capsys.readouterr().out
    assert len(history(tmp_path)) == 4
    assert all(np.isfinite(w).all() for w in weights(tmp_path))


def test_kill_9_then_the_same_command_finishes(tmp_path: Path, npz_path: Path) -> None:
    command = [sys.executable, "-m", "experiments.exp01_baseline.train", "--epochs", "4",
               "--batch-size", "8", "--data", str(npz_path),
               "--model-dir", str(tmp_path / "models"), "--results-dir", str(tmp_path / "results")]
    repo = Path(__file__).resolve().parent.parent
    history_csv = backup_of(tmp_path / "models", "exp01_baseline", epochs=4,
                            batch_size=8) / "history.csv"
    process = subprocess.Popen(command, cwd=repo, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:  # wait for epoch 1's backup
        if history_csv.is_file() and len(history_csv.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not list((tmp_path / "models").glob("exp01_baseline*.h5"))  # really cut off

    rerun = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "resuming the interrupted run" in rerun.stdout
    [csv] = (tmp_path / "results" / "exp01_baseline").glob("*.history.csv")
    epochs = [line.split(",")[0] for line in csv.read_text().splitlines()[1:]]
    assert epochs == ["0", "1", "2", "3"]  # every epoch once: none lost, none repeated
    keras.models.load_model(saved_h5(tmp_path / "models", "exp01_baseline"))


# ------------------------------------------------------------------ atomic writes


def test_crash_while_saving_keeps_the_previous_model(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    model = build_exp04()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    target = save_h5(model, tmp_path / "model.h5")
    before = target.read_bytes()

    def crash_midway(self: keras.Model, path: Path) -> None:
        Path(path).write_bytes(b"\x89HDF partial")
        raise OSError("disk full")

    monkeypatch.setattr(keras.Model, "save", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        save_h5(model, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.h5"]  # no temporary left behind


def test_crash_while_writing_a_record_keeps_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "record.json"
    write_json_atomic(target, {"ok": 1})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text('{"half": ')
        raise RuntimeError("killed")
    assert target.read_text() == '{\n  "ok": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]


def test_concurrent_records_are_all_kept(tmp_path: Path) -> None:
    threads = [threading.Thread(target=write_record,
                                args=(tmp_path, "exp01_baseline", "test-same-second",
                                      {"kind": "test", "n": n}))
               for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["n"] for r in read_records(tmp_path)) == list(range(16))
