"""Two runs at once lose nothing; a backup that cannot be read, or a write that fails, is
one line with the remedy. Real processes, as a user starts them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from experiments.exp01_baseline.train import SETTINGS
from tests.conftest import saved_h5

REPO = Path(__file__).resolve().parents[1]
NAME = "exp01_baseline"


def command(tmp: Path, npz: Path, *extra: str, epochs: int = 2) -> list[str]:
    return [sys.executable, "-m", f"experiments.{NAME}.train", "--data", str(npz),
            "--epochs", str(epochs), "--batch-size", "16", "--model-dir", str(tmp / "models"),
            "--results-dir", str(tmp / "results"), *extra]


def start(tmp: Path, npz: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(command(tmp, npz, *extra), cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def backup(tmp: Path, seed: int = 0, epochs: int = 2) -> Path:
    """The run's own backup, named by the options it differs from the recipe in."""
    stem = replace(SETTINGS, epochs=epochs, batch_size=16).file_stem(NAME, SETTINGS)
    return tmp / "models" / "checkpoints" / f"{stem}-seed{seed}"


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 300) -> None:
    end = time.monotonic() + timeout
    while not path.is_file():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < end, f"{path} never appeared"
        time.sleep(0.2)


def test_the_same_command_twice_stops_the_second_at_once(tmp_path: Path, npz_path: Path) -> None:
    long = 150  # epochs of the tiny data: still training while the second starts up
    first = subprocess.Popen(command(tmp_path, npz_path, epochs=long), cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(backup(tmp_path, epochs=long) / "owner.json", first)
    second = subprocess.run(command(tmp_path, npz_path, "--fresh", epochs=long), cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert second.returncode == 2
    [line] = second.stderr.strip().splitlines()
    assert f"already training (process {first.pid}, started " in line
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err  # --fresh removed nothing of the live run
    assert len(list((tmp_path / "results" / NAME).glob("train-*.json"))) == 1
    assert saved_h5(tmp_path / "models", NAME).is_file()


def test_two_seeds_train_side_by_side(tmp_path: Path, npz_path: Path) -> None:
    runs = [start(tmp_path, npz_path, "--seed", str(seed)) for seed in (8, 9)]
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
    records = [json.loads(p.read_text())
               for p in (tmp_path / "results" / NAME).glob("train-*.json")]
    assert sorted(r["seed"] for r in records) == [8, 9]
    saved = saved_h5(tmp_path / "models", NAME)  # written atomically by the last to finish
    assert saved.is_file() and {r["model_file"] for r in records} == {
        os.path.relpath(saved, REPO)}
    assert not backup(tmp_path, 8).exists() and not backup(tmp_path, 9).exists()


@pytest.mark.parametrize("damage", [
    ("history.csv", "epoch,loss\n0,1.0\nepoch,loss\n0,garbage\n"),  # two writers
    ("run.json", '{"options": {"epochs": '),  # half written
])
def test_a_backup_that_cannot_be_read_is_one_line(tmp_path: Path, npz_path: Path,
                                                   damage: tuple[str, str]) -> None:
    folder = backup(tmp_path)
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"options": {}, "started": "x",
                                                 "started_stamp": "x", "resumed": 0}))
    (folder / "history.csv").write_text("epoch,loss\n0,1.0\n")
    (folder / damage[0]).write_text(damage[1])
    broken = subprocess.run(command(tmp_path, npz_path), cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    assert broken.returncode == 2 and "Traceback" not in broken.stderr
    [line] = broken.stderr.strip().splitlines()
    assert "cannot be read" in line and "--fresh" in line
    fresh = subprocess.run(command(tmp_path, npz_path, "--fresh"), cwd=REPO,
                           capture_output=True, text=True, timeout=600)
    assert fresh.returncode == 0, fresh.stderr


def test_a_failed_write_stops_with_one_line_and_the_same_command_resumes(
        tmp_path: Path, npz_path: Path) -> None:
    # The disk fills up while the second epoch is backed up: no space for its weights.
    inject = (
        "import errno, sys, keras\n"
        "save = keras.Model.save_weights\n"
        "calls = []\n"
        "def full(self, *a, **k):\n"
        "    calls.append(a[0] if a else k['filepath'])\n"
        "    if len(calls) > 2:\n"
        "        raise OSError(errno.ENOSPC, 'No space left on device', str(calls[-1]))\n"
        "    return save(self, *a, **k)\n"
        "keras.Model.save_weights = full\n"
        "import runpy\n"
        f"sys.argv = {command(tmp_path, npz_path)[2:]!r}\n"
        f"runpy.run_module('experiments.{NAME}.train', run_name='__main__')\n")
    full = subprocess.run([sys.executable, "-c", inject], cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    assert full.returncode == 2, full.stderr
    line = full.stderr.strip().splitlines()[-1]  # after the start-up log of the bare import
    assert "No space left on device" in line and "MB free there" in line
    assert "run the same command again" in line and "Traceback" not in full.stderr
    again = subprocess.run(command(tmp_path, npz_path), cwd=REPO, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "resuming the interrupted run" in again.stdout
