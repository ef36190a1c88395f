"""The optimizers the decks compare. ``update(params, grads)`` changes each weight in place;
both are dicts keyed by the weight's name in the network ("conv1/W", ...)."""

from __future__ import annotations

import numpy as np

Arrays = dict[str, np.ndarray]


class SGD:
    """W <- W - lr * dW."""

    def __init__(self, learning_rate: float = 0.01) -> None:
        self.learning_rate = learning_rate
        self.state: dict[str, Arrays] = {}

    def update(self, params: Arrays, grads: Arrays) -> None:
        for key, p in params.items():
            p -= p.dtype.type(self.learning_rate) * grads[key]


class Momentum(SGD):
    """v <- momentum * v - lr * dW; W <- W + v: a ball rolling downhill."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9) -> None:
        super().__init__(learning_rate)
        self.momentum = momentum
        self.state = {"v": {}}

    def update(self, params: Arrays, grads: Arrays) -> None:
        for key, p in params.items():
            v = self.state["v"].setdefault(key, np.zeros_like(p))
            v *= p.dtype.type(self.momentum)
            v -= p.dtype.type(self.learning_rate) * grads[key]
            p += v


class AdaGrad(SGD):
    """h <- h + dW^2; W <- W - lr * dW / sqrt(h): each weight's step shrinks as it moves."""

    def __init__(self, learning_rate: float = 0.01) -> None:
        super().__init__(learning_rate)
        self.state = {"h": {}}

    def update(self, params: Arrays, grads: Arrays) -> None:
        for key, p in params.items():
            h = self.state["h"].setdefault(key, np.zeros_like(p))
            h += grads[key] * grads[key]
            p -= p.dtype.type(self.learning_rate) * grads[key] / (np.sqrt(h) + 1e-7)


class Adam(SGD):
    """Momentum and AdaGrad's per-weight scale together, with their bias corrected."""

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9,
                 beta2: float = 0.999) -> None:
        super().__init__(learning_rate)
        self.beta1, self.beta2 = beta1, beta2
        self.state = {"m": {}, "v": {}, "step": {"t": np.zeros((), np.int64)}}

    def update(self, params: Arrays, grads: Arrays) -> None:
        t = int(self.state["step"]["t"]) + 1
        self.state["step"]["t"][...] = t
        lr = self.learning_rate * np.sqrt(1 - self.beta2 ** t) / (1 - self.beta1 ** t)
        for key, p in params.items():
            g, dtype = grads[key], p.dtype.type
            m = self.state["m"].setdefault(key, np.zeros_like(p))
            v = self.state["v"].setdefault(key, np.zeros_like(p))
            m += dtype(1 - self.beta1) * (g - m)
            v += dtype(1 - self.beta2) * (g * g - v)
            p -= dtype(lr) * m / (np.sqrt(v) + dtype(1e-7))


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adagrad": AdaGrad, "adam": Adam}
