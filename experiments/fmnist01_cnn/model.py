"""Fashion-MNIST - the slides' "Hello World of CNNs": 412,778 parameters (docs/recipes.md)."""

import keras
from keras import layers


def build_model(input_shape: tuple[int, int, int] = (28, 28, 1),
                num_classes: int = 10) -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Conv2D(64, 2, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Dropout(0.3, name="dropout_1")(x)
    x = layers.Conv2D(32, 2, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Dropout(0.3, name="dropout_2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(256, activation="relu", name="dense")(x)
    x = layers.Dropout(0.5, name="dropout_3")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="fmnist01_cnn")
