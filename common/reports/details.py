"""The results README's detail sections: accuracy per class with each step's change, the
steps run on several platforms side by side, and the sources' own numbers beside ours."""

from __future__ import annotations

from collections.abc import Sequence

from common.basics.markdown import accuracy_cell, table
from common.reports.backends import accuracies_by_platform
from common.reports.row import Row


def render_per_class(rows: Sequence[Row]) -> str:
    """Accuracy per class and experiment, with the change each step made."""
    rows = [r for r in rows if r.per_class]
    if not rows:
        return ""
    lines = []
    for cls in rows[0].per_class:
        cells, previous = [cls], None
        for r in rows:
            value = r.per_class.get(cls)
            cell = "—" if value is None else f"{value:.1%}"
            if value is not None and previous is not None:
                cell += f" ({(value - previous) * 100:+.1f})"
            cells.append(cell)
            previous = value
        lines.append(cells)
    return table(["class", *(r.experiment for r in rows)], lines)


def render_by_backend(rows: Sequence[Row]) -> str:
    """The steps run on more than one platform, one column a platform; '' where none is."""
    found = {row.experiment: accuracies_by_platform(row) for row in rows}
    found = {name: by for name, by in found.items() if len(by) > 1}
    platforms = sorted({p for by in found.values() for p in by})
    return table(["experiment", *platforms],
                 [[name, *(accuracy_cell(by.get(p, []), span=False) for p in platforms)]
                  for name, by in found.items()])


def render_references(rows: Sequence[Row]) -> str:
    """Each experiment with a reference.json beside the source's numbers, class by class."""
    parts = []
    for row in rows:
        ref = row.reference
        if not ref or not row.per_class:
            continue
        cells = [["**all**", f"{ref['test_accuracy']:.1%}", f"{row.mean:.2%}",
                  f"{(row.mean - ref['test_accuracy']) * 100:+.1f}"]]
        for cls, reported in ref.get("per_class_accuracy", {}).items():
            ours = row.per_class.get(cls)
            cells.append([cls, f"{reported:.0%}", *(("—", "—") if ours is None else
                          (f"{ours:.1%}", f"{(ours - reported) * 100:+.1f}"))])
        parts.append(f"### {row.experiment} against {ref['source']}\n\n" + table(
            ["class", "reported", "ours (latest evaluation)", "difference"], cells))
    return "\n".join(parts)
