"""MNIST - LeNet-5 from the architectures deck (LeCun et al. 1998), 61,706 parameters.

Two 5x5 convolutions (6 and 16 maps) each followed by 2x2 pooling, then 120 -> 84 -> 10.
Written the way it is usually trained today: ReLU and max-pooling instead of the paper's
scaled tanh and trainable average pooling, a softmax instead of RBF outputs; the 28x28
digits are padded ("same") in the first convolution where the paper padded them to 32x32.
"""

import keras
from keras import layers


def build_model(input_shape: tuple[int, int, int] = (28, 28, 1),
                num_classes: int = 10) -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Conv2D(6, 5, padding="same", activation="relu", name="c1")(inputs)
    x = layers.MaxPooling2D(2, name="s2")(x)
    x = layers.Conv2D(16, 5, activation="relu", name="c3")(x)
    x = layers.MaxPooling2D(2, name="s4")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(120, activation="relu", name="c5")(x)
    x = layers.Dense(84, activation="relu", name="f6")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="mnist01_lenet5")
