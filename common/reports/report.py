"""The comparison as people read it: the Markdown tables, the series line, the charts and
the README sections they are written into (``python -m common.results`` calls these)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

from common.basics import plots
from common.basics.files import write_text_atomic
from common.basics.markdown import accuracy_cell, minutes, table
from common.config.registry import experiment_names, find_experiment
from common.data.datasets import DATASETS
from common.reports.details import render_by_backend, render_per_class, render_references
from common.reports.lessons import (
    LESSONS,
    draw_scratch_charts,
    loss_curve_links,
    render_architectures,
    render_scratch,
    render_transfer,
    scratch_chart_links,
    section_for,
    section_of,
    transfer_chart,
)
from common.reports.recipes import ours, render_slides_beside
from common.reports.row import Row
from common.reports.runs import render_earlier, render_replications


def series_line(rows: Sequence[Row]) -> str:
    """The whole series' training time, and the machines it was measured on: averaged over
    each step's seeds, and the newest run of each step (the current code's speed)."""
    machines = sorted({m for r in rows if r.train_seconds for m in r.machines})
    latest = [r.latest for r in rows if r.latest]
    newest = (f" The newest run of each step: **{sum(s for s, _ in latest) / 60:.1f} min** "
              f"(on {'; '.join(sorted({m for _, m in latest}))})." if latest else "")
    return (f"Whole series, one run of each step: **{series_minutes(rows):.1f} min** of "
            f"training, each step's mean over its seeds (on "
            f"{'; '.join(machines) or 'an unrecorded machine'}).{newest}")


def series_minutes(rows: Sequence[Row]) -> float:
    """Training time of the whole series: each experiment's mean over its seeds."""
    return sum(statistics.fmean(r.train_seconds) for r in rows if r.train_seconds) / 60


def render(rows: Sequence[Row]) -> str:
    """The comparison as a Markdown table."""
    return table(
        ["experiment", "idea", "target", "test accuracy", "met", "parameters", "epochs",
         "training time", "made for", "backend · device", "data", "date"],
        [[row.experiment, row.idea or "—", percent(row.target) if row.target else "—",
          accuracy_cell(row.accuracies) + row.precision_mark,
          {True: "yes", False: "**no**", None: "—"}[row.met],
          f"{row.params:,}" if row.params else "—", ", ".join(map(str, row.epochs)) or "—",
          minutes(row.train_seconds) + row.time_note,
          row.budget or "—",
          "; ".join(row.platforms) or "—", row.data, row.date]
         for row in rows])


def percent(fraction: float) -> str:
    """A target as the source states it: 0.74 -> 74%, 0.9905 -> 99.05%."""
    return f"{fraction * 100:.2f}".rstrip("0").rstrip(".") + "%"


def by_section(rows: Sequence[Row]) -> list[tuple[str, list[Row]]]:
    """The rows of each table: CIFAR-10 (the series) first, then the other datasets as
    DATASETS lists them, then the lessons (``reports.lessons``)."""
    order = [*DATASETS, *LESSONS]
    names = sorted({section_of(r) for r in rows}, key=lambda n: order.index(n) if n in order
                   else len(order))
    return [(name, [r for r in rows if section_of(r) == name]) for name in names]


def _title(section: str) -> str:
    return (DATASETS[section].title if section in DATASETS
            else LESSONS.get(section, section))


def _chart_name(section: str) -> str:
    return {"cifar10": "steps.png", "transfer": "transfer.png"}.get(
        section, f"steps-{section}.png")


def _section(section: str, group: list[Row], charts: str, devices: str,
             waiting: str = "") -> str:
    """A table's section: its table, what has not run yet (``waiting``), its chart."""
    if section == "arch":
        return (f"{render_architectures(group)}{waiting}\n"
                f"![test accuracy of each architecture]({charts}{_chart_name(section)})\n")
    if section == "transfer":
        return (f"{render_transfer(group)}{waiting}\n"
                f"![test accuracy against labels a class]({charts}{_chart_name(section)})\n")
    if section == "xor":
        return f"{render(group)}{waiting}\n{loss_curve_links(group, charts)}"
    if section == "scratch":
        return f"{render_scratch(group)}{waiting}\n{scratch_chart_links(charts)}"
    beside = render_slides_beside(group)
    series = f"{series_line(ours(group))}\n\n" if section == "cifar10" else ""
    if section == "cifar10" and devices:
        series += ("The same steps on a GPU (`.ci/gpu-round.sh` trains them on a lent GPU and "
                   f"brings the records back to [{charts}gpu/]({charts}gpu/)), beside the "
                   f"table's own:\n\n{devices}\n")
    return (f"{render(ours(group))}{waiting}\n{beside}{series}"
            f"![test accuracy of each step]({charts}{_chart_name(section)})\n")


def render_datasets(rows: Sequence[Row], charts: str = "", heading: str = "###",
                    devices: str = "") -> str:
    """One table per dataset and lesson; CIFAR-10's with the series line and the
    ``devices`` table (``reports.devices``); each with its chart (``charts``: the chart
    links' folder)."""
    return "\n".join(f"{heading} {_title(name)}\n\n"
                      f"{_section(name, group, charts, devices, not_run_yet(name, rows))}"
                      for name, group in by_section(rows))


