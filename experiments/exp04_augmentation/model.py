"""Step 4 - exp03's network; the new idea is in the training data (train.py).

Augmentation, random erasing included, does the regularizing, so there is no dropout:
exp03's dropout on top of augmentation underfit (the runs are in this folder's README).
"""

import keras

from experiments.exp03_deeper_l2.model import build_model as build_exp03


def build_model() -> keras.Model:
    return build_exp03(name="exp04_augmentation", dropouts=(0.0, 0.0, 0.0))
