"""Transfer learning: a network starts from the layers another experiment trained.

A recipe's ``initialize`` (``Settings.initialize``) given as
``functools.partial(reuse_features, source="transfer01_animals", train_from=...)`` copies
every layer but the new classifier from the source's saved .h5 (matched by name) and
freezes them: all of them (a feature extractor under a new classifier), or those before
``train_from`` (fine-tuning the last layers). Frozen BatchNormalization layers keep the
source's statistics (Keras runs a non-trainable one in inference mode).

``imagenet_features`` does the same with a Keras Applications network's ImageNet weights
(downloaded once by Keras) for a network whose nested ``backbone`` is that application.
"""

from __future__ import annotations

import keras
import numpy as np

from common.basics.errors import ModelFileError
from common.basics.paths import MODELS_DIR
from common.records.model_io import load_h5

SOURCE_DIR = MODELS_DIR  # where the source experiments' .h5 files are
IMAGENET_WEIGHTS: str | None = "imagenet"  # the tests set None: no download, same flow


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


def imagenet_features(network: keras.Model, images: np.ndarray, application: str,
                      backbone: str = "backbone") -> None:
    """Copy Keras Applications' ``application`` (e.g. "MobileNetV2") ImageNet weights into
    ``network``'s nested ``backbone`` layer and freeze it."""
    del images
    nested = network.get_layer(backbone)
    try:
        trained = getattr(keras.applications, application)(
            input_shape=nested.input.shape[1:], include_top=False, weights=IMAGENET_WEIGHTS,
            pooling="avg")
    except Exception as err:  # offline: Keras' download raises a plain Exception
        raise ModelFileError(f"the ImageNet weights of {application} could not be had "
                             f"({err}); they need internet once (Keras keeps them in "
                             "~/.keras/models)") from None
    nested.set_weights(trained.get_weights())
    nested.trainable = False
