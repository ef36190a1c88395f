"""The decks' network from scratch: 2 inputs -> 2 sigmoid units -> 1 sigmoid output, built
from the from-scratch library's layers (``common/scratch``).

No single line separates XOR's ones from its zeros; the two hidden units draw two lines
(roughly OR and AND) and the output unit combines them. Backpropagation is the chain rule
layer by layer: with the cross-entropy loss and a sigmoid output, the error at the output is
simply p - y, and each layer passes it back through its weights and its sigmoid's slope.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from common.scratch.layers import Affine, Sigmoid, SigmoidWithLoss
from common.scratch.optimizers import SGD
from common.training.xor import initial_weights


class XorNetwork:
    def __init__(self, weights: list[np.ndarray]) -> None:
        w1, b1, w2, b2 = (np.array(w, dtype=np.float64) for w in weights)
        rng = np.random.default_rng(0)  # unused: the weights are given
        self.layers = [Affine(2, 2, 0.0, rng), Sigmoid(), Affine(2, 1, 0.0, rng)]
        self.layers[0].params = {"W": w1, "b": b1}
        self.layers[2].params = {"W": w2, "b": b2}
        self.last = SigmoidWithLoss()

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The hidden activations (n, 2) and P(XOR = 1) (n, 1)."""
        hidden = self.layers[1].forward(self.layers[0].forward(np.asarray(x, np.float64)))
        return hidden, self.last.forward(self.layers[2].forward(hidden))

    def step(self, x: np.ndarray, y: np.ndarray, learning_rate: float) -> float:
        """One gradient-descent step on the mean cross-entropy; returns the loss before it."""
        out = np.asarray(x, np.float64)
        for layer in self.layers:
            out = layer.forward(out, train=True)
        loss = self.last.loss(out, np.asarray(y, np.float64))
        dout = self.last.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        params = {f"{i}/{k}": p for i, layer in enumerate(self.layers)
                  for k, p in layer.params.items()}
        grads = {f"{i}/{k}": g for i, layer in enumerate(self.layers)
                 for k, g in layer.grads.items()}
        SGD(learning_rate).update(params, grads)
        return loss

    def weights(self) -> list[np.ndarray]:
        first, second = self.layers[0].params, self.layers[2].params
        return [first["W"], first["b"], second["W"], second["b"]]

    def save(self, path: Path) -> None:
        w1, b1, w2, b2 = self.weights()
        np.savez(path, w1=w1, b1=b1, w2=w2, b2=b2)

    @classmethod
    def load(cls, path: Path) -> XorNetwork:
        with np.load(path) as f:
            return cls([f[k] for k in ("w1", "b1", "w2", "b2")])


def build_model(seed: int = 0) -> XorNetwork:
    return XorNetwork(initial_weights(seed))
