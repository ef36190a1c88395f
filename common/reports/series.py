"""Time to accuracy, as the series records it: one table per series run, newest first
(``results/series.md``), and the newest run's validation curves against training time
(``results/series.png``).

    python -m common.series --report    # rewrites both from results/series-*.json
"""

from __future__ import annotations

import json
from pathlib import Path

from common.basics import plots
from common.basics.files import write_text_atomic
from common.basics.markdown import minutes, table
from common.records.store import machine, platform
from common.reports.row import MET


def _gpu_busy(step: dict) -> float | None:
    return (step.get("gpu_utilisation") or {}).get("mean_percent")


def render(record: dict, name: str) -> str:
    """One series run as a markdown table, with where and how it ran."""
    lines = [f"### {name}", "",
             f"{record['versions']['backend']} on {machine(record)}; "
             f"commit {record['commit'][:7]}; `{record['command']}`; "
             f"{record['started'][:16]} to {record['finished'][:16]}"
             + (f", resumed {record['resumed']} times" if record.get("resumed") else ""), ""]
    lines.append(table(
        ["step", "target", "test accuracy", "met", "time to target", "training time",
         "training FLOPs", "precision", "GPU busy (mean)"],
        [[step["experiment"], "—" if step["target"] is None else f"{step['target']:.0%}",
          f"{step['test_accuracy']:.2%}", MET[step["met"]],
          minutes(step["time_to_target_seconds"]), minutes(step["train_seconds"]),
          "—" if step.get("train_flops") is None else f"{step['train_flops'] / 1e15:.2f} PFLOP",
          step.get("precision") or "—",  # trained and tested in (--precision auto)
          "—" if _gpu_busy(step) is None else f"{_gpu_busy(step):.0f}%"]
         for step in record["steps"]]).rstrip("\n"))
    lines += ["", f"Whole series: **{minutes(record['train_seconds'])}** of training.", ""]
    return "\n".join(lines)


def write_report(results_dir: Path) -> Path | None:
    """Rewrite series.md (every series record, newest first) and series.png (the newest)."""
    paths = sorted(results_dir.glob("series-*.json"), reverse=True)  # stamps sort by time
    if not paths:
        return None
    records = [json.loads(p.read_text()) for p in paths]
    text = ["# Time to accuracy", "",
            "Each table is one run of `python -m common.series` (records beside this file): "
            "every step trained and tested by its own commands, one after the other, on one "
            "machine. *Time to target* is the step's training time when its test accuracy "
            "meets its target; *training FLOPs* count every image's forward and backward "
            "pass (`common.models.flops`).", "",
            "![validation accuracy against training time](series.png)", ""]
    text += [render(r, p.stem) for r, p in zip(records, paths, strict=True)]
    newest = records[0]
    plots.time_to_accuracy(
        {s["experiment"]: [(p["seconds"] / 60, p["val_accuracy"])
                           for p in s["validation_curve"]] for s in newest["steps"]},
        {s["experiment"]: s["target"] for s in newest["steps"]},
        f"{paths[0].stem}: {platform(newest)}", results_dir / "series.png")
    write_text_atomic(results_dir / "series.md", "\n".join(text))
    return results_dir / "series.md"
