"""What a from-scratch run is: its network, optimizer and schedule, as one object per recipe
(``ScratchSettings``), and how a run is made (``ScratchRun``): the command-line options."""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from common.basics.options import option, positive_float, positive_int
from common.basics.paths import MODELS_DIR, RESULTS_DIR
from common.scratch.optimizers import OPTIMIZERS


@dataclass(frozen=True)
class ScratchSettings:
    idea: str
    network: str  # what the experiment's build_model builds, in a few words
    target: float | None = None
    target_source: str = "the decks"
    dataset: str = "mnist"
    network_options: dict = field(default_factory=dict)  # e.g. hidden, activation, init
    variant: str | None = None  # --recipe <variant>: saved as <name>-<variant>.h5
    log_every: int | None = None  # record the loss averaged over every this many steps
    epochs: int = field(default=20, metadata=option("passes over the training images",
                                                    type=positive_int))
    batch_size: int = field(default=100, metadata=option("images per step", type=positive_int))
    optimizer: str = field(default="adam", metadata=option("the update rule",
                                                           choices=sorted(OPTIMIZERS)))
    learning_rate: float = field(default=1e-3, metadata=option("step size", flag="--lr",
                                                               type=positive_float))

    def describe(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in ("idea", "target",
                                                                    "target_source")}

    def file_stem(self, name: str, default: ScratchSettings | None = None,
                  limit: int | None = None) -> str:
        """``<name>[-<variant>]``, and every option that differs from the recipe, so a
        quick look never replaces the recipe's .h5."""
        parts = [name, self.variant]
        if default is not None:
            parts += [f"{f}{getattr(self, f)}" for f in ("epochs", "batch_size", "optimizer",
                                                        "learning_rate")
                      if getattr(self, f) != getattr(default, f)]
        parts.append(limit and f"limit{limit}")
        return "-".join(str(p).replace("_", "") if i else str(p)
                        for i, p in enumerate(parts) if p)


def variant(settings: ScratchSettings, name: str, idea: str, **changes: object
            ) -> ScratchSettings:
    return replace(settings, variant=name, idea=idea, **changes)


@dataclass(frozen=True)
class ScratchRun:
    seed: int = field(default=0, metadata=option("random seed (weights, order, dropout)",
                                                 type=int))
    data: str | None = field(default=None, metadata=option(
        "'keras', 'auto', a folder, archive or .npz (default $MNIST_DATA, else auto)"))
    limit: int | None = field(default=None, metadata=option(
        "train on only this many images (quick checks)", type=positive_int))
    fresh: bool = field(default=False, metadata=option(
        "discard an interrupted run's backup and start over", action="store_true"))
    profile: int | None = field(default=None, metadata=option(
        "train nothing: time each layer's forward and backward over this many steps, print "
        "where a step's milliseconds go and record it (results/<step>/profile-*.json)",
        type=positive_int))
    model_dir: Path = field(default=MODELS_DIR, metadata=option(argparse.SUPPRESS, type=Path))
    results_dir: Path = field(default=RESULTS_DIR,
                              metadata=option(argparse.SUPPRESS, type=Path))
