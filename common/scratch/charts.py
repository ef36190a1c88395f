"""The from-scratch lessons' pictures: the optimizers' loss curves, and the activation
histograms of a 5-layer network for each choice of initial weights (the vanishing gradient)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from common.basics.plots import save_figure  # also chooses matplotlib's file-only backend
from common.scratch.functions import sigmoid
from common.scratch.weights import weight_std

INITS = (1.0, 0.01, "xavier", "he")


def loss_curves(curves: dict[str, tuple[int, Sequence[float]]], path: Path,
                title: str = "training loss, the same network, batches and start") -> Path:
    """``curves``: name -> (steps between two points, the loss at each)."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, (every, losses) in curves.items():
        ax.plot(np.arange(1, len(losses) + 1) * every, losses, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (mean over each 10 steps)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title)
    return save_figure(fig, path)


def activations(init: float | str, activation: str, layers: int = 5, units: int = 100,
                samples: int = 1000, seed: int = 0) -> list[np.ndarray]:
    """Each layer's outputs for random inputs (standard normal) through ``layers`` layers of
    ``units``, weights drawn by ``init``, no bias: the book's experiment."""
    rng = np.random.default_rng(seed)
    x, outputs = rng.standard_normal((samples, units)), []
    for _ in range(layers):
        w = rng.standard_normal((units, units)) * weight_std(init, units)
        z = x @ w
        x = sigmoid(z) if activation == "sigmoid" else np.maximum(z, 0)
        outputs.append(x)
    return outputs


def activation_histograms(path: Path, layers: int = 5) -> Path:
    """A panel per (activation, initial weights): each layer's histogram of outputs."""
    fig, axes = plt.subplots(2, len(INITS), figsize=(13, 5.5))
    for row, activation in enumerate(("sigmoid", "relu")):
        for col, init in enumerate(INITS):
            ax = axes[row, col]
            outputs = activations(init, activation, layers)
            # sigmoid's outputs lie in (0, 1); ReLU's are shown on the first layer's scale,
            # so outputs that shrink or grow layer by layer show as such
            top = 1.0 if activation == "sigmoid" else float(np.percentile(outputs[0], 99))
            for k, out in enumerate(outputs, start=1):
                values = out.ravel() if activation == "sigmoid" else out[out > 0].ravel()
                ax.hist(values, bins=30, range=(0, top), histtype="step", label=f"layer {k}")
            name = f"std {init}" if isinstance(init, float) else init.capitalize()
            growth = float(outputs[-1].std() / outputs[0].std())
            ax.set_title(f"{activation}, {name}: layer {layers}'s spread ×{growth:.2g} "
                         "layer 1's", fontsize=8)
            if activation == "relu":
                ax.set_xlabel("output (the positive ones)")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("activations of a 5-layer network of 100 units: std 1 saturates sigmoid, "
                 "0.01 vanishes; Xavier suits sigmoid, He suits ReLU", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)

