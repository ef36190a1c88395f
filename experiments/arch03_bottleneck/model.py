"""ResNet's bottleneck block: 1x1 (narrow) -> 3x3 -> 1x1 (widen 4x), added to a shortcut.

The 3x3 works on a quarter of the block's channels, so a block costs about what one 3x3 on
the wide maps would, yet the network can be deep: 3 stages of 3 blocks (29 layers) at 32,
16 and 8 pixels, 64 -> 128 -> 256 channels out. A block that changes the shape (more
channels, or stride 2 in its 3x3) projects its shortcut with a strided 1x1; the others add
their input unchanged. Global average pooling, softmax.
"""

import keras
from keras import layers

STAGES = ((16, 1), (32, 2), (64, 2))  # the 3x3's channels (x4 out) and the stage's stride
BLOCKS = 3  # per stage


def conv_bn(x: keras.KerasTensor, filters: int, size: int, name: str,
            strides: int = 1) -> keras.KerasTensor:
    x = layers.Conv2D(filters, size, strides=strides, padding="same", use_bias=False,
                      kernel_initializer="he_normal", name=f"{name}_conv")(x)
    return layers.BatchNormalization(name=f"{name}_bn")(x)


def bottleneck(x: keras.KerasTensor, width: int, strides: int, name: str) -> keras.KerasTensor:
    y = layers.Activation("relu", name=f"{name}_relu1")(conv_bn(x, width, 1, f"{name}_reduce"))
    y = layers.Activation("relu", name=f"{name}_relu2")(
        conv_bn(y, width, 3, f"{name}_3x3", strides))
    y = conv_bn(y, 4 * width, 1, f"{name}_expand")
    shortcut = x
    if strides != 1 or x.shape[-1] != 4 * width:
        shortcut = conv_bn(x, 4 * width, 1, f"{name}_projection", strides)
    return layers.Activation("relu", name=f"{name}_out")(
        layers.Add(name=f"{name}_add")([shortcut, y]))


def build_model(input_shape: tuple[int, int, int] = (32, 32, 3), classes: int = 10,
                name: str = "arch03_bottleneck") -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Activation("relu", name="stem_relu")(conv_bn(inputs, 32, 3, "stem"))
    for stage, (width, strides) in enumerate(STAGES, start=1):
        for block in range(1, BLOCKS + 1):
            x = bottleneck(x, width, strides if block == 1 else 1,
                           f"stage{stage}_block{block}")
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = layers.Dense(classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)
