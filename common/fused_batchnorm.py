"""Run BatchNormalization with TensorFlow's fused kernel instead of Keras 3's generic ops.

Keras 3's BatchNormalization upcasts bfloat16 activations to float32 and computes the
batch statistics with generic reductions. On a CPU with bf16 matrix units that bookkeeping
costs more than the convolutions: exp03's network trains about 1.9x faster with
TensorFlow's FusedBatchNormV3 (oneDNN; float32 statistics, bf16 in and out).
Measured: ``python -m common.bench --sweep --batchnorms keras fused`` (results/bench/).
In inference TensorFlow can then fold it into the convolution before it.

The layer's ``call`` is swapped only inside the ``with`` block, so the layers, their
weights and the saved .h5 stay stock Keras: plain ``keras.models.load_model`` reads them.
Other backends, masks, renorm or a channel axis other than the last fall back to Keras'
own code."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import keras
from keras import ops

_keras_call = keras.layers.BatchNormalization.call


def fused_kernel_available() -> bool:
    """Whether the fused kernel can be used here (the TensorFlow backend)."""
    return keras.backend.backend() == "tensorflow"


@contextlib.contextmanager
def fused_batchnorm(enabled: bool = True) -> Iterator[bool]:
    """While active, BatchNormalization layers that are traced use the fused kernel.

    Yields whether the fused kernel is in use. Wrap ``model.fit`` or ``model.predict``:
    their first step traces the function, and the traced graph keeps the fused kernel.
    """
    with swapped_call(keras.layers.BatchNormalization, _fused_call,
                      enabled and fused_kernel_available()) as swapped:
        yield swapped


@contextlib.contextmanager
def swapped_call(layer_class: type[keras.layers.Layer], call: Callable,
                 enabled: bool = True) -> Iterator[bool]:
    """While active, and if ``enabled``, ``layer_class.call`` is ``call``; yields whether.

    Layers traced meanwhile keep ``call`` in their graph; the class gets its own back after.
    """
    if not enabled:
        yield False
        return
    original = layer_class.call
    layer_class.call = call
    try:
        yield True
    finally:
        layer_class.call = original


def _fused_call(self: keras.layers.BatchNormalization, inputs, training=None, mask=None):
    if not _supported(self, inputs, mask):
        return _keras_call(self, inputs, training=training, mask=mask)
    import tensorflow as tf  # only reached on the TensorFlow backend

    channels = inputs.shape[-1]
    gamma = ops.cast(self.gamma, "float32") if self.scale else tf.ones([channels])
    beta = ops.cast(self.beta, "float32") if self.center else tf.zeros([channels])
    learning = bool(training and self.trainable)
    empty = tf.constant([], tf.float32)  # training: the kernel computes the batch's own
    outputs, mean, variance, *_ = tf.raw_ops.FusedBatchNormV3(
        x=inputs, scale=gamma, offset=beta,
        mean=empty if learning else self.moving_mean.value,
        variance=empty if learning else self.moving_variance.value,
        epsilon=self.epsilon, exponential_avg_factor=1.0, data_format="NHWC",
        is_training=learning)
    if learning:
        # The kernel returns the unbiased (n - 1) variance; Keras keeps the biased one.
        count = tf.cast(tf.size(inputs) // channels, tf.float32)
        variance = variance * (count - 1.0) / tf.maximum(count, 1.0)
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(self.moving_variance * self.momentum
                                    + variance * (1.0 - self.momentum))
    return ops.cast(outputs, self.compute_dtype)


def _supported(layer: keras.layers.BatchNormalization, inputs, mask) -> bool:
    dtype = keras.backend.standardize_dtype(inputs.dtype)
    return (mask is None and not layer.renorm and not layer.synchronized
            and len(inputs.shape) == 4 and layer.axis in (-1, 3)
            and dtype in ("float32", "bfloat16", "float16")
            and layer.moving_mean.dtype == "float32")
