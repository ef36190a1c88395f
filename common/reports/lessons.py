"""The results of the decks' other lessons, each as its question asks for them: the
architectures side by side at one budget (cost and speed beside accuracy), transfer
learning as accuracy against labels per class, XOR with its loss curves, the NumPy
networks with their charts.

Each lesson is a ``Section`` in ``SECTIONS`` below; a row belongs to a lesson by its
experiment's family (the letters its name starts with), every other row to its dataset's
table (``reports.sections``). A new lesson adds its section here and nothing elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from common.basics import plots
from common.basics.markdown import accuracy_cell, minutes, table
from common.reports.row import Row
from common.reports.section import Section
from common.reports.steps import render, steps_chart


def render_architectures(rows: Sequence[Row]) -> str:
    return table(
        ["experiment", "block", "parameters", "FLOPs per image", "training images/s",
         "epochs", "training time", "budget", "test accuracy"],
        [[row.experiment, row.idea, f"{row.params:,}" if row.params else "—",
          f"{row.forward_flops / 1e6:.0f} M" if row.forward_flops else "—",
          f"{row.images_per_second:.0f}" if row.images_per_second else "—",
          ", ".join(map(str, row.epochs)) or "—", minutes(row.train_seconds),
          row.budget or "—", accuracy_cell(row.accuracies) + row.precision_mark] for row in rows])


def render_scratch(rows: Sequence[Row]) -> str:
    """The NumPy networks: what each is, its target and result, its size and its speed
    (every step in NumPy on the CPU; the .h5 is the same network in Keras). The time and
    the images/s are the newest run's: the library's own code is what gets faster, and an
    older run timed older code (its record keeps what it took)."""
    return table(
        ["experiment", "network", "target", "test accuracy", "parameters", "epochs",
         "training time (newest run)", "training images/s"],
        [[row.experiment, row.idea,
          f"{row.target:.1%} ({row.target_source})" if row.target else "—",
          accuracy_cell(row.accuracies), f"{row.params:,}" if row.params else "—",
          ", ".join(map(str, row.epochs)) or "—",
          minutes(row.latest[0] if row.latest else None),
          f"{row.images_per_second:,.0f}" if row.images_per_second else "—"]
         for row in rows])


SCRATCH_CHARTS = {"scratch-climb.png": "the two-layer network's climb",
                  "scratch-optimizers.png": "the optimizers' loss curves",
                  "scratch-activations.png": "activations for each choice of initial weights"}


def scratch_chart_links(charts: str) -> str:
    return "\n".join(f"![{alt}]({charts}{name})" for name, alt in SCRATCH_CHARTS.items()) + "\n"


def draw_scratch_charts(rows: Sequence[Row], results_dir: Path) -> None:
    """The climb (scratch02's three recipes), the optimizers' loss curves (scratch03's
    runs) and the activation histograms (no training: a forward pass of random data)."""
    from common.scratch import charts as scratch

    climb = sorted((r for r in rows if r.experiment.startswith("scratch02")),
                   key=lambda r: ("sigmoid", "relu", None).index(r.variant))
    plots.steps_chart([r.experiment for r in climb], [r.accuracies for r in climb],
                      [r.target for r in climb], results_dir / "scratch-climb.png",
                      [r.target_source for r in climb])
    curves = {row.idea: row.loss_curve for row in rows
              if row.experiment.startswith("scratch03") and row.loss_curve}
    scratch.loss_curves(curves, results_dir / "scratch-optimizers.png")
    scratch.activation_histograms(results_dir / "scratch-activations.png")


def budgets(rows: Sequence[Row]) -> list[int]:
    return sorted({r.labels_per_class for r in rows if r.labels_per_class})


def methods(rows: Sequence[Row]) -> dict[str, list[Row]]:
    """The label-budget rows of each method (experiment), in the order names sort."""
    out: dict[str, list[Row]] = {}
    for row in sorted(rows, key=lambda r: (r.step, r.labels_per_class or 0)):
        if row.labels_per_class:
            out.setdefault(row.step, []).append(row)
    return out


def render_transfer(rows: Sequence[Row]) -> str:
    """One line a method, one column a label budget; the source network's own line above."""
    sources = [r for r in rows if not r.labels_per_class]
    header = "".join(f"The source, {r.experiment} ({r.idea}): {accuracy_cell(r.accuracies)} "
                     f"on its own test images ({minutes(r.train_seconds)} of training).\n\n"
                     for r in sources)
    columns = budgets(rows)
    lines = []
    for name, group in methods(rows).items():
        by_budget = {r.labels_per_class: r for r in group}
        lines.append([name, group[0].idea, *(accuracy_cell(by_budget[b].accuracies)
                                             if b in by_budget else "—" for b in columns)])
    return header + table(["experiment", "method", *(f"{b} labels a class" for b in columns)],
                          lines)


def transfer_chart(rows: Sequence[Row], path: Path) -> Path:
    return plots.accuracy_by_budget(
        {name: [(r.labels_per_class, r.accuracies) for r in group]
         for name, group in methods(rows).items()}, path)


def loss_curve_links(rows: Sequence[Row], charts: str) -> str:
    """Each row's latest training curve (XOR: loss and accuracy per step)."""
    links = [f"![{row.experiment}]({charts}{link.removesuffix('.json')}.curves.png)"
             for row in rows for link in row.backlinks[-1:] if "/train-" in link]
    return "\n".join(links) + ("\n" if links else "")


SECTIONS = (
    Section("arch", "The classic architectures at an equal budget (CIFAR-10)",
            render_architectures,
            lambda rows, charts, devices: "![test accuracy of each architecture]"
                                          f"({charts}steps-arch.png)\n",
            draw=lambda rows, folder: steps_chart(rows, folder / "steps-arch.png"),
            family="arch", per_class=False),
    Section("transfer",
            "Transfer learning: CIFAR-10's animals, then its vehicles with few labels",
            render_transfer,
            lambda rows, charts, devices: "![test accuracy against labels a class]"
                                          f"({charts}transfer.png)\n",
            draw=lambda rows, folder: transfer_chart(rows, folder / "transfer.png"),
            family="transfer", per_class=False, curves=False),
    Section("xor", "XOR from scratch", render,
            lambda rows, charts, devices: loss_curve_links(rows, charts),
            family="xor", per_class=False, curves=False),
    Section("scratch",
            "From scratch (NumPy): the networks of Deep Learning from Scratch on MNIST",
            render_scratch, lambda rows, charts, devices: scratch_chart_links(charts),
            draw=draw_scratch_charts, family="scratch", per_class=False, curves=False),
)
