"""Train the PyTorch tutorial's CIFAR-10 network as the tutorial does (62%): the floor
under step 01.

    python -m experiments.exp00_tutorial.train [--epochs N --data PATH --seed S]
"""

import functools
from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

import keras

from common.config.settings import Settings
from common.training.train import train_main

from .model import build_model

SETTINGS = Settings(
    idea="PyTorch tutorial net (the floor)",
    target=0.62,
    dataset="cifar10",
    epochs=10,
    batch_size=4,
    learning_rate=0.001,
    # the tutorial's optim.SGD(lr=0.001, momentum=0.9): plain momentum, not Nesterov
    optimizer=functools.partial(keras.optimizers.SGD, momentum=0.9),
    schedule="constant",
    # the tutorial trains on all 50,000 images; 2% (1,000) still shows the curve
    val_fraction=0.02,
    keep="last",
)

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
