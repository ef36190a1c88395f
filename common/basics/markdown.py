"""Markdown tables and the cells reports share (durations, accuracies): the one way every
report writes them."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table of ``header`` and ``rows`` (cells as str() gives them), ending in a
    newline; '' when there are no rows."""
    lines = [f"| {' | '.join(map(str, row))} |" for row in rows]
    if not lines:
        return ""
    return "\n".join([f"| {' | '.join(header)} |", "|" + "---|" * len(header), *lines]) + "\n"


def minutes(seconds: float | Sequence[float] | None) -> str:
    """A duration (or several runs' mean) in minutes; '—' for none."""
    if seconds is None or isinstance(seconds, Sequence) and not seconds:
        return "—"
    mean = statistics.fmean(seconds) if isinstance(seconds, Sequence) else seconds
    return f"{mean / 60:.1f} min"


def seconds_or_minutes(seconds: Sequence[float]) -> str:
    """A mean duration in seconds under two minutes, else in minutes; '—' for none."""
    if not seconds:
        return "—"
    mean = statistics.fmean(seconds)
    return f"{mean:.1f} s" if mean < 120 else minutes(mean)


def hours_and_minutes(seconds: float) -> str:
    """A long duration as a person says it: '10 h 02 min', '35 min'."""
    hours, whole_minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {whole_minutes:02d} min" if hours else f"{whole_minutes} min"


def accuracy_cell(accuracies: Sequence[float], span: bool = True) -> str:
    """One run's accuracy, or several runs' mean ± standard deviation (n, and with
    ``span`` their min–max); '—' for none."""
    if not accuracies:
        return "—"
    mean = statistics.fmean(accuracies)
    if len(accuracies) == 1:
        return f"{mean:.2%}"
    spread = f"{mean:.2%} ± {statistics.stdev(accuracies):.2%} (n={len(accuracies)}"
    return spread + (f", {min(accuracies):.2%}–{max(accuracies):.2%})" if span else ")")
