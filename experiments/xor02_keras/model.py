"""xor01's network in Keras: Dense(2, sigmoid) -> Dense(1, sigmoid), 9 weights.

What xor01 writes out by hand (the forward pass, the chain rule, the update), Keras does
from these two lines: the layers, then ``fit`` with SGD on the binary cross-entropy.
"""

import keras
from keras import layers


def build_model(inputs: int = 2, hidden: int = 2) -> keras.Model:
    return keras.Sequential([keras.Input((inputs,), name="input"),
                             layers.Dense(hidden, activation="sigmoid", name="hidden"),
                             layers.Dense(1, activation="sigmoid", name="output")],
                            name="xor02_keras")
