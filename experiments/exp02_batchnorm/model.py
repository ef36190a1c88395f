"""Step 2 - the baseline plus BatchNormalization before each convolution (recipes.md)."""

import keras
from keras import layers


def build_model() -> keras.Model:
    inputs = keras.Input(shape=(32, 32, 3), name="input")
    x = layers.BatchNormalization(name="bn_input")(inputs)
    x = layers.Conv2D(32, 3, padding="valid", activation="relu", name="conv1")(x)
    x = layers.Dropout(0.2, name="dropout_1")(x)
    x = layers.BatchNormalization(name="bn_conv2")(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.BatchNormalization(name="bn_conv3")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv3")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.2, name="dropout_2")(x)
    x = layers.Dense(512, activation="relu", name="poolhidden")(x)
    x = layers.Dropout(0.2, name="dropout_3")(x)
    outputs = layers.Dense(10, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="exp02_batchnorm")
