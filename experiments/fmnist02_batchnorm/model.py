"""Fashion-MNIST step 2 - the slides' CNN with BatchNormalization after each convolution.

Each convolution becomes conv (no bias: BatchNormalization's shift replaces it) ->
BatchNormalization -> ReLU, as in exp03; everything else is fmnist01's network.
"""

import keras
from keras import layers


def build_model(input_shape: tuple[int, int, int] = (28, 28, 1),
                num_classes: int = 10) -> keras.Model:
    def conv_bn_relu(x: keras.KerasTensor, filters: int, name: str) -> keras.KerasTensor:
        x = layers.Conv2D(filters, 2, padding="same", use_bias=False, name=name)(x)
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
        return layers.Activation("relu", name=f"{name}_relu")(x)

    inputs = keras.Input(shape=input_shape, name="input")
    x = conv_bn_relu(inputs, 64, "conv1")
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Dropout(0.3, name="dropout_1")(x)
    x = conv_bn_relu(x, 32, "conv2")
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Dropout(0.3, name="dropout_2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(256, activation="relu", name="dense")(x)
    x = layers.Dropout(0.5, name="dropout_3")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="fmnist02_batchnorm")
