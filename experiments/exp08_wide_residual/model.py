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

from experiments.exp07_speedrun.model import build_model as build_exp07
from experiments.exp07_speedrun.model import conv

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
    """Step 7's network with residual groups at these widths."""
    return build_exp07(input_shape, classes, name, group=residual_group, widths=widths)
