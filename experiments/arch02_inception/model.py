"""GoogLeNet's Inception module: four branches side by side, concatenated.

A 1x1 convolution; a 1x1 that narrows the maps, then a 3x3; a 1x1 that narrows more, then
a 5x5; a 3x3 max pool, then a 1x1. The layer need not choose one receptive field, and the
1x1s keep the 3x3 and 5x5 cheap. A 3x3 stem, then 1, 2 and 2 modules at 32, 16 and 8
pixels (max pooling between), global average pooling, softmax.
"""

import keras
from keras import layers

# filters of each module: 1x1, (1x1 -> 3x3), (1x1 -> 5x5), pool -> 1x1; out = their sum
STAGES = (
    [(32, (32, 64), (8, 16), 16)],  # 128 maps at 32x32
    [(48, (48, 96), (12, 24), 24)] * 2,  # 192 at 16x16
    [(64, (64, 128), (16, 32), 32)] * 2,  # 256 at 8x8
)


def conv(x: keras.KerasTensor, filters: int, size: int, name: str) -> keras.KerasTensor:
    x = layers.Conv2D(filters, size, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def inception(x: keras.KerasTensor, filters: tuple, name: str) -> keras.KerasTensor:
    one, (reduce3, three), (reduce5, five), pool = filters
    branches = [
        conv(x, one, 1, f"{name}_1x1"),
        conv(conv(x, reduce3, 1, f"{name}_3x3reduce"), three, 3, f"{name}_3x3"),
        conv(conv(x, reduce5, 1, f"{name}_5x5reduce"), five, 5, f"{name}_5x5"),
        conv(layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x),
             pool, 1, f"{name}_poolproj"),
    ]
    return layers.Concatenate(name=f"{name}_concat")(branches)


def build_model(input_shape: tuple[int, int, int] = (32, 32, 3), classes: int = 10,
                name: str = "arch02_inception") -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="input")
    x = conv(inputs, 64, 3, "stem")
    for stage, modules in enumerate(STAGES, start=1):
        if stage > 1:
            x = layers.MaxPooling2D(2, name=f"stage{stage}_downsample")(x)
        for i, filters in enumerate(modules, start=1):
            x = inception(x, filters, f"stage{stage}_inception{i}")
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = layers.Dense(classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)
