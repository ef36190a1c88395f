"""Averaged ensembles with test-time augmentation, as ONE plain-Keras model.

``averaged_ensemble`` wraps trained networks into a model that feeds each of them the
image and its mirror image (and, optionally, the image moved one pixel) and averages every
predicted distribution. It is made of stock layers only (a mirror or a move is a fixed 0/1
matrix applied to one axis by ``Dense``), so ``keras.models.load_model`` reads the saved
``.h5`` with no project code.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import layers

MOVES = {1: "down_right", -1: "up_left"}  # test-time moves by one pixel, by name


def _along(x: keras.KerasTensor, axis: int, name: str, matrix: str) -> keras.KerasTensor:
    """A fixed linear map of ``x``'s height (axis 1) or width (axis 2): that axis moved
    last, multiplied by a non-trainable ``Dense`` named ``matrix`` (its 0/1 matrix is set
    after the model is built), and moved back. Products with exact 0s and 1s are exact."""
    order, axis_name = ((1, 3, 2), "width") if axis == 2 else ((3, 2, 1), "height")
    x = layers.Permute(order, name=f"{name}_{axis_name}_last")(x)
    x = layers.Dense(x.shape[-1], use_bias=False, trainable=False, name=matrix)(x)
    return layers.Permute(order, name=f"{name}_{axis_name}_back")(x)


def mirror(x: keras.KerasTensor, name: str = "mirror") -> keras.KerasTensor:
    """``x`` (batch, height, width, channels) flipped left to right, in stock layers."""
    return _along(x, 2, name, f"{name}_reverse")


def moved(x: keras.KerasTensor, name: str) -> keras.KerasTensor:
    """``x`` moved one pixel along both axes, its edge reflected into the gap."""
    return _along(_along(x, 1, name, f"{name}_rows_matrix"), 2, name,
                  f"{name}_columns_matrix")


def reversal(size: int) -> np.ndarray:
    """The matrix that reverses an axis (x @ it: x[::-1])."""
    return np.eye(size, dtype="float32")[::-1]


def shift(size: int, by: int) -> np.ndarray:
    """The matrix that moves an axis by ``by`` = ±1 with reflection (x @ it: out[i] =
    x[i - by], and out[0] = x[1] or out[-1] = x[-2] at the edge that opens up)."""
    source = np.abs(np.arange(size) - by)  # reflection at 0
    source = np.where(source > size - 1, 2 * (size - 1) - source, source)  # and at the end
    matrix = np.zeros((size, size), dtype="float32")
    matrix[source, np.arange(size)] = 1
    return matrix


def averaged_ensemble(members: Sequence[keras.Model], name: str, mirrored: bool = True,
                      moved_too: bool = False) -> keras.Model:
    """One model whose output is the mean of ``members``' outputs (each a probability
    distribution), over the image and, when ``mirrored``, its mirror image too.

    ``moved_too`` (airbench's test-time translation): the views above weigh half, and the
    other half is the same average over the image moved one pixel down-right and one
    pixel up-left (edges reflected)."""
    names = [member.name for member in members]
    if len(set(names)) != len(names):
        raise ValueError(f"the members need distinct names, got {names}")
    inputs = keras.Input(members[0].input_shape[1:], name="input")

    def average_over(image: keras.KerasTensor, name: str) -> keras.KerasTensor:
        views = [image, mirror(image, f"{name}mirror")] if mirrored else [image]
        outputs = [member(view) for member in members for view in views]
        return outputs[0] if len(outputs) == 1 else layers.Average(name=f"{name}average")(
            outputs)

    average = average_over(inputs, "")
    matrices = {}
    if moved_too:
        averages = [average_over(moved(inputs, MOVES[by]), f"{MOVES[by]}_") for by in MOVES]
        average = layers.Average(name="average_moved")([
            average, layers.Average(name="moved_average")(averages)])
        for by, move in MOVES.items():
            for axis, size in (("rows", inputs.shape[1]), ("columns", inputs.shape[2])):
                matrices[f"{move}_{axis}_matrix"] = shift(size, by)
    model = keras.Model(inputs, average, name=name)
    for layer in model.layers:
        if layer.name.endswith("mirror_reverse"):
            layer.set_weights([reversal(layer.kernel.shape[0])])
        elif layer.name in matrices:
            layer.set_weights([matrices[layer.name]])
    return model


def mirror_averaged(model: keras.Model) -> bool:
    """Whether ``model`` (an ``averaged_ensemble``) averages each image with its mirror."""
    return any(layer.name.endswith("mirror_reverse") for layer in model.layers)
