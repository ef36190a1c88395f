"""Figures people would rather look at than read: curves, confusion matrix, image grid."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from common.basics.files import atomic_path  # noqa: E402


def save_figure(fig: plt.Figure, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def training_curves(history: dict[str, Sequence[float]], title: str, path: Path,
                    x: Sequence[float] | None = None, xlabel: str = "epoch") -> Path:
    """Accuracy and loss per epoch (or at ``x``), training vs validation."""
    epochs = np.arange(1, len(history["loss"]) + 1) if x is None else np.asarray(x)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, metric in zip(axes, ("accuracy", "loss"), strict=True):
        ax.plot(epochs, history[metric], label="training")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], label="validation")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    return save_figure(fig, path)


def confusion_matrix(matrix: np.ndarray, class_names: Sequence[str], title: str,
                     path: Path) -> Path:
    """Rows: true class; columns: predicted class; cells: counts."""
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    im = ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                color="white" if count > threshold else "black")
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_title(title)
    return save_figure(fig, path)


def image_grid(images: np.ndarray, captions: Sequence[str], path: Path,
               colors: Sequence[str] | None = None, title: str = "",
               columns: int = 8) -> Path:
    """Images (N, H, W, 3) or grayscale (N, H, W, 1) in [0, 255] or [0, 1] with a caption
    under each."""
    gray = images.shape[-1] == 1
    if gray:
        images = images[..., 0]
    columns = max(1, min(columns, len(images)))  # one or two images: no empty columns
    rows = int(np.ceil(len(images) / columns))
    # constrained layout keeps the title above the captions however few images there are
    fig, axes = plt.subplots(rows, columns, figsize=(max(columns * 1.5, 3.0), rows * 1.7 + 0.4),
                             squeeze=False, layout="constrained")
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(images):
            ax.imshow(images[k], interpolation="nearest", cmap="gray" if gray else None)
            ax.set_title(captions[k], fontsize=7,
                         color=colors[k] if colors else "black")
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def steps_chart(names: Sequence[str], accuracies: Sequence[Sequence[float]],
                targets: Sequence[float | None], path: Path,
                target_sources: Sequence[str] | None = None) -> Path:
    """Test accuracy per experiment (mean, each run as a dot) against its target, each
    target source (the slides, or whoever set a step's target) with a line style of its own."""
    sources = list(target_sources or ["the slides"] * len(names))
    styles = dict(zip(dict.fromkeys(sources), [("tab:red", "--"), ("tab:orange", ":"),
                                               ("tab:purple", "-.")] * len(sources),
                      strict=False))
    fig, ax = plt.subplots(figsize=(1.6 * len(names) + 2.5, 4))
    x = np.arange(len(names))
    means = [float(np.mean(a)) for a in accuracies]
    bars = ax.bar(x, means, color="tab:blue", alpha=0.8, label="test accuracy (mean)")
    for i, runs in enumerate(accuracies):
        ax.scatter([i] * len(runs), runs, color="black", s=12, zorder=3)
    labelled = set()
    for i, (target, source) in enumerate(zip(targets, sources, strict=True)):
        if target is not None:
            color, style = styles[source]
            ax.hlines(target, i - 0.4, i + 0.4, colors=color, linestyles=style,
                      label=None if source in labelled else f"target: {source}")
            labelled.add(source)
    lowest = min([*means, *(t for t in targets if t is not None)])
    near_one = lowest >= 0.9  # MNIST: the differences are tenths of a point
    ax.bar_label(bars, labels=[f"{m:.2%}" if near_one else f"{m:.1%}" for m in means],
                 padding=2)
    ax.set_xticks(x, names, rotation=15)
    ax.set_ylim(lowest - (1 - lowest) - 0.005 if near_one else min([0.6, *means]) - 0.02, 1.0)
    ax.set_ylabel("test accuracy")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left")
    return save_figure(fig, path)


def validation_curves(panels: dict[str, dict[str, Sequence[float]]], path: Path) -> Path:
    """Validation accuracy per epoch: one panel per table (``panels``: its title -> each
    experiment's curve), so each stays readable as the tables grow."""
    panels = {title: curves for title, curves in panels.items() if curves} or {"": {}}
    columns = min(len(panels), 2)
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(7 * columns, 4 * rows), squeeze=False,
                             layout="constrained")
    for ax, (title, curves) in zip(axes.flat, panels.items(), strict=False):
        for name, values in curves.items():
            ax.plot(np.arange(1, len(values) + 1), values, label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel("validation accuracy")
        ax.grid(alpha=0.3)
        if curves:  # none when the only records are ensembles (no curve of their own)
            ax.legend(fontsize="small")
        ax.set_title(title)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    return save_figure(fig, path)


def accuracy_by_budget(methods: dict[str, Sequence[tuple[int, Sequence[float]]]],
                       path: Path) -> Path:
    """Test accuracy against labelled images a class (log scale), one line a method:
    the mean of each budget's runs, each run a dot."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, points in methods.items():
        points = sorted(points, key=lambda point: point[0])
        budgets = [budget for budget, _ in points]
        (line,) = ax.plot(budgets, [float(np.mean(a)) for _, a in points], marker="o",
                          label=name)
        for budget, accuracies in points:
            ax.scatter([budget] * len(accuracies), accuracies, color=line.get_color(), s=10)
    ax.set_xscale("log")
    ax.set_xticks(sorted({budget for points in methods.values() for budget, _ in points}))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("labelled training images a class (log scale)")
    ax.set_ylabel("test accuracy")
    ax.grid(alpha=0.3, which="both")
    if methods:
        ax.legend()
    ax.set_title("Transfer learning: accuracy against labels")
    return save_figure(fig, path)


def time_to_accuracy(curves: dict[str, Sequence[tuple[float, float]]],
                     targets: dict[str, float | None], title: str, path: Path) -> Path:
    """Validation accuracy against training minutes so far, each step with its target."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, points in curves.items():
        minutes, accuracy = zip(*points, strict=True) if points else ((), ())
        (line,) = ax.plot(minutes, accuracy, marker=".", label=name)
        if targets.get(name) is not None:
            ax.axhline(targets[name], color=line.get_color(), linestyle="--", alpha=0.6)
    ax.set_xscale("log")  # a GPU series takes seconds a step, a CPU one hours
    plain = matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(plain)
    ax.set_xlabel("training minutes (log scale)")
    ax.set_ylabel("validation accuracy")
    ax.grid(alpha=0.3, which="both")
    if curves:
        ax.legend(title="dashed: the step's target")
    ax.set_title(title)
    return save_figure(fig, path)
