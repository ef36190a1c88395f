"""Train a two-layer network in NumPy on MNIST, the decks' climb in three recorded runs:
sigmoid with weights of std 0.01 (--recipe sigmoid) -> ReLU (--recipe relu) -> ReLU with He
weights (the default; target 97.5%, the study's last figure).

    python -m experiments.scratch02_two_layer.train [--recipe sigmoid|relu] [--seed S]
"""

from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.scratch.recipe import ScratchSettings, variant
from common.scratch.training import train_main

from .model import build_model

SETTINGS = ScratchSettings(
    idea="784-100-10, ReLU, He weights",
    network="two-layer 784-100-10",
    target=0.975,
    target_source="the decks' study: 11.3% -> 74.8% -> 97.5%",
    network_options={"activation": "relu", "init": "he"},
    epochs=20,
    batch_size=100,
    optimizer="sgd",
    learning_rate=0.1,
)
VARIANTS = (
    variant(SETTINGS, "sigmoid", "784-100-10, sigmoid, weights std 0.01", target=None,
            network_options={"activation": "sigmoid", "init": 0.01}),
    variant(SETTINGS, "relu", "784-100-10, ReLU, weights std 0.01", target=None,
            network_options={"activation": "relu", "init": 0.01}),
)

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS, VARIANTS)
