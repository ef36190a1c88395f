"""The slides' own recipe beside ours, step by step: each step's row and its "slides"
variant's (``--recipe slides``), and what the project's recipe gained or lost."""

from __future__ import annotations

from collections.abc import Sequence

from common.basics.markdown import accuracy_cell, minutes, table
from common.reports.row import Row

SLIDES = "slides"


def ours(rows: Sequence[Row]) -> list[Row]:
    """The steps' own rows: every row but the slides' recipes."""
    return [r for r in rows if r.variant != SLIDES]


def render_slides_beside(rows: Sequence[Row]) -> str:
    """'' where no step's slides recipe has run; else a table and a line of explanation."""
    steps = {r.experiment: r for r in rows if r.variant is None}
    pairs = [(steps.get(r.experiment.removesuffix(f"-{SLIDES}")), r)
             for r in rows if r.variant == SLIDES]
    if not pairs:
        return ""
    lines = [[step.experiment if step else slides.experiment.removesuffix(f"-{SLIDES}"),
              accuracy_cell(slides.accuracies, span=False), _epochs(slides),
              minutes(slides.train_seconds) + _shared(slides),
              accuracy_cell(step.accuracies, span=False) if step else "—",
              _epochs(step) if step else "—",
              minutes(step.train_seconds) + _shared(step) if step else "—",
              f"{(step.mean - slides.mean) * 100:+.2f}" if step else "—"]
             for step, slides in pairs]
    return ("The slides' own recipe for each step (`--recipe slides`: Adam at its defaults, "
            "batch 32, 25 epochs, 10% held out, the last epoch; each step's README says "
            "what else differs) beside the step's recipe:\n\n"
            + table(["step", "slides' recipe", "epochs", "training time", "ours", "epochs",
                     "training time", "ours − slides (points)"], lines) + "\n")


def _epochs(row: Row) -> str:
    return ", ".join(map(str, row.epochs)) or "—"


def _shared(row: Row) -> str:
    return row.time_note
