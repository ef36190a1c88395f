"""Experiments are found, not listed: every folder of ``experiments/`` with a ``model.py``
(``build_model``) and a ``train.py`` whose ``SETTINGS`` is a ``Settings`` (an image
classifier trained by ``common.training.train``) is one, looked up by its name. The XOR lesson's
folders (``common.training.xor``) have entry points and records of their own, but are not these."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras

from common.basics.paths import REPO_ROOT
from common.config.settings import Settings

EXPERIMENTS_DIR = REPO_ROOT / "experiments"


@dataclass(frozen=True)
class Experiment:
    name: str
    build_model: Callable[[], keras.Model]
    settings: Settings
    variants: tuple[Settings, ...] = ()  # named variants of the recipe (train.py's VARIANTS)

    def recipe(self, variant: str | None = None) -> Settings:
        """The step's recipe, or its named ``variant``'s (ValueError naming the known)."""
        if variant is None:
            return self.settings
        for settings in self.variants:
            if settings.variant == variant:
                return settings
        raise ValueError(f"{self.name} has no recipe {variant!r}: "
                         f"use one of {[v.variant for v in self.variants]}")


def experiment_names(folder: Path = EXPERIMENTS_DIR) -> list[str]:
    """The experiments in ``folder``, in the order their names sort (the series' order)."""
    return sorted(p.parent.name for p in folder.glob("*/train.py")
                  if (p.parent / "model.py").is_file() and _trains_images(p.parent))


def experiment_for(file_stem: str) -> str | None:
    """The experiment whose train command saves ``<file_stem>.h5``: its name, or with a
    variant, label budget or other options ``<name>-...`` (``Settings.file_stem``); None
    for another file."""
    name = file_stem.split("-")[0]
    return name if name in experiment_names() else None


def _trains_images(folder: Path) -> bool:
    if folder.parent != EXPERIMENTS_DIR:  # another folder of experiments: by their files
        return True
    train = importlib.import_module(f"experiments.{folder.name}.train")
    return isinstance(getattr(train, "SETTINGS", None), Settings)


def find_experiment(name: str) -> Experiment:
    """The experiment called ``name``; ValueError naming the known ones otherwise."""
    if name not in experiment_names():
        raise ValueError(f"unknown experiment {name!r}: use one of {experiment_names()}")
    model = importlib.import_module(f"experiments.{name}.model")
    train = importlib.import_module(f"experiments.{name}.train")
    return Experiment(name, model.build_model, train.SETTINGS,
                      tuple(getattr(train, "VARIANTS", ())))
