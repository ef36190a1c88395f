"""Run records: what ran, on what, with which code, and what it measured.

Every number in ``results/`` comes from one of these JSON files. ``new_record`` makes
every kind (train, test, benchmark, series) with the same provenance; ``read_records``
reads train and test records back in today's shape (``common.records.upgrade``).
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

from common.basics.files import write_json_atomic
from common.basics.hardware import environment, machine_name
from common.basics.provenance import command_line, git_commit, now_iso
from common.records.upgrade import upgraded


def new_record(kind: str, commit: str | None = None, **fields: object) -> dict:
    """A record of ``kind`` holding ``fields``, the command, the commit (``commit`` where the
    run read it as it started), when it finished, the hardware and the library versions."""
    return {"kind": kind, **fields, "command": command_line(),
            "commit": commit or git_commit(), "finished": now_iso(), **environment()}


def train_record(*, experiment: str, idea: str, target: float | None, seed: int, data: dict,
                 settings: dict, recipe: dict, params: int, epochs_run: int,
                 train_seconds: float, wall_seconds: float, **measured: object) -> dict:
    """The fields every train record has, whatever trained (Keras, an ensemble's members,
    NumPy, XOR): what ran and with which seed, on what data, with which recipe, how big, how
    long; then what this kind of run measured besides (``measured``). ``new_record("train",
    ...)`` adds the command, commit, time and machine."""
    return {"experiment": experiment, "idea": idea, "target": target, "seed": seed,
            "data": data, "settings": settings, "recipe": recipe, "params": params,
            "epochs_run": epochs_run, "train_seconds": train_seconds,
            "wall_seconds": wall_seconds, **measured}


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
    """Every train and test record under ``results_dir``, upgraded to today's shape, with
    its file as ``_path``; oldest first; unreadable files skipped."""
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
            records.append({**upgraded(record), "_path": path})
    return sorted(records, key=lambda r: r.get("finished", ""))


def read_history(path: Path) -> dict[str, list[float]]:
    """Per-epoch metrics written by CSVLogger, as columns."""
    if not path.is_file():
        return {}
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else {})}


def cpu_use(history: dict[str, list[float]]) -> dict:
    """The process's CPU seconds over the epochs, the share of the machine's cores they
    are, and the share other processes took (``common.training.callbacks.EpochStats``);
    {} for a history from before they were kept."""
    if "cpu_seconds" not in history:
        return {}
    cpu, wall = sum(history["cpu_seconds"]), sum(history["seconds"])
    use = {"cpu_seconds": round(cpu, 1),
           "cpu_share": round(cpu / (wall * usable_cores()), 3) if wall else None}
    if "machine_cpu_seconds" in history and wall:  # what every other process took
        others = sum(history["machine_cpu_seconds"]) - cpu
        use["others_share"] = round(max(others, 0.0) / (wall * usable_cores()), 3)
    return use


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def by_model(records: list[dict]) -> dict[str, dict]:
    """The train record of each saved .h5, by the file's SHA-256: the key a test record
    names the model it evaluated by, so every test is joined to its training run here."""
    return {r["model_sha256"]: r for r in records if r["kind"] == "train"}


# How a (read) train record is shown wherever it is shown

def wall_seconds(train: dict) -> float:
    """The train command's wall time; a resumed run's epochs when it took several."""
    return train["train_seconds"] if train.get("resumed") else train["wall_seconds"]


def machine(train: dict) -> str:
    return machine_name(train["hardware"])


def platform(train: dict) -> str:
    """Where a run trained, as the table names it: 'backend · device' (a GPU's name, or
    CPU)."""
    gpus = train["hardware"]["gpus"]
    return f"{train['versions']['backend']} · {', '.join(sorted(set(gpus))) if gpus else 'CPU'}"
