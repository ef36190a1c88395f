"""--devices: the same recipe data-parallel on several devices (two virtual CPUs here)."""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import keras
import pytest

from common.models.devices import devices_option
from experiments.exp02_batchnorm.model import build_model
from tests.conftest import REPO, backup_of, run_under, saved_h5

NAME = "exp02_batchnorm"  # BatchNormalization: the layer data parallelism can change
TWO_JAX_CPUS = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
# TensorFlow splits its CPU into two logical devices before anything else starts it
TWO_TF_CPUS = """
import runpy, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
sys.argv = ["train", *sys.argv[1:]]
runpy.run_module("experiments.exp02_batchnorm.train", run_name="__main__")
"""


def train_args(tmp_path: Path, npz_path: Path, devices: int, epochs: int = 2) -> list[str]:
    out = tmp_path / f"devices{devices}"
    return ["--data", str(npz_path), "--epochs", str(epochs), "--batch-size", "16",
            "--devices", str(devices), "--model-dir", str(out / "models"),
            "--results-dir", str(out / "results")]


def finished_run(tmp_path: Path, devices: int) -> tuple[dict, list[dict]]:
    folder = tmp_path / f"devices{devices}" / "results" / NAME
    (record,) = folder.glob("train-*.json")
    with open(folder / f"{record.stem}.history.csv", newline="") as f:
        return json.loads(record.read_text()), list(csv.DictReader(f))


def assert_same_run(tmp_path: Path, loss_tolerance: float) -> None:
    """Two devices train what one does: the same epochs, losses within noise, and the
    same plain-Keras .h5 (the stock network, loaded with no project code)."""
    (one, one_history), (two, two_history) = (finished_run(tmp_path, n) for n in (1, 2))
    assert len(one["devices"]) == 1 and len(two["devices"]) == 2
    assert len(one_history) == len(two_history) == 2
    for a, b in zip(one_history, two_history, strict=True):
        assert float(b["loss"]) == pytest.approx(float(a["loss"]), abs=loss_tolerance)
    saved = keras.models.load_model(saved_h5(tmp_path / "devices2" / "models", NAME))
    assert saved.count_params() == build_model().count_params()
    assert [w.shape for w in saved.get_weights()] == [w.shape for w in build_model().get_weights()]


def test_two_jax_devices_train_what_one_does(tmp_path: Path, npz_path: Path) -> None:
    for devices in (1, 2):
        run_under("jax", ["-m", f"experiments.{NAME}.train",
                          *train_args(tmp_path, npz_path, devices)], **TWO_JAX_CPUS)
    assert_same_run(tmp_path, loss_tolerance=0.02)  # one program, sharded: summation order


def test_two_tensorflow_devices_train_what_one_does(tmp_path: Path, npz_path: Path) -> None:
    for devices in (1, 2):
        run_under("tensorflow", ["-c", TWO_TF_CPUS, *train_args(tmp_path, npz_path, devices)])
    # MirroredStrategy: each replica's BatchNormalization normalizes its 8 images alone.
    # One device, seeds 1-3 on this data: epoch losses 3.92-4.10 and 1.99-2.48; two
    # devices, seed 0: 4.23 and 2.50 against one device's 4.00 and 2.48
    assert_same_run(tmp_path, loss_tolerance=0.3)


