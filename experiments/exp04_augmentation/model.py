"""Step 4 - exp03's network, dropout included; the new idea is in the training data (train.py).

Dropout history: exp03's 0.2/0.3/0.4 with augmentation underfit at 35 epochs (training
84.9%, test 84.41%), so block-3-only dropout (0.2) was tried: 86.63% at 50 epochs and
86.87% at 100, but with training accuracy 96% against 87% validation - overfitting. At
100 epochs exp03's full dropout is back.
"""

import keras

from experiments.exp03_deeper_l2.model import build_model as build_exp03


def build_model() -> keras.Model:
    return build_exp03(name="exp04_augmentation")
