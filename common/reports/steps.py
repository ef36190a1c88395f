"""The steps' table: one line a recipe (its idea, target, accuracy, cost and time), the line
of the whole series' training time, and the steps' chart."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

from common.basics import plots
from common.basics.markdown import accuracy_cell, minutes, table
from common.reports.recipes import ours
from common.reports.row import MET, Row


def series_line(rows: Sequence[Row]) -> str:
    """The whole series' training time, and the machines it was measured on: averaged over
    each step's seeds, and the newest run of each step (the current code's speed)."""
    machines = sorted({m for r in rows if r.train_seconds for m in r.machines})
    latest = [r.latest for r in rows if r.latest]
    newest = (f" The newest run of each step: **{sum(s for s, _ in latest) / 60:.1f} min** "
              f"(on {'; '.join(sorted({m for _, m in latest}))})." if latest else "")
    return (f"Whole series, one run of each step: **{series_minutes(rows):.1f} min** of "
            f"training, each step's mean over its seeds (on "
            f"{'; '.join(machines) or 'an unrecorded machine'}).{newest}")


def series_minutes(rows: Sequence[Row]) -> float:
    """Training time of the whole series: each experiment's mean over its seeds."""
    return sum(statistics.fmean(r.train_seconds) for r in rows if r.train_seconds) / 60


def render(rows: Sequence[Row]) -> str:
    """The comparison as a Markdown table."""
    return table(
        ["experiment", "idea", "target", "test accuracy", "met", "parameters", "epochs",
         "training time", "made for", "backend · device", "data", "date"],
        [[row.experiment, row.idea or "—", percent(row.target) if row.target else "—",
          accuracy_cell(row.accuracies) + row.precision_mark,
          MET[row.met],
          f"{row.params:,}" if row.params else "—", ", ".join(map(str, row.epochs)) or "—",
          minutes(row.train_seconds) + row.time_note,
          row.budget or "—",
          "; ".join(row.platforms) or "—", row.data, row.date]
         for row in rows])


def percent(fraction: float) -> str:
    """A target as the source states it: 0.74 -> 74%, 0.9905 -> 99.05%."""
    return f"{fraction * 100:.2f}".rstrip("0").rstrip(".") + "%"


def steps_chart(rows: Sequence[Row], path: Path) -> None:
    """Test accuracy of each of our recipes against its target, as a bar chart."""
    steps = ours(rows)
    plots.steps_chart([r.experiment for r in steps], [r.accuracies for r in steps],
                      [r.target for r in steps], path, [r.target_source for r in steps])
