"""Averaged ensembles with mirror-image averaging, as ONE plain-Keras model.

``averaged_ensemble`` wraps trained networks into a model that feeds each of them the
image and its mirror image and averages every predicted distribution. It is made of stock
layers only (the mirror is a fixed 0/1 matrix applied to the width axis by ``Dense``), so
``keras.models.load_model`` reads the saved ``.h5`` with no project code.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import layers


def mirror(x: keras.KerasTensor, name: str = "mirror") -> keras.KerasTensor:
    """``x`` (batch, height, width, channels) flipped left to right, in stock layers: the
    width axis moved last, multiplied by the reversed identity matrix, and moved back.
    The products are with exact 0s and 1s, so the flip is exact in float32."""
    width = x.shape[2]
    x = layers.Permute((1, 3, 2), name=f"{name}_width_last")(x)
    x = layers.Dense(width, use_bias=False, trainable=False, name=f"{name}_reverse")(x)
    return layers.Permute((1, 3, 2), name=f"{name}_width_back")(x)


def averaged_ensemble(members: Sequence[keras.Model], name: str,
                      mirrored: bool = True) -> keras.Model:
    """One model whose output is the mean of ``members``' outputs (each a probability
    distribution), over the image and, when ``mirrored``, its mirror image too."""
    names = [member.name for member in members]
    if len(set(names)) != len(names):
        raise ValueError(f"the members need distinct names, got {names}")
    inputs = keras.Input(members[0].input_shape[1:], name="input")
    views = [inputs, mirror(inputs)] if mirrored else [inputs]
    outputs = [member(view) for member in members for view in views]
    average = (outputs[0] if len(outputs) == 1 else layers.Average(name="average")(outputs))
    model = keras.Model(inputs, average, name=name)
    if mirrored:
        width = inputs.shape[2]
        model.get_layer("mirror_reverse").set_weights([np.eye(width, dtype="float32")[::-1]])
    return model
