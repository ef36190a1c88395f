"""MNIST - the VGG-style network of the deep-learning deck, 123,552 parameters.

3x3 convolutions of 16, 16, 32, 32, 64, 64 filters with ReLU and He initialisation, a 2x2
max-pool after each pair, then Dense 50 -> ReLU -> Dropout 0.5 -> Dense 10. The slides pad
every convolution by 1 and the fourth by 2; here that is "same" padding, and zero-padding 2
before a "valid" fourth convolution, so the last pool gives 4x4x64 = 1,024 features, as the
slides' ``64*4*4``.
"""

import keras
from keras import layers


def build_model(input_shape: tuple[int, int, int] = (28, 28, 1),
                num_classes: int = 10) -> keras.Model:
    def conv(filters: int, name: str, padding: str = "same") -> layers.Conv2D:
        return layers.Conv2D(filters, 3, padding=padding, activation="relu",
                             kernel_initializer="he_normal", name=name)

    inputs = keras.Input(shape=input_shape, name="input")
    x = conv(16, "conv1")(inputs)
    x = conv(16, "conv2")(x)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = conv(32, "conv3")(x)
    x = layers.ZeroPadding2D(2, name="pad4")(x)
    x = conv(32, "conv4", padding="valid")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = conv(64, "conv5")(x)
    x = conv(64, "conv6")(x)
    x = layers.MaxPooling2D(2, name="pool3")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(50, activation="relu", kernel_initializer="he_normal", name="dense")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="mnist02_vgg")
