"""Layers as classes, as the decks write them: ``forward`` keeps what ``backward`` needs,
``backward`` takes dL/d(output) and returns dL/d(input), leaving dL/d(weights) in ``grads``.

Arrays are (batch, features) or, for images, (batch, height, width, channels) - the layout
Keras uses, so a trained network's weights go into a Keras model as they are.
"""

from __future__ import annotations

import numpy as np

from common.scratch.functions import cross_entropy, sigmoid, softmax
from common.scratch.parallel import on_each, split
from common.scratch.weights import normal, weight_std


class Layer:
    """A layer without weights; subclasses with weights fill ``params`` and ``grads``."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Affine(Layer):
    """y = x W + b; an image batch is flattened first (height, width, channels order)."""

    def __init__(self, inputs: int, units: int, init: float | str,
                 rng: np.random.Generator) -> None:
        super().__init__()
        self.params = {"W": normal(rng, (inputs, units), weight_std(init, inputs)),
                       "b": np.zeros(units, dtype=np.float32)}

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        self.shape = x.shape
        self.x = x.reshape(len(x), -1)
        return self.x @ self.params["W"] + self.params["b"]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.grads = {"W": self.x.T @ dout, "b": dout.sum(axis=0)}
        return (dout @ self.params["W"].T).reshape(self.shape)


class Relu(Layer):
    """max(0, x); backward passes the gradient where the input was positive (the mask)."""

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        self.out = np.empty_like(x)  # np.maximum: ten times faster than np.where
        on_each(lambda part: np.maximum(x[part], 0, out=self.out[part]), split(x))
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = np.empty(dout.shape, dtype=np.result_type(dout, self.out))
        on_each(lambda part: np.multiply(dout[part], self.out[part] > 0, out=dx[part]),
                split(dx))  # the mask: where the input was positive
        return dx


class Sigmoid(Layer):
    """1 / (1 + exp(-x)); its derivative y (1 - y) is at most 1/4: the vanishing gradient."""

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        self.y = sigmoid(x)
        return self.y

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.y * (1 - self.y)


class Dropout(Layer):
    """Drops each unit with probability ``rate`` in training. The kept ones are scaled by
    1 / (1 - rate) there, rather than every unit by (1 - rate) at test as the book writes
    it: the same expectation, and the test-time layer is the identity, as in Keras."""

    def __init__(self, rate: float, rng: np.random.Generator) -> None:
        super().__init__()
        self.rate, self.rng = rate, rng

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        if not train or self.rate == 0:
            self.scale = None
            return x
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.rate
        self.scale = keep.astype(x.dtype) / x.dtype.type(1 - self.rate)
        return x * self.scale

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout if self.scale is None else dout * self.scale


class BatchNormalization(Layer):
    """Normalises each feature (each channel of an image) by the batch's mean and variance
    in training, by running averages at test, then scales by gamma and shifts by beta."""

    def __init__(self, features: int, momentum: float = 0.9, epsilon: float = 1e-6) -> None:
        super().__init__()
        self.params = {"gamma": np.ones(features, np.float32),
                       "beta": np.zeros(features, np.float32)}
        self.running = {"mean": np.zeros(features, np.float32),
                        "var": np.ones(features, np.float32)}
        self.momentum, self.epsilon = momentum, epsilon

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        self.shape = x.shape
        x = x.reshape(-1, x.shape[-1])
        if train:
            mean, var = x.mean(axis=0), x.var(axis=0)
            for key, value in (("mean", mean), ("var", var)):
                self.running[key] = (self.momentum * self.running[key]
                                     + (1 - self.momentum) * value).astype(np.float32)
        else:
            mean, var = self.running["mean"], self.running["var"]
        self.std = np.sqrt(var + self.epsilon)
        self.xn = (x - mean) / self.std
        return (self.params["gamma"] * self.xn + self.params["beta"]).reshape(self.shape)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout = dout.reshape(-1, dout.shape[-1])
        self.grads = {"gamma": (dout * self.xn).sum(axis=0), "beta": dout.sum(axis=0)}
        dxn = dout * self.params["gamma"]
        dx = (dxn - dxn.mean(axis=0) - self.xn * (dxn * self.xn).mean(axis=0)) / self.std
        return dx.reshape(self.shape)


class SoftmaxWithLoss(Layer):
    """Softmax and cross-entropy in one: together their gradient is simply
    (probabilities - one-hot labels) / batch."""

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        return softmax(x)

    def loss(self, x: np.ndarray, labels: np.ndarray) -> float:
        self.probabilities, self.labels = softmax(x), labels
        return cross_entropy(self.probabilities, labels)

    def backward(self, dout: np.ndarray | float = 1.0) -> np.ndarray:
        dx = self.probabilities.copy()
        dx[np.arange(len(self.labels)), self.labels] -= 1
        return dx * (dout / len(self.labels))


class SigmoidWithLoss(Layer):
    """Sigmoid and binary cross-entropy in one (a yes/no output, XOR's): their gradient
    together is (probability - label) / batch, as softmax's with cross-entropy."""

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        return sigmoid(x)

    def loss(self, x: np.ndarray, labels: np.ndarray) -> float:
        self.probabilities, self.labels = sigmoid(x), labels.reshape(x.shape)
        p, y = np.clip(self.probabilities, 1e-12, 1 - 1e-12), self.labels
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    def backward(self, dout: np.ndarray | float = 1.0) -> np.ndarray:
        return (self.probabilities - self.labels) * (dout / len(self.labels))
