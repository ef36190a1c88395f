"""Networks built layer by layer (``Builder``: each layer's inputs come from the shape of
what flows through, never typed in), and the multi-layer network the lessons share. The
convolutional networks are written out in their experiments' model.py."""

from __future__ import annotations

import numpy as np

from common.scratch.conv import Convolution, MaxPooling, output_size
from common.scratch.layers import Affine, BatchNormalization, Dropout, Layer, Relu, Sigmoid
from common.scratch.network import Network

MNIST_SHAPE = (28, 28, 1)


class Builder:
    """Adds layers one after another, naming each ("conv1", "relu1", ...) and keeping the
    shape of its output (height, width, channels), or (features,) after an Affine."""

    def __init__(self, input_shape: tuple[int, ...], seed: int) -> None:
        self.input_shape, self.shape = tuple(input_shape), tuple(input_shape)
        self.rng = np.random.default_rng(seed)
        self.layers: list[Layer] = []
        self.names: list[str] = []

    def add(self, kind: str, layer: Layer) -> Builder:
        self.names.append(f"{kind}{sum(n.rstrip('0123456789') == kind for n in self.names) + 1}")
        self.layers.append(layer)
        return self

    def conv(self, filters: int, size: int, init: float | str, pad: int = 0,
             stride: int = 1) -> Builder:
        h, w, c = self.shape
        self.shape = (output_size(h, size, stride, pad), output_size(w, size, stride, pad),
                      filters)
        return self.add("conv", Convolution(c, filters, size, init, self.rng, stride, pad))

    def pool(self, size: int = 2) -> Builder:
        h, w, c = self.shape
        self.shape = (output_size(h, size, size, 0), output_size(w, size, size, 0), c)
        return self.add("pool", MaxPooling(size))

    def affine(self, units: int, init: float | str) -> Builder:
        inputs = int(np.prod(self.shape))
        self.shape = (units,)
        return self.add("affine", Affine(inputs, units, init, self.rng))

    def activation(self, name: str) -> Builder:
        return self.add(name, {"relu": Relu, "sigmoid": Sigmoid}[name]())

    def batchnorm(self) -> Builder:
        return self.add("batchnorm", BatchNormalization(self.shape[-1]))

    def dropout(self, rate: float) -> Builder:
        return self.add("dropout", Dropout(rate, self.rng))

    def network(self) -> Network:
        return Network(self.layers, self.names, self.input_shape)


def mlp(seed: int = 0, hidden: tuple[int, ...] = (100,), activation: str = "relu",
        init: float | str = "he", batchnorm: bool = False, classes: int = 10,
        input_shape: tuple[int, ...] = MNIST_SHAPE) -> Network:
    """Affine -> [BatchNormalization] -> activation for each hidden layer, then Affine."""
    b = Builder(input_shape, seed)
    for units in hidden:
        b.affine(units, init)
        if batchnorm:
            b.batchnorm()
        b.activation(activation)
    return b.affine(classes, init).network()
