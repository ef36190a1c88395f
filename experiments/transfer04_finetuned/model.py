"""transfer01's network for the four vehicle classes, fine-tuned.

transfer01's layers; its last block and a new classifier learn (train.py).
Same layers and names as transfer01_animals, and a 4-way classifier.
"""

import keras

from experiments.transfer01_animals.model import build_model as build_transfer01


def build_model() -> keras.Model:
    return build_transfer01(classes=4, name="transfer04_finetuned")
