"""Step 8 - made for a GPU: step 7's network, wider, deeper and residual (airbench96's).

Each of the three groups is conv -> max-pool -> BatchNormalization -> GELU, then two more
conv -> BatchNormalization layers (a GELU between) whose output is added to the group's
first activation, then a GELU: three convolutions a group where step 7 has two, 10 in all
with the whitening layer; 128, 512 and 512 channels (step 7: 64, 256, 256); 5x its FLOPs
an image. The rest is step 7's: the fitted whitening layer, identity-started 3x3 kernels
(with the shortcut, a group starts out close to conv -> pool), shift-only
BatchNormalization, logits / 9.
"""

import keras
from keras import layers

from experiments.exp07_speedrun.model import PATCH, TEMPERATURE, conv, small_uniform

WIDTHS = (128, 512, 512)
# PyTorch's default momentum (0.1 there), airbench96's since June 2024 (step 7: 0.6).
# epsilon: step 7's 1e-5, not airbench's 1e-12 (TensorFlow's fused kernel needs >= 1e-5)
BN_MOMENTUM, BN_EPSILON = 0.9, 1e-5


def shift_norm(name: str) -> layers.BatchNormalization:
    return layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON, scale=False,
                                     name=name)


def residual_group(x: keras.KerasTensor, filters: int, name: str) -> keras.KerasTensor:
    x = conv(filters, f"{name}_conv1")(x)
    x = layers.MaxPooling2D(2, name=f"{name}_pool")(x)
    x = shift_norm(f"{name}_bn1")(x)
    shortcut = layers.Activation("gelu", name=f"{name}_gelu1")(x)
    x = conv(filters, f"{name}_conv2")(shortcut)
    x = shift_norm(f"{name}_bn2")(x)
    x = layers.Activation("gelu", name=f"{name}_gelu2")(x)
    x = conv(filters, f"{name}_conv3")(x)
    x = shift_norm(f"{name}_bn3")(x)
    x = layers.Add(name=f"{name}_add")([x, shortcut])
    return layers.Activation("gelu", name=f"{name}_gelu3")(x)


def build_model(input_shape: tuple[int, int, int] = (32, 32, 3), classes: int = 10,
                name: str = "exp08_wide_residual",
                widths: tuple[int, ...] = WIDTHS) -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Conv2D(2 * PATCH * PATCH * input_shape[-1], PATCH, padding="valid",
                      trainable=False, name="whiten")(inputs)  # set by initialize()
    x = layers.Activation("gelu", name="whiten_gelu")(x)
    for i, filters in enumerate(widths, start=1):
        x = residual_group(x, filters, f"group{i}")
    x = layers.GlobalMaxPooling2D(name="pool")(x)
    x = layers.Dense(classes, use_bias=False, kernel_initializer=small_uniform(),
                     name="logits")(x)
    x = layers.Rescaling(1 / TEMPERATURE, name="temperature")(x)
    outputs = layers.Activation("softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)
