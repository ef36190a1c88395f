"""Step 3 - deeper: three VGG blocks of 32 -> 64 -> 128 filters, L2 on every kernel.

Each block is 3x3 convolutions (conv -> BatchNormalization -> ReLU, keeping step 2's
idea), a 2x2 max-pool and dropout rising with depth. L2 (lambda = 1e-4) adds
lambda * sum(w^2) to the loss so no single weight grows large.
"""

import keras
from keras import layers, regularizers

L2 = 1e-4
# Convolutions per block. The third in block 3 adds capacity where it is cheapest (8x8
# maps: +25% FLOPs, +51% weights); exp04's augmentation left the 2-2-2 network at 93%
# training accuracy, short of exp04's 88% (README).
CONVS = (2, 2, 3)


def build_model(name: str = "exp03_deeper_l2",
                dropouts: tuple[float, float, float] = (0.2, 0.3, 0.4),
                input_shape: tuple[int, int, int] = (32, 32, 3),
                classes: int = 10) -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="input")
    x = inputs
    blocks = zip((32, 64, 128), CONVS, dropouts, strict=True)
    for block, (filters, convs, dropout) in enumerate(blocks, start=1):
        for conv in range(1, convs + 1):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                              kernel_regularizer=regularizers.l2(L2),
                              name=f"block{block}_conv{conv}")(x)
            x = layers.BatchNormalization(name=f"block{block}_bn{conv}")(x)
            x = layers.Activation("relu", name=f"block{block}_relu{conv}")(x)
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"block{block}_dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(classes, activation="softmax", kernel_regularizer=regularizers.l2(L2),
                           name="output")(x)
    return keras.Model(inputs, outputs, name=name)
