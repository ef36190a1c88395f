"""A GPU round's results on one screen: each step's test accuracy against its target, its
training time (the epochs, and the whole train command) and how it trained, from the run
records the round wrote (``.ci/gpu-round.sh`` prints it as summary.md).

    python -m common.round_summary RESULTS_DIR
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from common.basics.markdown import table
from common.records.store import by_model, read_records
from common.reports.row import MET, target_met


def summary(results_dir: Path) -> str:
    """One line a step: the newest test of each experiment, joined to its training run."""
    records = read_records(results_dir)
    trains = by_model(records)
    tests = {r["experiment"]: r for r in records if r["kind"] == "test"}  # newest wins
    busy = {}
    for path in sorted(Path(results_dir).glob("series-*.json")):
        for step in json.loads(path.read_text())["steps"]:
            busy[step["experiment"]] = (step.get("gpu_utilisation") or {}).get("mean_percent")
    lines = []
    for name, test in tests.items():
        train = trains.get(test["model_sha256"], {})
        target = train.get("target")
        met = MET[target_met(test["test_accuracy"], target)]
        settings = train.get("settings", {})
        lines.append([name, f"{test['test_accuracy']:.2%}",
                      "—" if target is None else f"{target:.0%}", met,
                      f"{train['train_seconds']:.1f} s" if train else "—",
                      f"{train['wall_seconds']:.1f} s" if train else "—",
                      train.get("epochs_run", "—"), settings.get("steps_per_call", "—"),
                      settings.get("precision", "—"), _rate(train),
                      "—" if busy.get(name) is None else f"{busy[name]:.0f}%"])
    return table(["step", "test accuracy", "target", "met", "training (epochs)",
                  "train command", "epochs", "steps a call", "precision",
                  "training FLOP/s", "GPU busy"], lines)


def _rate(train: dict) -> str:
    """The training FLOPs (``common.models.flops``) over the epochs' seconds."""
    if not train.get("train_flops") or not train.get("train_seconds"):
        return "—"
    rate = train["train_flops"] / train["train_seconds"]
    return f"{rate / 1e12:.1f} T" if rate >= 1e12 else f"{rate / 1e9:.0f} G"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m common.round_summary",
                                     description="Print a GPU round's results on one screen.")
    parser.add_argument("results_dir", type=Path, help="the round's results folder")
    args = parser.parse_args(argv)
    print(summary(args.results_dir) or f"no evaluated runs in {args.results_dir}")


if __name__ == "__main__":
    main()
