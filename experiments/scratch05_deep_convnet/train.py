"""Train the decks' deep network in NumPy on MNIST (target 99.3%; the book: 99.38%).

    python -m experiments.scratch05_deep_convnet.train [--epochs N --seed S --limit N]
"""

from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.scratch.recipe import ScratchSettings
from common.scratch.training import train_main

from .model import build_model

SETTINGS = ScratchSettings(
    idea="deep VGG-style network, from scratch",
    network="DeepConvNet 16-16-32-32-64-64",
    target=0.993,
    target_source="the book: 99.38%",
    epochs=20,
    batch_size=100,
    optimizer="adam",
    learning_rate=1e-3,
)
VARIANTS: tuple[ScratchSettings, ...] = ()

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS, VARIANTS)
