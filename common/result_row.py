"""One row of the results table: an experiment's current recipe, its runs and what they
measured (``common.results.collect`` makes them; the report modules render them)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass
class Row:
    experiment: str
    idea: str
    target: float | None
    accuracies: list[float]  # one per distinct trained model
    params: int | None
    epochs: list[int]
    train_seconds: list[float]
    data: str
    date: str
    backlinks: list[str]  # records the row was built from, relative to results/
    per_class: dict[str, float]  # latest evaluation's accuracy per class
    val_curve: list[float]  # latest training run's validation accuracy per epoch
    earlier: list[tuple[float, dict]]  # (test accuracy, train record) of earlier recipes
    machines: list[str] = field(default_factory=list)  # where its runs trained
    platforms: list[str] = field(default_factory=list)  # 'backend · device' of its runs
    latest: tuple[float, str] | None = None  # newest run's training seconds and machine
    dataset: str = "cifar10"
    target_source: str = "the slides"  # who set the target
    # what the source reported, from experiments/<name>/reference.json where there is one
    reference: dict | None = None
    forward_flops: int | None = None  # one image, as the saved model predicts it
    images_per_second: float | None = None  # the latest run's training rate
    labels_per_class: int | None = None  # a label budget's row (transfer learning)
    budget: str | None = None  # what the recipe was made for (Settings.budget)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.accuracies)

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.mean >= self.target
