"""MobileNet's depthwise-separable convolution: a 3x3 per channel, then a 1x1 across them.

A 3x3 convolution from C to C' channels costs 9·C·C' multiply-adds a pixel; the separable
pair costs 9·C + C·C' (for C' = 256, about 8x less). A 3x3 stem, then separable blocks
(each half: BatchNormalization, ReLU), widening 64 -> 512 while the maps shrink 32 -> 4
pixels through strided depthwise layers; global average pooling, softmax.
"""

import keras
from keras import layers

BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1))


def bn_relu(x: keras.KerasTensor, name: str) -> keras.KerasTensor:
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def separable(x: keras.KerasTensor, filters: int, strides: int, name: str) -> keras.KerasTensor:
    x = layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False,
                               name=f"{name}_depthwise")(x)
    x = bn_relu(x, f"{name}_depthwise")
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pointwise")(x)
    return bn_relu(x, f"{name}_pointwise")


def build_model(input_shape: tuple[int, int, int] = (32, 32, 3), classes: int = 10,
                name: str = "arch04_mobilenet") -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Conv2D(32, 3, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = bn_relu(x, "stem")
    for i, (filters, strides) in enumerate(BLOCKS, start=1):
        x = separable(x, filters, strides, f"block{i}")
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = layers.Dense(classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)
