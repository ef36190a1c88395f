"""The decks' network from scratch: 2 inputs -> 2 sigmoid units -> 1 sigmoid output, in NumPy.

No single line separates XOR's ones from its zeros; the two hidden units draw two lines
(roughly OR and AND) and the output unit combines them. Backpropagation is the chain rule
written out: with the cross-entropy loss and a sigmoid output, the error at the output is
simply p - y, and each layer passes it back through its weights and its sigmoid's slope.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from common.xor import initial_weights


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


class XorNetwork:
    def __init__(self, weights: list[np.ndarray]) -> None:
        self.w1, self.b1, self.w2, self.b2 = (np.array(w, dtype=np.float64) for w in weights)

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The hidden activations (n, 2) and P(XOR = 1) (n, 1)."""
        hidden = sigmoid(x @ self.w1 + self.b1)
        return hidden, sigmoid(hidden @ self.w2 + self.b2)

    def step(self, x: np.ndarray, y: np.ndarray, learning_rate: float) -> float:
        """One gradient-descent step on the mean cross-entropy; returns the loss before it."""
        hidden, p = self.forward(x)
        y = y.reshape(-1, 1)
        loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        d_out = (p - y) / len(x)  # dLoss/d(output pre-activation)
        d_hidden = d_out @ self.w2.T * hidden * (1 - hidden)  # back through W2, sigmoid'
        grads = (x.T @ d_hidden, d_hidden.sum(0), hidden.T @ d_out, d_out.sum(0))
        for weight, grad in zip((self.w1, self.b1, self.w2, self.b2), grads, strict=True):
            weight -= learning_rate * grad
        return loss

    def weights(self) -> list[np.ndarray]:
        return [self.w1, self.b1, self.w2, self.b2]

    def save(self, path: Path) -> None:
        np.savez(path, w1=self.w1, b1=self.b1, w2=self.w2, b2=self.b2)

    @classmethod
    def load(cls, path: Path) -> XorNetwork:
        with np.load(path) as f:
            return cls([f[k] for k in ("w1", "b1", "w2", "b2")])


def build_model(seed: int = 0) -> XorNetwork:
    return XorNetwork(initial_weights(seed))
