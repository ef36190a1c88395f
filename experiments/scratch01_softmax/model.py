"""Softmax regression in NumPy: one Affine layer, 784 pixels -> 10 scores, and the softmax
with cross-entropy in the loss; no hidden layer, so the classes are separated by planes."""

from common.scratch.models import mlp
from common.scratch.network import Network


def build_model(seed: int = 0, input_shape: tuple[int, int, int] = (28, 28, 1),
                classes: int = 10) -> Network:
    return mlp(seed, hidden=(), init=0.01, classes=classes, input_shape=input_shape)
