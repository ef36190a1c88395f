"""A table of the comparison, as an object: which rows it holds, how it reads, what it draws.

Each dataset has one (``reports.sections``); each of the decks' other lessons declares its
own in ``reports.lessons``. A new lesson adds a ``Section`` there and touches no other file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from common.reports.row import Row


@dataclass(frozen=True)
class Section:
    key: str  # a dataset's name, or a lesson's family
    title: str  # its heading
    table: Callable[[Sequence[Row]], str]  # its table
    # what follows the table: (rows, the charts' folder, the devices table) -> text
    after: Callable[[Sequence[Row], str, str], str]
    draw: Callable[[Sequence[Row], Path], None] | None = None  # its charts, into results/
    # the experiments whose names start with these letters (arch01_vgg: "arch"); None: the
    # rows of the dataset ``key`` that no lesson claims
    family: str | None = None
    per_class: bool = True  # in "What each step changed", accuracy per class
    curves: bool = True  # a panel of the validation curves
