"""Train LeNet-5 on MNIST (target 99.05%, the architectures deck's figure).

    python -m experiments.mnist01_lenet5.train [--epochs N --batch-size B --data PATH --seed S]
"""

from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.config.settings import Settings
from common.training.train import train_main

from .model import build_model

SETTINGS = Settings(
    idea="LeNet-5",
    target=0.9905,
    dataset="mnist",
    epochs=20,
    batch_size=64,
    learning_rate=1e-3,  # Adam
    schedule="cosine",
    label_smoothing=0.1,  # the deck's 99.05% leaves little room: every bit of regularizing
    val_fraction=0.1,
    keep="best",
)

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
