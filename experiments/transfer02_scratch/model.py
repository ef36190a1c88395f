"""transfer01's network for the four vehicle classes, trained from scratch.

Random weights; every layer learns from the few labels (train.py).
Same layers and names as transfer01_animals, and a 4-way classifier.
"""

import keras

from experiments.transfer01_animals.model import build_model as build_transfer01


def build_model() -> keras.Model:
    return build_transfer01(classes=4, name="transfer02_scratch")
