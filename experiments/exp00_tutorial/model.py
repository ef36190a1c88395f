"""Step 0 - the PyTorch CIFAR-10 tutorial network (docs/recipes.md), 62,006 parameters.

conv 6@5x5 -> max-pool -> conv 16@5x5 -> max-pool -> Dense 120 -> 84 -> 10, ReLU between,
as in the tutorial; a softmax output so the saved .h5 gives probabilities like the others.
The tutorial's ``Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))`` is the first layer: the
network sees pixels in [-1, 1], and the .h5 takes [0, 1] like every step. Each layer starts
as PyTorch starts it (``torch_default``), not with Keras' Glorot-uniform and zero biases.
"""

import keras
from keras import layers


def torch_default(fan_in: int) -> dict:
    """PyTorch's default start for Conv2d and Linear: weights and biases uniform in
    ±1/√fan_in (its kaiming_uniform with a=√5)."""
    bound = fan_in ** -0.5
    return {"kernel_initializer": keras.initializers.VarianceScaling(1 / 3, "fan_in", "uniform"),
            "bias_initializer": keras.initializers.RandomUniform(-bound, bound)}


def build_model(input_shape: tuple[int, int, int] = (32, 32, 3),
                num_classes: int = 10) -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Rescaling(2.0, offset=-1.0, name="normalize")(inputs)  # (x - 0.5) / 0.5
    x = layers.Conv2D(6, 5, activation="relu", name="conv1",
                      **torch_default(5 * 5 * x.shape[-1]))(x)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(16, 5, activation="relu", name="conv2",
                      **torch_default(5 * 5 * x.shape[-1]))(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(120, activation="relu", name="fc1", **torch_default(x.shape[-1]))(x)
    x = layers.Dense(84, activation="relu", name="fc2", **torch_default(x.shape[-1]))(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output",
                           **torch_default(x.shape[-1]))(x)
    return keras.Model(inputs, outputs, name="exp00_tutorial")
