"""Train the slides' Fashion-MNIST CNN with BatchNormalization (target 92%).

    python -m experiments.fmnist02_batchnorm.train [--epochs N --batch-size B --data PATH --seed S]
"""

from dataclasses import replace
from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.training.train import train_main
from experiments.fmnist01_cnn.train import SETTINGS as FMNIST01

from .model import build_model

# fmnist01's recipe: only the network changes
SETTINGS = replace(FMNIST01, idea="+ BatchNormalization")

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
