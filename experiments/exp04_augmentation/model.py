"""Step 4 - exp03's network unchanged; the new idea is in the training data (train.py)."""

import keras

from experiments.exp03_deeper_l2.model import build_model as build_exp03


def build_model() -> keras.Model:
    return build_exp03(name="exp04_augmentation")