def test_more_devices_than_exist_is_one_line(tmp_path: Path, npz_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", f"experiments.{NAME}.train",
                           *train_args(tmp_path, npz_path, 64)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "--devices 64: the tensorflow backend sees" in done.stderr
    assert not (tmp_path / "devices64").exists()


@pytest.mark.parametrize("value", ["0", "-1", "two", ""])
def test_devices_must_be_a_positive_number_or_all(value: str) -> None:
    assert devices_option("all") == "all" and devices_option("3") == "3"
    with pytest.raises(argparse.ArgumentTypeError, match="positive number of devices"):
        devices_option(value)


def test_jax_batches_that_do_not_split_evenly(tmp_path: Path, npz_path: Path) -> None:
    """101 training images in batches of 16 end with a batch of 5, 11 validation images:
    on two JAX devices each is cut to an even count; an odd batch size is refused."""
    run_under("jax", ["-m", f"experiments.{NAME}.train",
                      *train_args(tmp_path, npz_path, 2, epochs=1), "--limit", "101"],
              **TWO_JAX_CPUS)
    record, _ = finished_run(tmp_path, 2)
    assert record["data"]["train"] == 101 and record["data"]["validation"] == 10
    done = subprocess.run([sys.executable, "-m", f"experiments.{NAME}.train",
                           *train_args(tmp_path, npz_path, 2), "--batch-size", "15"],
                          cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "KERAS_BACKEND": "jax", **TWO_JAX_CPUS})
    assert done.returncode == 2 and "does not split evenly over 2 devices" in done.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def start_processes(tmp_path: Path, npz_path: Path, epochs: int) -> list[subprocess.Popen]:
    """Process 0 and 1 of one run on localhost, as docs/devices.md starts them."""
    port = free_port()
    processes = []
    for index in (0, 1):
        env = {**os.environ, "KERAS_BACKEND": "jax",
               "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"localhost:{port}",
               "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
               "KERAS_DISTRIBUTION_PROCESS_ID": str(index)}
        args = train_args(tmp_path, npz_path, 2, epochs)
        args[args.index("--devices") + 1] = "all"
        processes.append(subprocess.Popen(
            [sys.executable, "-m", f"experiments.{NAME}.train", *args], cwd=REPO, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    return processes


def finish(processes: list[subprocess.Popen]) -> list[tuple[int, str, str]]:
    outputs = [p.communicate(timeout=300) for p in processes]
    return [(p.returncode, *out) for p, out in zip(processes, outputs, strict=True)]


def test_two_processes_train_one_model_and_process_0_alone_writes(
        tmp_path: Path, npz_path: Path) -> None:
    pytest.importorskip("jax")
    run_under("jax", ["-m", f"experiments.{NAME}.train", *train_args(tmp_path, npz_path, 1)])
    done = finish(start_processes(tmp_path, npz_path, epochs=2))
    assert [code for code, _, _ in done] == [0, 0], done[0][2][-2000:] + done[1][2][-2000:]
    assert "process 0 saves the model" in done[1][1]
    assert_same_run(tmp_path, loss_tolerance=0.02)  # the sharded program of one process
    record, _ = finished_run(tmp_path, 2)  # one record (finished_run insists), by process 0
    assert record["processes"] == 2
    assert sorted(p.name for p in (tmp_path / "devices2" / "models").iterdir()) == [
        "checkpoints", saved_h5(tmp_path / "devices2" / "models", NAME).name]


def test_a_killed_process_stops_the_other_at_once_and_the_rerun_resumes(
        tmp_path: Path, npz_path: Path) -> None:
    pytest.importorskip("jax")
    history_csv = backup_of(tmp_path / "devices2" / "models", NAME, epochs=4,
                            batch_size=16) / "history.csv"
    first, second = start_processes(tmp_path, npz_path, epochs=4)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and first.poll() is None:  # epoch 1 backed up
        if history_csv.is_file() and len(history_csv.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    second.kill()
    _, stderr = first.communicate(timeout=60)  # it stops, with a message, not forever
    second.communicate()
    assert first.returncode == 2, stderr[-2000:]
    assert stderr.splitlines()[-1].startswith(
        "error: process 0: another process of this run stopped")
    assert "rerun the same command in every process" in stderr
    assert not list((tmp_path / "devices2" / "models").glob(f"{NAME}*.h5"))

    done = finish(start_processes(tmp_path, npz_path, epochs=4))
    assert [c for c, _, _ in done] == [0, 0], done[0][2][-2000:] + done[1][2][-2000:]
    assert "resuming the interrupted run" in done[0][1]
    record, history = finished_run(tmp_path, 2)
    assert record["resumed"] and record["processes"] == 2
    assert [row["epoch"] for row in history] == ["0", "1", "2", "3"]


def test_several_processes_need_jax_and_all_their_devices(tmp_path: Path,
                                                          npz_path: Path) -> None:
    several = {"KERAS_DISTRIBUTION_JOB_ADDRESSES": "localhost:1",
               "KERAS_DISTRIBUTION_NUM_PROCESSES": "2", "KERAS_DISTRIBUTION_PROCESS_ID": "0"}
    done = subprocess.run([sys.executable, "-m", f"experiments.{NAME}.train",
                           *train_args(tmp_path, npz_path, 1)], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **several,
                                                       "KERAS_BACKEND": "tensorflow"})
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "with KERAS_BACKEND=jax" in done.stderr
