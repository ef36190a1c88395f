"""The network whose features are reused: step 4's, for the six animal classes.

Three VGG blocks (32 -> 64 -> 128 filters) learn the features; Flatten and one Dense
layer classify them. transfer03/04 take everything up to ``flatten`` and put a new
classifier for the four vehicle classes on top.
"""

import keras

from experiments.exp03_deeper_l2.model import build_model as build_exp03


def build_model(classes: int = 6, name: str = "transfer01_animals") -> keras.Model:
    return build_exp03(name=name, dropouts=(0.0, 0.0, 0.0), classes=classes)
