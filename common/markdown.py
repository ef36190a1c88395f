"""Markdown tables, the one way every report writes them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table of ``header`` and ``rows`` (cells as str() gives them), ending in a
    newline; '' when there are no rows."""
    lines = [f"| {' | '.join(map(str, row))} |" for row in rows]
    if not lines:
        return ""
    return "\n".join([f"| {' | '.join(header)} |", "|" + "---|" * len(header), *lines]) + "\n"
