"""A network as the decks build one: a list of layers and a SoftmaxWithLoss on top."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from common.scratch.layers import BatchNormalization, Layer, SoftmaxWithLoss
from common.scratch.parallel import one_blas_thread


class Network:
    """``layers`` in order, each named (``names``: "conv1", "relu1", ...), and the loss."""

    def __init__(self, layers: Sequence[Layer], names: Sequence[str],
                 input_shape: tuple[int, ...]) -> None:
        self.layers, self.names = list(layers), list(names)
        self.input_shape = tuple(input_shape)
        self.last = SoftmaxWithLoss()
        if self.layers and hasattr(self.layers[0], "input_gradient"):
            self.layers[0].input_gradient = False  # nothing needs dL/d(images)

    @property
    def params(self) -> dict[str, np.ndarray]:
        """Every weight, by "<layer>/<name>" (the arrays themselves: updates change them)."""
        return {f"{n}/{k}": p for n, layer in zip(self.names, self.layers, strict=True)
                for k, p in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {f"{n}/{k}": g for n, layer in zip(self.names, self.layers, strict=True)
                for k, g in layer.grads.items()}

    @property
    def buffers(self) -> dict[str, np.ndarray]:
        """What is kept but not trained: batch normalization's running statistics."""
        return {f"{n}/{k}": a for n, layer in zip(self.names, self.layers, strict=True)
                if isinstance(layer, BatchNormalization) for k, a in layer.running.items()}

    def count_params(self) -> int:
        return sum(p.size for p in self.params.values())

    def logits(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x, train)
        return x

    def predict(self, x: np.ndarray, batch_size: int = 1000, verbose: int = 0) -> np.ndarray:
        """Class probabilities, a batch at a time (Keras' ``predict`` signature)."""
        with one_blas_thread():
            return np.concatenate([self.last.forward(self.logits(x[i:i + batch_size]))
                                   for i in range(0, len(x), batch_size)])

    def loss(self, x: np.ndarray, labels: np.ndarray, train: bool = False) -> float:
        return self.last.loss(self.logits(x, train), labels)

    def gradient(self, x: np.ndarray, labels: np.ndarray) -> float:
        """One forward pass in training mode and backpropagation: fills each layer's
        ``grads``; returns the batch's loss."""
        with one_blas_thread():  # the layers share the cores out themselves
            loss = self.loss(x, labels, train=True)
            dout = self.last.backward()
            for layer in reversed(self.layers):
                dout = layer.backward(dout)
        return loss

    def accuracy(self, x: np.ndarray, labels: np.ndarray, batch_size: int = 1000) -> float:
        return float(np.mean(self.predict(x, batch_size).argmax(axis=1) == labels))

    def astype(self, dtype: type) -> Network:
        """Every weight in ``dtype`` (float64 for gradient checks), in place."""
        for layer in self.layers:
            layer.params = {k: p.astype(dtype) for k, p in layer.params.items()}
        return self
