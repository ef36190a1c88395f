"""Train the source of transfer learning: step 4's network on the six animal classes.

    python -m experiments.transfer01_animals.train [--epochs N --data PATH]

All of their images (29,400 for training), step 4's recipe, fewer epochs: the features
the vehicle experiments (transfer02-04) start from. It never sees a vehicle.
"""

from dataclasses import replace
from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.training.train import train_main
from experiments.exp04_augmentation.train import SETTINGS as STEP4

from .model import build_model

SETTINGS = replace(STEP4, idea="features learned on the six animal classes", target=None,
                   dataset="cifar10_animals", epochs=15, budget="2 CPU cores · 10 min")

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
