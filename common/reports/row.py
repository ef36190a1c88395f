"""One row of the results table: an experiment's current recipe, its runs and what they
measured (``common.results.collect`` makes them; the report modules render them)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

SHARED_BELOW = 0.8  # a run with less of its machine's cores shared them with other work


@dataclass
class Row:
    experiment: str
    idea: str
    target: float | None
    accuracies: list[float]  # one per seed: the mean of that seed's runs
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
    # the experiment whose runs the row holds (its folder); ``experiment`` is the row's
    # name, which adds its variant and label budget (transfer02_scratch-25)
    step: str = ""
    budget: str | None = None  # what the recipe was made for (Settings.budget)
    # seeds run more than once: seed -> [(test accuracy, machine, date)] of each run
    replications: dict = field(default_factory=dict)
    variant: str | None = None  # a named variant of the recipe (Settings.variant)
    test_precisions: list[str] = field(default_factory=lambda: ["float32"])
    recipe: dict | None = None  # the row's recipe (a train record's "recipe")
    # each run's share of the machine's cores (CPU time / wall time x cores); None: not
    # recorded (runs before CPU time was kept)
    had_machine: list[bool | None] = field(default_factory=list)
    # False where no run has the recipe the experiment's code defines today: the row then
    # shows its newest full run's, and says so
    todays_recipe: bool = True
    # where the time is a timing run's per-epoch figure × the recipe's epochs: how it was
    # measured ("3 timed epochs × 100"); None where it is the row's own runs'
    timed_by: str | None = None
    # the newest run's loss every few steps, where it kept one (from scratch): (steps, losses)
    loss_curve: tuple[int, list[float]] | None = None

    @property
    def mean(self) -> float:
        return statistics.fmean(self.accuracies)

    @property
    def precision_mark(self) -> str:
        """'' where the row's test figures are plain Keras' float32 forward pass (what
        load_model reproduces); otherwise which precision computed them."""
        other = [p for p in self.test_precisions if p != "float32"]
        return (f" ({', '.join(other)} test)" if other else "") + (
            "" if self.todays_recipe else " (an earlier recipe: not run with today's yet)")

    @property
    def shared_machine(self) -> bool:
        """Whether a run's time was measured with less than 80% of the machine's cores."""
        known = [alone for alone in self.had_machine if alone is not None]
        return self.timed_by is None and bool(known) and not any(known)

    @property
    def time_note(self) -> str:
        """What the table says after the training time: how it was measured, if not plainly."""
        if self.timed_by:
            return f" ({self.timed_by})"
        return " (shared machine)" if self.shared_machine else ""

    @property
    def met(self) -> bool | None:
        return target_met(self.mean, self.target)


def had_the_machine(train: dict) -> bool | None:
    """Whether a run had its machine to itself: other processes took at most a fifth of
    the cores (where the record kept the machine's busy time), or the run itself used at
    least ``SHARED_BELOW`` of them (a run bound to one core, like exp00's batch of 4,
    uses less on an idle machine); None where the record kept neither."""
    share, others = train.get("cpu_share"), train.get("others_share")
    if share is not None and share >= SHARED_BELOW:
        return True
    if others is not None:
        return others <= 1 - SHARED_BELOW
    return None if share is None else False


def target_met(accuracy: float, target: float | None) -> bool | None:
    """Whether ``accuracy`` reaches ``target``; None where there is no target. The one
    meaning of "met" in every table (the steps', a series', a GPU round's)."""
    return None if target is None else accuracy >= target


MET = {True: "yes", False: "**no**", None: "—"}  # how a table says it
