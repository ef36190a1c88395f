"""Train a new classifier on ImageNet features (MobileNetV2), with few vehicle labels.

    python -m experiments.transfer05_imagenet.train [--labels-per-class 25|100|400]

transfer03's method with another source: the frozen layers come from Keras Applications'
MobileNetV2 trained on ImageNet instead of from transfer01's animals. Needs internet once
(Keras downloads the 9 MB of weights to ~/.keras/models and keeps them); this repository's
machines have none, so here it is tested for shape and flow only (README).
"""

from dataclasses import replace
from functools import partial
from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.training.train import train_main
from common.training.transfer import imagenet_features
from experiments.transfer03_frozen.train import SETTINGS as FROZEN

from .model import build_model

SETTINGS = replace(FROZEN, idea="frozen ImageNet features (MobileNetV2) + new classifier",
                   initialize=partial(imagenet_features, application="MobileNetV2"))

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
