"""Step 5 - residual network: ResNet-20 (He et al. 2016, the CIFAR-10 version).

A 3x3 stem, then three stages of three basic blocks (16 -> 32 -> 64 filters). A block
adds its input back to the output of conv -> BatchNormalization -> ReLU -> conv ->
BatchNormalization, so each block learns a correction to what it is given and gradients
reach the first layers through the shortcuts. The first block of stages 2 and 3 halves
the maps with a stride-2 convolution; its shortcut is a 1x1 stride-2 projection. Global
average pooling replaces Flatten: 64 features feed the classifier, not 4x4x128.
"""

import keras
from keras import layers, regularizers

L2 = 1e-4  # as in Keras' own CIFAR-10 ResNet example
WIDTHS = (16, 32, 64)
BLOCKS_PER_STAGE = 3  # 6n + 2 = 20 weighted layers


def _conv(filters: int, kernel: int, stride: int, name: str) -> layers.Conv2D:
    return layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False,
                         kernel_initializer="he_normal",
                         kernel_regularizer=regularizers.l2(L2), name=name)


def residual_block(x: keras.KerasTensor, filters: int, stride: int,
                   name: str) -> keras.KerasTensor:
    y = _conv(filters, 3, stride, f"{name}_conv1")(x)
    y = layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = _conv(filters, 3, 1, f"{name}_conv2")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    if stride != 1 or x.shape[-1] != filters:  # the shapes differ: project the shortcut
        x = _conv(filters, 1, stride, f"{name}_project")(x)
        x = layers.BatchNormalization(name=f"{name}_project_bn")(x)
    x = layers.Add(name=f"{name}_add")([x, y])
    return layers.Activation("relu", name=f"{name}_out")(x)


def build_model(input_shape: tuple[int, int, int] = (32, 32, 3), classes: int = 10,
                name: str = "exp05_resnet") -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="input")
    x = _conv(WIDTHS[0], 3, 1, "stem_conv")(inputs)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    for stage, filters in enumerate(WIDTHS, start=1):
        for block in range(1, BLOCKS_PER_STAGE + 1):
            stride = 2 if stage > 1 and block == 1 else 1
            x = residual_block(x, filters, stride, name=f"stage{stage}_block{block}")
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = layers.Dense(classes, activation="softmax", kernel_initializer="he_normal",
                           kernel_regularizer=regularizers.l2(L2), name="output")(x)
    return keras.Model(inputs, outputs, name=name)
