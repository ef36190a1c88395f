"""BatchNormalization computed by TensorFlow's fused kernel instead of Keras 3's generic ops.

Keras 3's BatchNormalization upcasts bfloat16 activations to float32 and computes the
batch statistics with generic reductions. On a CPU with bf16 matrix units that bookkeeping
costs more than the convolutions: exp03's network trains about 1.9x faster with
TensorFlow's FusedBatchNormV3 (oneDNN; float32 statistics, bf16 in and out).
Measured: ``python -m common.bench --sweep --batchnorms keras fused`` (results/bench/).
In inference TensorFlow can then fold it into the convolution before it.

``FusedBatchNormalization`` is a subclass with the same weights and config; it replaces
the stock layer only in the copies made for training and evaluation
(``common.models.training_copy``), so the saved .h5 stays stock Keras. Masks, renorm or a
channel axis other than the last fall back to Keras' own code.
"""

from __future__ import annotations

import keras
from keras import ops


def fused_kernel_available() -> bool:
    """Whether the fused kernel can be used here (the TensorFlow backend)."""
    return keras.backend.backend() == "tensorflow"


class FusedBatchNormalization(keras.layers.BatchNormalization):
    """``keras.layers.BatchNormalization`` on TensorFlow's FusedBatchNormV3 kernel."""

    def call(self, inputs, training=None, mask=None):
        if not self._fusable(inputs, mask):
            return super().call(inputs, training=training, mask=mask)
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
            self.moving_mean.assign(self.moving_mean * self.momentum
                                    + mean * (1.0 - self.momentum))
            self.moving_variance.assign(self.moving_variance * self.momentum
                                        + variance * (1.0 - self.momentum))
        return ops.cast(outputs, self.compute_dtype)

    def _fusable(self, inputs, mask) -> bool:
        dtype = keras.backend.standardize_dtype(inputs.dtype)
        return (fused_kernel_available() and mask is None and not self.renorm
                and not self.synchronized and len(inputs.shape) == 4 and self.axis in (-1, 3)
                and dtype in ("float32", "bfloat16", "float16")
                and self.moving_mean.dtype == "float32")
