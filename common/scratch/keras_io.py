"""A from-scratch network as a stock Keras model, and back: the same layers in Keras, the
weights as they are (both keep images as height, width, channels), softmax on top. The .h5
this makes is read by ``keras.models.load_model`` with no project code, so every tool of
the project (test, predict, the results table) treats a NumPy network like any other."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from common.scratch.conv import Convolution, MaxPooling
from common.scratch.layers import Affine, BatchNormalization, Dropout, Relu, Sigmoid
from common.scratch.network import Network


def to_keras(network: Network, name: str) -> keras.Model:
    """``network`` as a float32 Keras model predicting what it predicts."""
    inputs = keras.Input(network.input_shape, name="input")
    x, weights = inputs, []
    for label, layer in zip(network.names, network.layers, strict=True):
        if isinstance(layer, Convolution):
            if layer.pad:
                x = layers.ZeroPadding2D(layer.pad, name=f"{label}_pad")(x)
            kernel = layer.params["W"]
            x = layers.Conv2D(kernel.shape[-1], kernel.shape[:2], strides=layer.stride,
                              name=label)(x)
            weights.append((label, [kernel, layer.params["b"]]))
        elif isinstance(layer, Affine):
            if len(x.shape) > 2:
                x = layers.Flatten(name=f"{label}_flatten")(x)
            x = layers.Dense(layer.params["W"].shape[1], name=label)(x)
            weights.append((label, [layer.params["W"], layer.params["b"]]))
        elif isinstance(layer, Relu | Sigmoid):
            x = layers.Activation("relu" if isinstance(layer, Relu) else "sigmoid",
                                  name=label)(x)
        elif isinstance(layer, MaxPooling):
            x = layers.MaxPooling2D(layer.size, layer.stride, name=label)(x)
        elif isinstance(layer, Dropout):
            x = layers.Dropout(layer.rate, name=label)(x)
        elif isinstance(layer, BatchNormalization):
            x = layers.BatchNormalization(momentum=layer.momentum, epsilon=layer.epsilon,
                                          name=label)(x)
            weights.append((label, [layer.params["gamma"], layer.params["beta"],
                                    layer.running["mean"], layer.running["var"]]))
        else:
            raise TypeError(f"no Keras layer for {type(layer).__name__} ({label})")
    outputs = layers.Activation("softmax", name="softmax")(x)
    model = keras.Model(inputs, outputs, name=name)
    for label, arrays in weights:
        model.get_layer(label).set_weights([np.asarray(a, np.float32) for a in arrays])
    return model


def from_keras(model: keras.Model) -> Network:
    """The NumPy network a ``to_keras`` model holds (for its forward pass: test time)."""
    rng, pad = np.random.default_rng(0), 0
    built, names = [], []
    for layer in model.layers[1:]:
        kind = type(layer).__name__
        if kind == "ZeroPadding2D":
            pad = int(layer.padding[0][0])
            continue
        if kind == "Activation" and layer.name == "softmax":
            break
        arrays = [np.asarray(w, np.float32) for w in layer.get_weights()]
        if kind == "Conv2D":
            kernel, bias = arrays
            scratch = Convolution(kernel.shape[2], kernel.shape[3], kernel.shape[0], 0.0, rng,
                                  stride=layer.strides[0], pad=pad)
            scratch.params = {"W": kernel, "b": bias}
            pad = 0
        elif kind == "Dense":
            scratch = Affine(*arrays[0].shape, 0.0, rng)
            scratch.params = {"W": arrays[0], "b": arrays[1]}
        elif kind == "Activation":
            scratch = Relu() if layer.get_config()["activation"] == "relu" else Sigmoid()
        elif kind == "MaxPooling2D":
            scratch = MaxPooling(layer.pool_size[0], layer.strides[0])
        elif kind == "Dropout":
            scratch = Dropout(layer.rate, rng)
        elif kind == "BatchNormalization":
            scratch = BatchNormalization(len(arrays[0]), layer.momentum, layer.epsilon)
            scratch.params = {"gamma": arrays[0], "beta": arrays[1]}
            scratch.running = {"mean": arrays[2], "var": arrays[3]}
        elif kind == "Flatten":
            continue  # Affine flattens what it is given
        else:
            raise TypeError(f"{layer.name}: a {kind} layer has no from-scratch counterpart")
        built.append(scratch)
        names.append(layer.name)
    return Network(built, names, tuple(model.input_shape[1:]))
