"""Run records: what ran, on what, with which code, and what it measured.

Every number in ``results/`` comes from one of these JSON files.
"""

from __future__ import annotations

import csv
import json
import os
import platform as host
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from common.files import write_json_atomic

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO_ROOT / "saved_models"
RESULTS_DIR = REPO_ROOT / "results"


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def stamp() -> str:
    """Sortable, filename-safe timestamp, unique per second."""
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def command_line() -> str:
    """The command as the user typed it (``python -m package.module args``)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    head = f"python -m {spec.name}" if spec and spec.name else f"python {sys.argv[0]}"
    return " ".join([head, *map(shlex.quote, sys.argv[1:])])


def git_commit() -> str:
    """HEAD's hash, with ``+dirty`` if tracked files other than run outputs differ from it.

    results/ and saved_models/ are what runs write; changes there do not change the code.
    """
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
    try:
        commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".",
                    ":(exclude)results", ":(exclude)saved_models")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return host.processor() or host.machine()


def accelerators() -> list[str]:
    """GPUs the current Keras backend can use (empty on a CPU-only machine)."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    if backend == "jax":
        import jax

        return [str(d) for d in jax.devices() if d.platform == "gpu"]
    return []


def environment() -> dict:
    """Hardware and library versions of this process."""
    import importlib

    import keras
    import numpy

    backend = keras.backend.backend()
    versions = {"python": host.python_version(), "keras": keras.__version__,
                "backend": backend, "numpy": numpy.__version__}
    if backend in ("tensorflow", "torch", "jax"):
        versions[backend] = importlib.import_module(backend).__version__
    return {
        "hardware": {"cpu": _cpu_name(), "cores": os.cpu_count(), "gpus": accelerators(),
                     "platform": host.platform()},
        "versions": versions,
    }


def relative(path: Path) -> str:
    """Path relative to the repository when inside it, for portable records."""
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def data_source(source: str) -> str:
    """How a run record names its data: 'keras' or a repository-relative path."""
    return source if source == "keras" else relative(Path(source))


def write_record(results_dir: Path, experiment: str, name: str, record: dict) -> Path:
    """Write ``results/<experiment>/<name>.json`` atomically; never overwrites another."""
    folder = Path(results_dir) / experiment
    folder.mkdir(parents=True, exist_ok=True)
    target, n = folder / f"{name}.json", 1
    while True:  # claim the name exclusively: concurrent runs never share a file
        try:
            os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            break
        except FileExistsError:
            n += 1
            target = folder / f"{name}-{n}.json"
    write_json_atomic(target, record)
    return target


def read_records(results_dir: Path) -> list[dict]:
    """Every run record under ``results_dir``, oldest first; unreadable files skipped."""
    records = []
    for path in sorted(Path(results_dir).glob("*/*.json")):
        if path.stat().st_size == 0:
            continue  # a name claimed by a run that is still writing
        try:
            record = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            print(f"warning: skipping unreadable record {path}", file=sys.stderr)
            continue
        if isinstance(record, dict) and record.get("kind") in ("train", "test"):
            record["_path"] = path
            records.append(record)
    return sorted(records, key=lambda r: r.get("finished", ""))


def read_history(path: Path) -> dict[str, list[float]]:
    """Per-epoch metrics written by CSVLogger, as columns."""
    if not path.is_file():
        return {}
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else {})}


# What a train record says, read the same way wherever it is shown

def optimizer_name(train: dict) -> str:
    """The run's optimizer; records before Settings.optimizer wrote "Adam"."""
    return str(train.get("settings", {}).get("optimizer", "adam")).lower()


def wall_seconds(train: dict) -> float:
    """The train command's wall time; a resumed run's epochs when it took several."""
    if train.get("resumed") or "wall_seconds" not in train:
        return train["train_seconds"]
    return train["wall_seconds"]


def machine(train: dict) -> str:
    hardware = train.get("hardware", {})
    gpus = ", ".join(hardware.get("gpus", []))
    return (f"{hardware.get('cpu', 'unknown CPU')}, {hardware.get('cores', '?')} cores"
            + (f", {gpus}" if gpus else ""))


def platform(train: dict) -> str:
    """Where a run trained, as the table names it: 'backend · device' (a GPU's name, or
    CPU). Records from before the backend was recorded all ran on TensorFlow."""
    backend = train.get("versions", {}).get("backend", "tensorflow")
    gpus = train.get("hardware", {}).get("gpus", [])
    return f"{backend} · {', '.join(sorted(set(gpus))) if gpus else 'CPU'}"
