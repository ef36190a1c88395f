"""Train the deck's VGG-style network on MNIST (target 99.4%).

    python -m experiments.mnist02_vgg.train [--epochs N --batch-size B --data PATH --seed S]
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
    idea="VGG-style 16-16-32-32-64-64",
    target=0.994,
    dataset="mnist",
    epochs=15,
    batch_size=64,
    learning_rate=1e-3,  # Adam, as in the deck
    schedule="cosine",
    val_fraction=0.1,
    keep="best",
)

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
