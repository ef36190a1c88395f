"""An ImageNet network's features for the four vehicle classes: Keras Applications'
MobileNetV2 (the decks reuse torchvision's ImageNet models the same way).

The 32x32 images are enlarged to 96x96 (the smallest size MobileNetV2's ImageNet weights
come in) and rescaled to [-1, 1], the range those weights were trained on; the backbone
ends in global average pooling (1,280 features) and a new 4-way classifier sits on top.
The weights come from ``initialize`` (train.py), not from here: building the network
downloads nothing.
"""

import keras
from keras import layers

IMAGENET_SIZE = 96


def build_model(input_shape: tuple[int, int, int] = (32, 32, 3), classes: int = 4,
                name: str = "transfer05_imagenet") -> keras.Model:
    backbone = keras.applications.MobileNetV2(
        input_shape=(IMAGENET_SIZE, IMAGENET_SIZE, 3), include_top=False, weights=None,
        pooling="avg", name="backbone")
    inputs = keras.Input(input_shape, name="input")
    x = layers.Resizing(IMAGENET_SIZE, IMAGENET_SIZE, name="enlarge")(inputs)
    x = layers.Rescaling(2.0, offset=-1.0, name="to_imagenet_range")(x)
    x = backbone(x)
    outputs = layers.Dense(classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)
