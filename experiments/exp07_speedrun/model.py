"""Step 7 - speed run: a small, wide network built to learn CIFAR-10 in ten epochs.

The public speed runs' network (airbench's, after Page's ResNet-9), written in stock Keras:
a fixed first layer that whitens 2x2 patches (fitted to the training images), then three
groups of conv -> max-pool -> BatchNormalization -> GELU -> conv -> BatchNormalization ->
GELU with 64, 256 and 256 channels. Every 3x3 convolution starts as the identity on its
first channels: an implicit shortcut, so the network starts out behaving like a shallow one.
BatchNormalization learns only a shift (no scale: the next convolution has one) and keeps
fast running statistics. The logits are divided by 9 before the softmax.
"""

from collections.abc import Callable

import keras
import numpy as np
from keras import layers

from common.layers.whitening import whitening_weights
from common.models.ensemble import averaged_ensemble

WIDTHS = (64, 256, 256)
PATCH = 2  # the whitening layer's patch size
TEMPERATURE = 9.0  # logits / 9: softer outputs in the first steps


def small_uniform() -> keras.initializers.Initializer:
    # U(±1/sqrt(fan_in)), PyTorch's default, which the recipe was tuned with; Keras' Glorot
    # draws 3x3 kernels ~1.7x larger, and behind BatchNormalization that means smaller steps
    return keras.initializers.VarianceScaling(1 / 3, "fan_in", "uniform")


def shift_norm(name: str) -> layers.BatchNormalization:
    return layers.BatchNormalization(momentum=0.6, epsilon=1e-5, scale=False, name=name)


def conv(filters: int, name: str) -> layers.Conv2D:
    return layers.Conv2D(filters, 3, padding="same", use_bias=False,
                         kernel_initializer=small_uniform(), name=name)


def conv_group(x: keras.KerasTensor, filters: int, name: str) -> keras.KerasTensor:
    x = conv(filters, f"{name}_conv1")(x)
    x = layers.MaxPooling2D(2, name=f"{name}_pool")(x)
    x = shift_norm(f"{name}_bn1")(x)
    x = layers.Activation("gelu", name=f"{name}_gelu1")(x)
    x = conv(filters, f"{name}_conv2")(x)
    x = shift_norm(f"{name}_bn2")(x)
    return layers.Activation("gelu", name=f"{name}_gelu2")(x)


def build_model(input_shape: tuple[int, int, int] = (32, 32, 3), classes: int = 10,
                name: str = "exp07_speedrun", group: Callable = conv_group,
                widths: tuple[int, ...] = WIDTHS) -> keras.Model:
    """The whitened stem, one ``group`` (x, filters, name) per width, the scaled head."""
    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Conv2D(2 * PATCH * PATCH * input_shape[-1], PATCH, padding="valid",
                      trainable=False, name="whiten")(inputs)  # set by initialize()
    x = layers.Activation("gelu", name="whiten_gelu")(x)
    for i, filters in enumerate(widths, start=1):
        x = group(x, filters, f"group{i}")
    x = layers.GlobalMaxPooling2D(name="pool")(x)
    x = layers.Dense(classes, use_bias=False, kernel_initializer=small_uniform(),
                     name="logits")(x)
    x = layers.Rescaling(1 / TEMPERATURE, name="temperature")(x)
    outputs = layers.Activation("softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def initialize(model: keras.Model, images: np.ndarray) -> None:
    """Fit the whitening layer to ``images``; start each 3x3 convolution's first filters
    (as many as it has inputs) as the identity."""
    model.get_layer("whiten").set_weights(list(whitening_weights(images, PATCH)))
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D) and layer.kernel_size == (3, 3):
            kernel = layer.get_weights()[0]
            inputs = kernel.shape[2]
            kernel[:, :, :, :inputs] = 0
            kernel[1, 1, np.arange(inputs), np.arange(inputs)] = 1
            layer.set_weights([kernel])


def flip_and_moves_averaged(network: keras.Model) -> keras.Model:
    """The saved model: the image and its mirror weigh half, and the same two moved one
    pixel down-right and up-left the other half (airbench's test-time augmentation)."""
    return averaged_ensemble([network], name=f"{network.name}_tta", moved_too=True)
