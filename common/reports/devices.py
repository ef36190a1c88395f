"""The results' "CPU and GPU" table: each CIFAR-10 step's training on the main table's
machine beside its runs on a GPU, from the records a GPU round brought back.

A round's records live in ``results/gpu/<round>/<experiment>/`` (its README says what ran
and on which commit); they are read as a results folder of their own, so a GPU run never
replaces the main table's row (whose .h5 is the one in saved_models/).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from common.basics.markdown import seconds_or_minutes, table
from common.reports.row import Row
from common.reports.sections import section_of

GPU_ROUNDS = "gpu"  # the folder of results/ that holds the GPU rounds


def rounds_in(results_dir: Path) -> list[Path]:
    """The GPU rounds' folders under ``results_dir``, oldest first (their names sort)."""
    folder = Path(results_dir) / GPU_ROUNDS
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def _accuracy(row: Row | None) -> str:
    return "—" if row is None else f"{row.mean:.2%}" + (f" (n={len(row.accuracies)})"
                                                        if len(row.accuracies) > 1 else "")


def render_devices(rows: Sequence[Row], rounds: dict[str, list[Row]]) -> str:
    """One line a step of each table (dataset or lesson) the rounds trained in: its
    training time (the train command's wall time) and test accuracy on the main table's
    platform, then in each round; '' where there is no round."""
    by_round = {name: {r.experiment: r for r in found} for name, found in rounds.items()}
    tables = {section_of(r) for found in rounds.values() for r in found}
    shown = [row for row in rows if section_of(row) in tables]  # '—' where a round has none
    header = ["step", "training time", "test accuracy", "backend · device"]
    for name in by_round:
        header += [f"{name}: training time", "test accuracy", "backend · device"]
    lines = []
    for row in shown:
        cells = [row.experiment, seconds_or_minutes(row.train_seconds), _accuracy(row),
                 "; ".join(row.platforms) or "—"]
        for got in by_round.values():
            gpu = got.get(row.experiment)
            cells += ([seconds_or_minutes(gpu.train_seconds), _accuracy(gpu),
                       "; ".join(gpu.platforms) or "—"] if gpu else ["—", "—", "—"])
        lines.append(cells)
    return table(header, lines)
