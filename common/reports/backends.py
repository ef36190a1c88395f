"""The results' "By backend" section: each step's current recipe under each Keras backend.

A row of the main table holds one recipe on one platform; the recipe's runs under another
backend are listed under it (``common.results``; older records differed in precision too).
This module finds them; ``reports.report.render_by_backend`` sets them side by side.
"""

from __future__ import annotations

from common.records.store import platform
from common.reports.row import Row


def accuracies_by_platform(row: Row) -> dict[str, list[float]]:
    """Test accuracies of ``row``'s recipe keyed by 'backend · device': the row's own runs,
    and those of other platforms whose recipe differs from the row's in precision alone."""
    found: dict[str, list[float]] = {}
    if len(row.platforms) == 1:  # the row's own runs (of several platforms: not told apart)
        found[row.platforms[0]] = list(row.accuracies)
    for accuracy, train in row.earlier:  # another backend's runs of the row's recipe
        if (set(train.get("_differs", [])) <= {"precision", "backend"}
                and platform(train) not in row.platforms):
            found.setdefault(platform(train), []).append(accuracy)
    return found
