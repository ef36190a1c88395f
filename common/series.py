"""Train and test a series of experiments in one go, timing it, and pack what it made.

    python -m common.series [--experiments NAME ...] [--out DIR] [-- train options]

Runs the README's two commands for each experiment (``python -m experiments.<name>.train``
then ``.test``) on the current backend, as separate processes, and writes
``results/series-<stamp>.json``: each step's training time and test accuracy, its
validation accuracy after each epoch against training time so far, the whole series'
training time, and, where ``nvidia-smi`` exists, the GPU utilisation sampled
while each step trained (an idle GPU means the host is the bottleneck). With ``--out``,
the records, plots and saved models of the run are packed into ``DIR/series.tar.gz``:
what the GPU script (``.ci/gpu-series.sh``) brings back from a lent machine. Every series
record is shown in ``results/series.md`` (``common.reports.series``); ``--report`` rewrites it.

Interrupted? The series backs itself up after every step (``checkpoints/series.json``
beside the models) and each step's training after every epoch: the same command again
continues from there; ``--fresh`` starts the series over.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from common.basics.errors import UserError, exit_on_user_error
from common.basics.files import write_json_atomic
from common.basics.paths import MODELS_DIR, REPO_ROOT, RESULTS_DIR
from common.basics.provenance import git_commit, now_iso, stamp
from common.config.registry import experiment_names, find_experiment
from common.records.store import new_record, read_history, read_records, wall_seconds
from common.reports.row import target_met
from common.reports.series import write_report


def slides_steps() -> list[str]:
    """The series by default: the slides' climb, i.e. the steps that carry the slides' own
    recipe beside theirs (a ``--recipe slides`` variant), in the order names sort."""
    return [name for name in experiment_names()
            if any(v.variant == "slides" for v in find_experiment(name).variants)]


class GpuSampler:
    """``nvidia-smi``'s utilisation every 0.5 s while a step runs; nothing without one."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._process: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None

    def __enter__(self) -> GpuSampler:
        if shutil.which("nvidia-smi"):
            self._process = subprocess.Popen(
                ["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits",
                 "-lms", "500"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            self._reader = threading.Thread(target=self._read, daemon=True)
            self._reader.start()
        return self

    def _read(self) -> None:
        for line in self._process.stdout:
            try:
                self.samples.append(float(line.split(",")[0]))
            except ValueError:
                pass

    def __exit__(self, *exc: object) -> None:
        if self._process:
            self._process.terminate()
            self._process.wait(timeout=10)

    def summary(self) -> dict | None:
        if not self.samples:
            return None
        return {"mean_percent": round(statistics.fmean(self.samples), 1),
                "max_percent": max(self.samples), "samples": len(self.samples)}


def validation_curve(train: dict) -> list[dict]:
    """[{"epoch", "seconds" (training so far), "val_accuracy"}] from the run's history."""
    history = read_history(train["_path"].parent / train.get("history_csv", ""))
    if not {"seconds", "val_accuracy"} <= history.keys():  # no history, or an old one
        return []
    seconds = itertools.accumulate(history["seconds"])
    return [{"epoch": i, "seconds": round(s, 1), "val_accuracy": accuracy}
            for i, (s, accuracy) in enumerate(zip(seconds, history["val_accuracy"],
                                                  strict=True), start=1)]


def _run(name: str, entry_point: str, options: list[str]) -> None:
    command = [sys.executable, "-m", f"experiments.{name}.{entry_point}", *options]
    code = subprocess.run(command, cwd=REPO_ROOT).returncode
    if code:  # the command has said why
        raise UserError(f"series: {name}'s {entry_point} command stopped (exit {code}); "
                        f"the same series command continues from where it stopped")


def run_step(name: str, train_options: Sequence[str], results_dir: Path,
             model_dir: Path) -> dict:
    """Train then test one experiment with its entry points; what the records say."""
    dirs = ["--results-dir", str(results_dir)]
    started = time.perf_counter()
    with GpuSampler() as gpu:
        _run(name, "train", [*train_options, "--model-dir", str(model_dir), *dirs])
    train_wall = time.perf_counter() - started
    data = train_options[train_options.index("--data"):][:2] if "--data" in train_options else []
    records = [r for r in read_records(results_dir) if r["experiment"] == name]
    train = max((r for r in records if r["kind"] == "train"), key=lambda r: r["finished"])
    saved = REPO_ROOT / train["model_file"]  # named by its options: Settings.file_stem
    _run(name, "test", [*data, "--model", str(saved), *dirs])  # the same data
    records = [r for r in read_records(results_dir) if r["experiment"] == name]
    test = max((r for r in records if r["kind"] == "test"), key=lambda r: r["finished"])
    return {"experiment": name, "target": train["target"],
            "test_accuracy": test["test_accuracy"],
            "met": target_met(test["test_accuracy"], train["target"]),
            "train_seconds": train["train_seconds"], "train_wall_seconds": round(train_wall, 1),
            # time to accuracy: the recipe's training time, when it reaches its target
            "time_to_target_seconds": (wall_seconds(train) if train["target"] is not None
                                       and test["test_accuracy"] >= train["target"] else None),
            # and along the way: training seconds and validation accuracy (one view) after
            # each epoch, so steps compare at any accuracy, their own target or not
            "validation_curve": validation_curve(train),
            "train_flops": train.get("train_flops"),
            "precision": train["settings"].get("precision"), "gpu_utilisation": gpu.summary(),
            "model_file": train["model_file"],
            "train_record": train["_path"].relative_to(results_dir).as_posix(),
            "test_record": test["_path"].relative_to(results_dir).as_posix()}


def series_state(state_file: Path, experiments: list[str], train_options: list[str],
                    fresh: bool) -> dict:
    """The bookkeeping of a series that may be interrupted and continued: its options, the
    commit and time it started, and the steps done so far."""
    state = json.loads(state_file.read_text()) if state_file.is_file() else None
    if fresh:  # the series' bookkeeping and its steps' backups
        for name in {*experiments, *(state["experiments"] if state else [])}:
            shutil.rmtree(state_file.parent / name, ignore_errors=True)
        state = None
    if state is None:
        state = {"experiments": experiments, "train_options": train_options,
                 "commit": git_commit(), "started": now_iso(), "resumed": 0, "steps": []}
    elif [state["experiments"], state["train_options"]] != [experiments, train_options]:
        raise UserError(
            f"an interrupted series of other steps or options ({' '.join(state['experiments'])}"
            f" -- {' '.join(state['train_options'])}) is backed up in {state_file}; rerun "
            f"that command to continue it, or add --fresh to discard it")
    else:
        state["resumed"] += 1
        print(f"series: resuming the series started {state['started']} "
              f"({len(state['steps'])} of {len(experiments)} steps done)", flush=True)
    write_json_atomic(state_file, state)
    return state


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    train_options = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(
        prog="python -m common.series",
        description="Train and test each experiment with its entry points, time the "
                    "series, sample GPU utilisation; options after -- go to every train "
                    "command (e.g. -- --limit 512 --epochs 1: each step then saves under a name "
                    "that says so). Without options the steps take as long as the results "
                    "table's 'Whole series' row says and overwrite the committed "
                    "saved_models/<step>.h5: git checkout saved_models brings those back.")
    steps = slides_steps()
    parser.add_argument("--experiments", nargs="+", default=steps, metavar="NAME",
                        help=f"in order (default: the slides' steps, {' '.join(steps)})")
    parser.add_argument("--out", type=Path, default=None,
                        help="also pack the run's records and models into OUT/series.tar.gz")
    parser.add_argument("--fresh", action="store_true",
                        help="discard an interrupted series (and its steps' backups) and "
                             "start over; without it the same command continues one")
    parser.add_argument("--report", action="store_true",
                        help="only rewrite results/series.md and series.png from the records")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", type=Path, default=MODELS_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.report:
        written = write_report(args.results_dir)
        print(f"wrote {written}" if written else f"no series records in {args.results_dir}")
        return

    state_file = args.model_dir / "checkpoints" / "series.json"
    state = series_state(state_file, args.experiments, train_options, args.fresh)
    steps = state["steps"]
    for name in args.experiments[len(steps):]:
        steps.append(run_step(name, train_options, args.results_dir, args.model_dir))
        write_json_atomic(state_file, state)  # a step done is never run again
        print(f"series: {name} test accuracy {steps[-1]['test_accuracy']:.4f}, training "
              f"{steps[-1]['train_seconds']:.0f} s", flush=True)
    record = new_record("series", state["commit"], started=state["started"],
                        resumed=state["resumed"], train_options=train_options, steps=steps,
                        train_seconds=round(sum(s["train_seconds"] for s in steps), 1))
    path = args.results_dir / f"series-{stamp()}.json"
    write_json_atomic(path, record)
    state_file.unlink()
    print(f"series: {len(steps)} steps, {record['train_seconds']:.0f} s of training; "
          f"recorded {path}; table in {write_report(args.results_dir)}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        with tarfile.open(args.out / "series.tar.gz", "w:gz") as tar:
            tar.add(path, arcname=f"results/{path.name}")
            for report in ("series.md", "series.png"):
                tar.add(args.results_dir / report, arcname=f"results/{report}")
            for step in steps:
                tar.add(args.results_dir / step["experiment"],
                        arcname=f"results/{step['experiment']}")
                saved = REPO_ROOT / step["model_file"]
                tar.add(saved, arcname=f"saved_models/{saved.name}")
        print(f"packed {args.out / 'series.tar.gz'}")


if __name__ == "__main__":
    exit_on_user_error(main)
