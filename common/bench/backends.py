"""Our training path under each Keras backend, side by side in one run.

    python -m common.bench --backends tensorflow jax torch [--experiments ...]

A process runs one backend (Keras picks it at import), so each backend is measured in a
child process (``python -m common.bench.backends``) that prints its rows as JSON; the
parent collects them into one record. A backend that is not installed gets a row that
says so instead of a number.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from common.basics.markdown import table
from common.basics.paths import REPO_ROOT

MARK = "rows: "  # the child's last line: MARK + JSON


def across_backends(backends: Sequence[str], experiments: Sequence[str], images: int,
                    data: str | None, timings: int) -> dict:
    rows, versions = [], {}
    for backend in backends:
        if importlib.util.find_spec(backend) is None:
            print(f"{backend}: not installed (pip install -r requirements-backends.txt)")
            rows += [{"experiment": e, "backend": backend, "installed": False}
                     for e in experiments]
            continue
        command = [sys.executable, "-m", "common.bench.backends", "--images", str(images),
                   "--timings", str(timings), *(["--data", data] if data else []),
                   *experiments]
        with subprocess.Popen(command, cwd=REPO_ROOT, text=True, stdout=subprocess.PIPE,
                              env={**os.environ, "KERAS_BACKEND": backend}) as child_process:
            lines = []
            for line in child_process.stdout:  # progress as it comes
                lines.append(line.rstrip("\n"))
                if not line.startswith(MARK):
                    print(line, end="", flush=True)
        if child_process.returncode != 0 or not lines or not lines[-1].startswith(MARK):
            raise SystemExit(f"error: the {backend} measurement failed (exit "
                             f"{child_process.returncode}); its output is above")
        child = json.loads(lines[-1].removeprefix(MARK))
        rows += child["rows"]
        versions[backend] = child["versions"]
    return {"images": images, "rows": rows, "backend_versions": versions,
            "timed_runs": timings, "statistic": "best"}


def render(record: dict) -> str:
    """Training and inference images/s per experiment (rows) and backend (columns)."""
    backends = list(dict.fromkeys(r["backend"] for r in record["rows"]))
    experiments = list(dict.fromkeys(r["experiment"] for r in record["rows"]))
    cell = {(r["experiment"], r["backend"]): r for r in record["rows"]}
    versions = record.get("backend_versions", {})
    hardware = record["hardware"]
    # what --precision auto chose on each backend (records from before it was kept: unsaid)
    chosen = {r["backend"]: r["precision"] for r in record["rows"] if "precision" in r}
    auto = (": " + ", ".join(f"{b} {p}" for b, p in chosen.items())) if chosen else ""
    lines = [f"Our training path on each backend ({hardware['cores']} cores, "
             f"{hardware['cpu']}; {record['images']} training images per timed epoch, best "
             f"of {record['timed_runs']}; the recipe's batch and `--precision auto`{auto}). "
             "Versions: " + "; ".join(f"{b} {v}" for b, v in versions.items()) + ".\n"]
    rows = []
    for experiment in experiments:
        cells = []
        for backend in backends:
            r = cell.get((experiment, backend), {})
            if not r.get("installed", True):
                cells += ["not installed", "—"]
            else:
                # JAX without jit runs op by op: the failure the JAX tests guard against
                compiled = " (op by op)" if backend == "jax" and not r.get("jit_compile") else ""
                cells += [f"{r['train_images_per_s']:.0f}{compiled}",
                          f"{r['inference_images_per_s']:.0f}"]
        rows.append([experiment, *cells])
    header = ["experiment", *(f"{b} {what}" for b in backends
                              for what in ("train img/s", "inference img/s"))]
    return "\n".join([*lines, table(header, rows)])


def render_all(folder: Path) -> str:
    """Every ``backends-*.json`` record in ``folder``, newest first: runs measure different
    experiments (a later run may add steps), so each keeps its own table and settings."""
    records = sorted(folder.glob("backends-*.json"), reverse=True)
    return "\n".join(f"[{path.name}]({path.name}):\n\n" + render(json.loads(path.read_text()))
                     for path in records)


def _measure_here(argv: Sequence[str]) -> None:
    """Child: measure ``argv``'s experiments on this process's backend; print the rows."""
    import argparse

    import keras

    from common.bench import measure
    from common.bench.runs import _loaded
    from common.bench.ways import our_way
    from common.models.precision import resolve_precision

    parser = argparse.ArgumentParser(prog="python -m common.bench.backends")
    parser.add_argument("experiments", nargs="+")
    parser.add_argument("--images", type=int, required=True)
    parser.add_argument("--timings", type=int, required=True)
    parser.add_argument("--data", default=None)
    args = parser.parse_args(argv)
    measure.set_timings(args.timings)
    backend, rows, loaded = keras.backend.backend(), [], {}
    for name in args.experiments:
        experiment, splits, x, y = _loaded(name, args.data, args.images, loaded)
        row = our_way(experiment.build_model, experiment.settings, x, y, splits.x_test,
                      splits.y_test)
        rows.append({"experiment": name, "backend": backend,
                     "precision": resolve_precision("auto"),
                     "batch_size": experiment.settings.batch_size, **row})
        print(f"{backend:10s} {name:20s} train {row['train_images_per_s']:7.0f} img/s  "
              f"inference {row['inference_images_per_s']:7.0f} img/s  "
              f"compiled {row['jit_compile']}", flush=True)
    module = importlib.import_module({"tensorflow": "tensorflow", "jax": "jax",
                                      "torch": "torch"}[backend])
    print(MARK + json.dumps({"rows": rows, "versions": module.__version__}))


if __name__ == "__main__":
    _measure_here(sys.argv[1:])


def render_curves(folder: Path) -> str:
    """The same short run under each backend (``folder/<backend>/<experiment>/``): training
    and validation accuracy per epoch side by side, and the test accuracy of each."""
    import csv

    from common.records.store import read_records

    runs = {}
    for backend_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        records = read_records(backend_dir)
        trains = [r for r in records if r["kind"] == "train"]
        if not trains:
            continue
        train = trains[-1]
        tests = [r for r in records
                 if r["kind"] == "test" and r["model_sha256"] == train["model_sha256"]]
        with open(train["_path"].parent / train["history_csv"], newline="") as f:
            history = list(csv.DictReader(f))
        runs[backend_dir.name] = (train, history, tests[-1] if tests else None)
    if not runs:
        return ""
    first = next(iter(runs.values()))[0]
    lines = [f"`{first['command']}` under each backend (seed {first['seed']}, "
             f"{first['data']['train']} training images, commit {first['commit']}; "
             f"{first['hardware']['cpu']}, {first['hardware']['cores']} cores).\n"]
    rows = []
    for epoch in range(max(len(h) for _, h, _ in runs.values())):
        cells = [epoch + 1]
        for _, history, _ in runs.values():
            row = history[epoch] if epoch < len(history) else {}
            cells += [f"{float(row['accuracy']):.4f}" if row else "—",
                      f"{float(row['val_accuracy']):.4f}" if row else "—"]
        rows.append(cells)
    tests = [f"{test['test_accuracy']:.4f}" if test else "—" for _, _, test in runs.values()]
    seconds = [f"{train['train_seconds']:.0f} s" for train, _, _ in runs.values()]
    for label, values in (("test", tests), ("training time", seconds)):
        rows.append([label, *(cell for v in values for cell in (v, ""))])
    header = ["epoch", *(f"{b} {what}" for b in runs for what in ("train acc.", "val. acc."))]
    return "\n".join([*lines, table(header, rows)])
