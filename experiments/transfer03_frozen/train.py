"""Train a new classifier on transfer01's frozen features, with few vehicle labels.

    python -m experiments.transfer03_frozen.train [--labels-per-class 25|100|400]

Needs saved_models/transfer01_animals.h5. Everything up to Flatten comes from it and stays
fixed; only the 4-way Dense layer (8,196 weights) learns. transfer02's recipe otherwise.
"""

from dataclasses import replace
from functools import partial
from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.training.train import train_main
from common.training.transfer import reuse_features
from experiments.transfer02_scratch.train import SETTINGS as SCRATCH

from .model import build_model

SETTINGS = replace(SCRATCH, idea="frozen animal features + new classifier",
                   initialize=partial(reuse_features, source="transfer01_animals"))

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
