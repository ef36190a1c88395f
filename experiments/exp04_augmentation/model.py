"""Step 4 - exp03's network; the new idea is in the training data (train.py).

Augmentation now does most of the regularizing, so dropout stays only in the last block:
with exp03's full dropout (0.2/0.3/0.4) on top of augmentation, a 35-epoch run underfit
(training accuracy 84.9%, test 84.41%; results/exp04_augmentation/train-20261122-210920-*).
"""

import keras

from experiments.exp03_deeper_l2.model import build_model as build_exp03


def build_model() -> keras.Model:
    return build_exp03(name="exp04_augmentation", dropouts=(0.0, 0.0, 0.2))
