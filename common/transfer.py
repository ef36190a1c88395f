"""Transfer learning: a network starts from the layers another experiment trained.

A recipe's ``initialize`` (``Settings.initialize``) given as
``functools.partial(reuse_features, source="transfer01_animals", train_from=...)`` copies
every layer but the new classifier from the source's saved .h5 (matched by name) and
freezes them: all of them (a feature extractor under a new classifier), or those before
``train_from`` (fine-tuning the last layers). Frozen BatchNormalization layers keep the
source's statistics (Keras runs a non-trainable one in inference mode).
"""

from __future__ import annotations

import keras
import numpy as np

from common.errors import ModelFileError
from common.model_io import load_h5
from common.paths import MODELS_DIR

SOURCE_DIR = MODELS_DIR  # where the source experiments' .h5 files are


def reuse_features(network: keras.Model, images: np.ndarray, source: str,
                   head: str = "output", train_from: str | None = None) -> None:
    """Copy ``source``'s trained layers into ``network`` (all but ``head``) and freeze
    them; with ``train_from``, that layer and those after it stay trainable. ``images``
    (the training images ``initialize`` gets) are not needed."""
    del images
    trained = load_h5(SOURCE_DIR / f"{source}.h5", f"python -m experiments.{source}.train")
    names = [layer.name for layer in network.layers]
    for name in (head, train_from):
        if name is not None and name not in names:
            raise ValueError(f"{network.name} has no layer {name!r}")
    frozen = True
    for layer in network.layers:
        if layer.name == head:
            break
        frozen = frozen and layer.name != train_from
        if layer.weights:
            try:
                layer.set_weights(trained.get_layer(layer.name).get_weights())
            except ValueError as err:  # no such layer, or other shapes
                raise ModelFileError(f"{source}.h5 does not fit {network.name}'s layer "
                                     f"{layer.name} ({err}); retrain it: python -m "
                                     f"experiments.{source}.train") from None
        layer.trainable = not frozen
