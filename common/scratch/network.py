"""A network as the decks build one: a list of layers and a SoftmaxWithLoss on top.

A training step shares the batch among the cores: each core takes its part of the images
through the whole network, forward and backward, on a copy of the layers (the weights
shared, what a pass keeps for backward its own), and the parts' weight gradients are added
up. For a network without batch normalization that is the whole batch's gradient. One
hand-over a step where sharing each layer's work out made forty: timed in turns in one
process on the 2-core VM, a DeepConvNet step took 61 ms this way and 77 ms that way.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from common.scratch.layers import BatchNormalization, Dropout, Layer, SoftmaxWithLoss
from common.scratch.parallel import CORES, on_each, one_blas_thread

# what a step's passes are handed to be timed: clock("conv1 forward", work) returns work()
Clock = Callable[[str, Callable[[], Any]], Any]


class Network:
    """``layers`` in order, each named (``names``: "conv1", "relu1", ...), and the loss."""

    def __init__(self, layers: Sequence[Layer], names: Sequence[str],
                 input_shape: tuple[int, ...]) -> None:
        self.layers, self.names = list(layers), list(names)
        self.input_shape = tuple(input_shape)
        self.last = SoftmaxWithLoss()
        if self.layers and hasattr(self.layers[0], "input_gradient"):
            self.layers[0].input_gradient = False  # nothing needs dL/d(images)
        self._copies: list[Network] = []

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

    def gradient(self, x: np.ndarray, labels: np.ndarray, clock: Clock | None = None) -> float:
        """One forward pass in training mode and backpropagation: fills each layer's
        ``grads``; returns the batch's loss. ``clock`` times the first part's passes."""
        parts = self.parts(len(x))
        with one_blas_thread():
            if len(parts) == 1:  # the layers share each one's work among the cores
                return self._backpropagate(self, x, labels, 1.0, clock)
            copies = [self._copy(i) for i in range(len(parts))]
            losses = on_each(lambda i: self._backpropagate(
                copies[i], x[parts[i]], labels[parts[i]], len(labels[parts[i]]) / len(x),
                clock if i == 0 else None), range(len(parts)))
        for i, layer in enumerate(self.layers):  # in the parts' order: the same sum each time
            layer.grads = {key: sum(c.layers[i].grads[key] for c in copies)
                           for key in copies[0].layers[i].grads}
        return float(sum(loss * len(labels[part]) for loss, part in zip(losses, parts,
                                                                        strict=True)) / len(x))

    def parts(self, count: int) -> list[slice]:
        """The batch's share of each core: its rows in ``CORES`` parts, or one where batch
        normalization needs the whole batch's statistics."""
        if any(isinstance(layer, BatchNormalization) for layer in self.layers):
            return [slice(0, count)]
        size = max(1, -(-count // CORES))
        return [slice(start, min(count, start + size)) for start in range(0, count, size)] \
            or [slice(0, 0)]

    def _copy(self, index: int) -> Network:
        """A network on this one's weights with layers of its own, kept from step to step (so
        are the arrays a pass keeps for backward: made anew each step they cost the
        system a page fault every 4 kB, a third of the step's time); its dropout layers draw
        masks from streams of their own, spawned from the layer's (so a seed still fixes
        every mask)."""
        while len(self._copies) <= index:
            twin = copy.copy(self)
            twin.layers, twin.last = [copy.copy(layer) for layer in self.layers], SoftmaxWithLoss()
            twin._copies = []
            self._copies.append(twin)
        twin = self._copies[index]
        for layer, own in zip(self.layers, twin.layers, strict=True):
            own.params = layer.params  # the same weights, even where they were replaced
            if isinstance(layer, Dropout) and getattr(own, "spawned_from", None) is not layer.rng:
                own.spawned_from, own.rng = layer.rng, layer.rng.spawn(1)[0]  # new seed, new masks
        return twin

    @staticmethod
    def _backpropagate(network: Network, x: np.ndarray, labels: np.ndarray, share: float,
                       clock: Clock | None) -> float:
        """``network``'s loss on (x, labels) and every layer's gradient of it, scaled by
        ``share`` (the part's share of the batch)."""
        time = clock or (lambda _, work: work())
        for name, layer in zip(network.names, network.layers, strict=True):
            x = time(f"{name} forward", lambda: layer.forward(x, True))  # noqa: B023
        loss, dout = time("loss forward", lambda: (network.last.loss(x, labels),
                                                   network.last.backward(share)))
        for name, layer in zip(reversed(network.names), reversed(network.layers), strict=True):
            dout = time(f"{name} backward", lambda: layer.backward(dout))  # noqa: B023
        return loss

    def accuracy(self, x: np.ndarray, labels: np.ndarray, batch_size: int = 1000) -> float:
        return float(np.mean(self.predict(x, batch_size).argmax(axis=1) == labels))

    def astype(self, dtype: type) -> Network:
        """Every weight in ``dtype`` (float64 for gradient checks), in place."""
        for layer in self.layers:
            layer.params = {k: p.astype(dtype) for k, p in layer.params.items()}
        return self
