"""The runs listed under each row: replications of its seeds, and runs of other recipes."""

from __future__ import annotations

from collections.abc import Sequence

from common.basics.markdown import minutes, table
from common.records.store import platform, wall_seconds
from common.reports.row import Row


def render_replications(rows: Sequence[Row]) -> str:
    """Each seed run more than once: every run's test accuracy, machine and date."""
    return table(
        ["experiment", "seed", "test accuracy of each run", "machines", "dates"],
        [[row.experiment, seed, ", ".join(f"{a:.2%}" for a, _, _ in runs),
          "; ".join(m for _, m, _ in runs), ", ".join(d for _, _, d in runs)]
         for row in rows for seed, runs in row.replications.items()])


def render_earlier(rows: Sequence[Row]) -> str:
    """Runs of earlier recipes: what was tried before the current settings, and what
    differs (``records.recipes.differences``)."""
    return table(
        ["experiment", "test accuracy", "seed", "epochs", "batch", "optimizer", "learning rate",
         "label smoothing", "weight decay", "precision", "backend · device", "training time",
         "commit", "differs from the current recipe in"],
        [[row.experiment, f"{accuracy:.2%}", r["seed"], r["epochs_run"],
          r["settings"].get("batch_size", "—"), r["settings"]["optimizer"],
          r["settings"].get("learning_rate", "—"), r["settings"]["label_smoothing"],
          r["settings"]["weight_decay"], r["settings"].get("precision", "—"), platform(r),
          minutes(wall_seconds(r)), r["commit"], ", ".join(r.get("_differs", [])) or "—"]
         for row in rows for accuracy, r in row.earlier])
