"""Train softmax regression in NumPy on MNIST by mini-batch gradient descent: the decks'
regression lesson (linear scores, softmax, cross-entropy, the gradient by hand).

    python -m experiments.scratch01_softmax.train [--epochs N --lr RATE --seed S]
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
    idea="softmax regression, 784 -> 10",
    network="softmax regression 784-10",
    epochs=20,
    batch_size=100,
    optimizer="sgd",
    learning_rate=0.1,
)
VARIANTS: tuple[ScratchSettings, ...] = ()

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS, VARIANTS)
