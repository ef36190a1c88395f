"""Step 5 - residual network: ResNet-9 (Page's DAWNBench network) at a quarter of its width.

A 3x3 prep layer, then three stages that each widen the maps with conv -> BatchNormalization
-> ReLU and halve them with max pooling (32 -> 64 -> 128 -> 256 filters). The first and the
last stage end in a residual block: its input is added back to the output of two
conv -> BatchNormalization -> ReLU layers, so the block learns a correction to what it is
given and gradients reach the first layers through the identity shortcut. Global average
pooling replaces Flatten: 256 features feed the classifier. The logits are scaled by 1/8
before the softmax (Page's), which keeps the first steps at a high learning rate stable.
"""

import keras
from keras import layers, regularizers

L2 = 2.5e-4  # Keras' l2(x) adds 2x * w to the gradient: weight decay 5e-4, as Page's
WIDTHS = (32, 64, 128, 256)  # prep, stage 1, 2, 3: a quarter of ResNet-9's (64 ... 512)
RESIDUAL_STAGES = (1, 3)
LOGIT_SCALE = 0.125


def conv_bn_relu(x: keras.KerasTensor, filters: int, name: str) -> keras.KerasTensor:
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                      kernel_initializer="he_normal", kernel_regularizer=regularizers.l2(L2),
                      name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def residual_block(x: keras.KerasTensor, name: str) -> keras.KerasTensor:
    y = conv_bn_relu(x, x.shape[-1], f"{name}_a")
    y = conv_bn_relu(y, x.shape[-1], f"{name}_b")
    return layers.Add(name=f"{name}_add")([x, y])  # identity shortcut: same shape


def build_model(input_shape: tuple[int, int, int] = (32, 32, 3), classes: int = 10,
                name: str = "exp05_resnet") -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="input")
    x = conv_bn_relu(inputs, WIDTHS[0], "prep")
    for stage, filters in enumerate(WIDTHS[1:], start=1):
        x = conv_bn_relu(x, filters, f"stage{stage}")
        x = layers.MaxPooling2D(2, name=f"stage{stage}_pool")(x)
        if stage in RESIDUAL_STAGES:
            x = residual_block(x, f"stage{stage}_res")
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dense(classes, kernel_initializer="he_normal",
                     kernel_regularizer=regularizers.l2(L2), name="logits")(x)
    x = layers.Rescaling(LOGIT_SCALE, name="logit_scale")(x)
    outputs = layers.Activation("softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)
