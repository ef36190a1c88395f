"""VGG's idea: stacks of 3x3 convolutions, each stack ending in a 2x2 max pool.

Two 3x3 layers see what one 5x5 sees with 28% fewer weights and one more ReLU between. This
is step 4's network, unchanged (32-64-128 filters, conv -> BatchNormalization -> ReLU, 2-2-3
convolutions, Flatten, softmax): the architecture the others are measured against.
"""

import keras

from experiments.exp03_deeper_l2.model import build_model as build_exp03


def build_model() -> keras.Model:
    return build_exp03(name="arch01_vgg", dropouts=(0.0, 0.0, 0.0))
