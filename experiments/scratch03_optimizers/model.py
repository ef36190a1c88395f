"""The network the book compares its optimizers on: four hidden layers of 100 ReLU units
with He weights, then Affine 10."""

from common.scratch.models import mlp
from common.scratch.network import Network


def build_model(seed: int = 0, input_shape: tuple[int, int, int] = (28, 28, 1),
                classes: int = 10) -> Network:
    return mlp(seed, hidden=(100, 100, 100, 100), activation="relu", init="he",
               classes=classes, input_shape=input_shape)
