"""Experiments are found, not listed: every folder of ``experiments/`` with a ``model.py``
(``build_model``) and a ``train.py`` (``SETTINGS``) is one, looked up by its name."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras

from common.paths import REPO_ROOT
from common.settings import Settings

EXPERIMENTS_DIR = REPO_ROOT / "experiments"


@dataclass(frozen=True)
class Experiment:
    name: str
    build_model: Callable[[], keras.Model]
    settings: Settings


def experiment_names(folder: Path = EXPERIMENTS_DIR) -> list[str]:
    """The experiments in ``folder``, in the order their names sort (the series' order)."""
    return sorted(p.parent.name for p in folder.glob("*/train.py")
                  if (p.parent / "model.py").is_file())


def find_experiment(name: str) -> Experiment:
    """The experiment called ``name``; ValueError naming the known ones otherwise."""
    if name not in experiment_names():
        raise ValueError(f"unknown experiment {name!r}: use one of {experiment_names()}")
    model = importlib.import_module(f"experiments.{name}.model")
    train = importlib.import_module(f"experiments.{name}.train")
    return Experiment(name, model.build_model, train.SETTINGS)
