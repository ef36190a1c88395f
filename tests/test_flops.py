"""FLOPs counted from the layers: convolutions and dense layers, nested models per call."""

from __future__ import annotations

import keras
from keras import layers

from common.models.ensemble import averaged_ensemble
from common.models.flops import forward_flops, training_flops
from experiments.exp05_resnet.model import build_model as build_resnet


def test_a_convolution_and_a_dense_layer_by_hand() -> None:
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same")(inputs)  # 8*8*4 outputs, 3*3*3 multiply-adds
    x = layers.MaxPooling2D()(x)  # not counted
    x = layers.Flatten()(x)
    outputs = layers.Dense(10)(x)  # 4*4*4 inputs
    model = keras.Model(inputs, outputs)
    expected = 2 * (8 * 8 * 4 * 3 * 3 * 3) + 2 * (4 * 4 * 4 * 10)
    assert forward_flops(model) == expected
    assert training_flops(model, 100) == 3 * expected * 100


def test_exp05_costs_what_its_layers_add_up_to() -> None:
    # ResNet-9 at a quarter width: each stage's widening conv and each residual block's
    # two convs cost the same 18,874,368 multiply-adds (the maps shrink 4x as the channels
    # grow 2x)
    prep = 32 * 32 * 32 * (3 * 3 * 3)
    stage = 32 * 32 * 64 * (3 * 3 * 32)
    logits = 256 * 10
    assert forward_flops(build_resnet()) == 2 * (prep + 5 * stage + logits)


def test_an_ensemble_counts_each_member_once_per_view() -> None:
    one = forward_flops(build_resnet())
    members = [build_resnet(name=f"m{i}") for i in (1, 2)]
    plain = averaged_ensemble(members, "plain", mirrored=False)
    assert forward_flops(plain) == 2 * one
    mirrored = averaged_ensemble([build_resnet(name=f"n{i}") for i in (1, 2)], "mirrored")
    mirror = 2 * 32 * 3 * 32 * 32  # the 0/1 matrix on the width axis, per row and channel
    assert forward_flops(mirrored) == 4 * one + mirror
