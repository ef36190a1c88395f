"""The comparison's tables, in order: one per dataset (as ``DATASETS`` lists them, the
series' dataset first), then the lessons (``reports.lessons.SECTIONS``), and which table
a row belongs to: its lesson's, by its experiment's family, else its dataset's."""

from __future__ import annotations

import re
from collections.abc import Sequence

from common.data.datasets import DATASETS
from common.reports import lessons
from common.reports.recipes import ours, render_slides_beside
from common.reports.row import Row
from common.reports.section import Section
from common.reports.steps import render, series_line, steps_chart

SERIES_DATASET = next(iter(DATASETS))  # the steps' dataset, whose table has the series line


def _dataset_section(name: str) -> Section:
    chart = "steps.png" if name == SERIES_DATASET else f"steps-{name}.png"

    def after(rows: Sequence[Row], charts: str, devices: str) -> str:
        series = f"{series_line(ours(rows))}\n\n" if name == SERIES_DATASET else ""
        if name == SERIES_DATASET and devices:
            series += ("The same steps on a GPU (`.ci/gpu-round.sh` trains them on a lent GPU "
                       f"and brings the records back to [{charts}gpu/]({charts}gpu/)), beside "
                       f"the table's own:\n\n{devices}\n")
        return (f"{render_slides_beside(rows)}{series}"
                f"![test accuracy of each step]({charts}{chart})\n")

    return Section(name, DATASETS[name].title, lambda rows: render(ours(rows)), after,
                   draw=lambda rows, folder: steps_chart(rows, folder / chart))


SECTIONS = {**{name: _dataset_section(name) for name in DATASETS},
            **{section.key: section for section in lessons.SECTIONS}}


def section_for(experiment: str, dataset: str) -> Section:
    """The table of ``experiment``'s rows: its lesson's, else its dataset's."""
    family = re.match(r"[a-z]+", experiment)
    return next((s for s in SECTIONS.values()
                 if s.family is not None and family and s.family == family.group()),
                SECTIONS[dataset])


def section_of(row: Row) -> Section:
    return section_for(row.experiment, row.dataset)


def by_section(rows: Sequence[Row]) -> list[tuple[Section, list[Row]]]:
    """The rows of each table, in the tables' order."""
    return [(section, group) for section in SECTIONS.values()
            if (group := [r for r in rows if section_of(r) is section])]
