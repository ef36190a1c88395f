"""Train the book's SimpleConvNet in NumPy on MNIST (target 98.8%; the book: about 98.9%).

    python -m experiments.scratch04_simple_convnet.train [--epochs N --seed S --limit N]
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
    idea="conv -> ReLU -> pool -> affine -> ReLU -> affine, from scratch",
    network="SimpleConvNet 30@5x5-100",
    target=0.988,
    target_source="the book: about 98.9%",
    epochs=20,
    batch_size=100,
    optimizer="adam",
    learning_rate=1e-3,
)
VARIANTS: tuple[ScratchSettings, ...] = ()

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS, VARIANTS)
