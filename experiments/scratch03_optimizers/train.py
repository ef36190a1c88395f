"""Train one network with each of the decks' optimizers on the same batches from the same
starting weights: Adam (the default), SGD, Momentum and AdaGrad (--recipe sgd|momentum|
adagrad), each a recorded run whose loss every 10 steps the results chart sets side by side.

    python -m experiments.scratch03_optimizers.train [--recipe sgd|momentum|adagrad]
"""

from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.scratch.recipe import ScratchSettings, variant
from common.scratch.training import train_main

from .model import build_model

# The book's comparison: batch 128, about 2,000 steps (here 4 epochs: 1,872 steps)
SETTINGS = ScratchSettings(
    idea="4 x 100 ReLU layers, Adam 0.001",
    network="5-layer 784-100-100-100-100-10",
    epochs=4,
    batch_size=128,
    optimizer="adam",
    learning_rate=1e-3,
    log_every=10,
)
VARIANTS = tuple(variant(SETTINGS, name, f"4 x 100 ReLU layers, {title} {rate}",
                         optimizer=name, learning_rate=rate)
                 for name, title, rate in (("sgd", "SGD", 0.01),
                                           ("momentum", "Momentum (0.9)", 0.01),
                                           ("adagrad", "AdaGrad", 0.01)))

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS, VARIANTS)
