"""How much arithmetic a network costs: floating-point operations of one forward pass,
counted from its layers (a multiply-add is 2 FLOPs).

Convolutions and dense layers, the layers that cost, are counted exactly; normalization,
activations, pooling and additions (a few operations per value) are left out. Training
one image costs about 3 times the forward pass (forward, and twice that backward), which
is how ``training_flops`` counts it.
"""

from __future__ import annotations

import math

import keras
from keras import layers


def forward_flops(model: keras.Model) -> int:
    """FLOPs of one image's forward pass through ``model`` (nested models counted once
    per call: an ensemble that shows each member two views counts each twice)."""
    total = 0
    for layer in model.layers:
        calls = max(len(layer._inbound_nodes), 1)  # Keras lists its calls only there
        if isinstance(layer, keras.Model):
            total += calls * forward_flops(layer)
        elif isinstance(layer, layers.Conv2D):
            kernel_h, kernel_w = layer.kernel_size
            in_channels = layer.kernel.shape[2]  # grouped convolutions: per group
            out_values = math.prod(layer.output.shape[1:])
            total += calls * 2 * out_values * kernel_h * kernel_w * in_channels
        elif isinstance(layer, layers.Dense):
            inputs, units = layer.kernel.shape
            positions = math.prod(layer.output.shape[1:-1])  # Dense on a feature map
            total += calls * 2 * positions * inputs * units
    return total


def training_flops(model: keras.Model, images: int) -> int:
    """FLOPs of training ``model`` on ``images`` images (forward and backward)."""
    return 3 * forward_flops(model) * images
