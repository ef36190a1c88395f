"""A two-layer network in NumPy: Affine 100 -> activation -> Affine 10 (softmax in the loss).
The activation and the initial weights are the recipe's: the lesson is what they change."""

from common.scratch.models import mlp
from common.scratch.network import Network


def build_model(seed: int = 0, activation: str = "relu", init: float | str = "he",
                input_shape: tuple[int, int, int] = (28, 28, 1), classes: int = 10) -> Network:
    return mlp(seed, hidden=(100,), activation=activation, init=init, classes=classes,
               input_shape=input_shape)