def not_run_yet(section: str, rows: Sequence[Row]) -> str:
    """The experiments of ``section`` in this checkout that no row comes from, with the
    budget each was made for: a line under the table, '' when there are none."""
    shown = {row.experiment.rsplit("-", 1)[0] for row in rows}
    waiting = [f"`{name}`" + (f" ({settings.budget})" if settings.budget else "")
               for name in experiment_names() if name not in shown
               and section_for(name, (settings := find_experiment(name).settings).dataset)
               == section]
    return f"\nNot run yet: {', '.join(waiting)}.\n" if waiting else ""


def write_readme(rows: Sequence[Row], results_dir: Path, devices: str = "") -> Path:
    sections = by_section(rows)
    for section, group in sections:
        if section == "transfer":
            transfer_chart(group, results_dir / _chart_name(section))
        elif section == "scratch":
            draw_scratch_charts(group, results_dir)
        elif section != "xor":
            steps = ours(group)
            plots.steps_chart([r.experiment for r in steps], [r.accuracies for r in steps],
                              [r.target for r in steps], results_dir / _chart_name(section),
                              [r.target_source for r in steps])
    per_class = "\n".join(f"### {_title(section)}\n\n{render_per_class(group)}"
                           for section, group in sections if section not in LESSONS)
    curves_png = plots.validation_curves(  # a panel per table; transfer's are too many
        {_title(section): {r.experiment: r.val_curve for r in group if r.val_curve}
         for section, group in sections if section not in ("transfer", "xor", "scratch")},
        results_dir / "validation_curves.png")
    by_backend, references = render_by_backend(rows), render_references(rows)
    sources = "\n".join(f"- {row.experiment}: " + ", ".join(
        f"[{link.split('/')[-1]}]({link})" for link in row.backlinks) for row in rows)
    text = (
        "# Results\n\n"
        "Generated by `python -m common.results` from the run records in this folder; "
        "do not edit by hand.\n"
        "Test accuracy is on the test images of the row's data (CIFAR-10's 10,000; its "
        "animals' 6,000 or vehicles' 4,000 in transfer learning), measured by each "
        "experiment's test entry point; with several seeds it is mean ± standard deviation "
        "(n, min–max; a seed run again counts once). Training time is the train command's wall "
        "time of the runs that had the machine (at least 80% of its cores, by their CPU time); "
        "\"N timed epochs × E\": a short run of the recipe timed N epochs on an idle machine "
        "and the time is its mean epoch × the recipe's E; \"shared machine\": every run "
        "shared its cores, so a user waits less. "
        "Made for: the budget a recipe's epochs were chosen "
        "to fit (its `Settings.budget`); —: the slides' own recipe.\n\n"
        f"{render_datasets(rows, heading='##', devices=devices)}\n"
        "## What each step changed\n\n"
        f"Validation accuracy per epoch, latest run of each experiment, a panel per table "
        f"([{curves_png.name}]({curves_png.name})):\n\n"
        f"![validation curves]({curves_png.name})\n\n"
        "Test accuracy per class (latest evaluation; in brackets the change in points "
        "from the experiment to the left, i.e. which classes each idea helped):\n\n"
        f"{per_class}\n"
        "Per-experiment folders hold each run's record (`train-*.json`, `test-*.json`), "
        "per-epoch metrics (`*.history.csv`), training curves (`*.curves.png`), the latest "
        "confusion matrix (`confusion.png`) and captioned test images (`predictions.png`).\n\n"
        + (f"## By backend\n\nTest accuracy of each step's recipe under each Keras "
           f"backend: the table's own runs, and other backends' runs that differ from them in "
           f"precision alone (listed under Other recipes):\n\n"
           f"{by_backend}\n" if by_backend else "")
        + (f"## Against the source\n\n{references}\n" if references else "")
        + f"## Records behind each row\n\n{sources}\n"
        + (f"\n## Replications\n\nSeeds run more than once: each run of the seed, its "
           f"machine and date (the row counts the seed once, with the mean of its runs):"
           f"\n\n{render_replications(rows)}" if render_replications(rows) else "")
        + (f"\n## Other recipes\n\nRuns of other settings than the recipe each "
           f"experiment's code defines today (other options, --limit quick looks, earlier "
           f"recipes), another network in the experiment's model.py at their commit, or "
           f"the row's recipe on another backend (kept, not averaged in):\n\n"
           f"{render_earlier(rows)}" if render_earlier(rows) else ""))
    target = results_dir / "README.md"
    write_text_atomic(target, text)
    return target


def update_project_readme(rows: Sequence[Row], readme: Path, devices: str = "") -> None:
    """Refresh the results section of the project README."""
    replace_section(readme, "results", render_datasets(rows, charts="results/",
                                                        devices=devices))


def replace_section(readme: Path, section: str, content: str) -> None:
    """Replace the text between ``<!-- section:start -->`` and ``<!-- section:end -->``."""
    if not readme.is_file():
        return
    text = readme.read_text()
    start_mark, end_mark = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    start, end = text.find(start_mark), text.find(end_mark)
    if start < 0 or end < start:
        return
    write_text_atomic(readme, f"{text[:start + len(start_mark)]}\n{content}{text[end:]}")
    print(f"updated the {section} section of {readme.name}")
