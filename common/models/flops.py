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
    calls_of = _calls(model)
    total = 0
    for layer in model.layers:
        calls = calls_of.get(layer.name, 1)
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


def _calls(model: keras.Model) -> dict[str, int]:
    """How many times a functional model calls each of its layers, from its config (which
    lists every call as an inbound node); a Sequential model calls each once."""
    layer_configs = model.get_config().get("layers", []) if not isinstance(
        model, keras.Sequential) else []
    return {c["name"]: max(len(c.get("inbound_nodes", [])), 1) for c in layer_configs
            if "name" in c}


def training_flops(model: keras.Model, images: int) -> int:
    """FLOPs of training ``model`` on ``images`` images (forward and backward)."""
    return 3 * forward_flops(model) * images
