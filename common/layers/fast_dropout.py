"""Dropout with half the random numbers: one 32-bit draw decides two activations.

Keras' Dropout draws one float per activation with TensorFlow's Philox generator; on these
2-core CPUs that draw is most of what Dropout costs, and exp01 has a Dropout after its
first convolution (28,800 activations per image). With half the draws exp01 trains at
4,072 instead of 3,470 images/s (results/bench/sweep-20261124-000948.json).
Here each activation gets 16 random bits instead, compared with rate x 2^16: the drop
probability is round(rate x 2^16) / 2^16 (0.2 -> 0.199997) and the kept activations are
scaled by its exact inverse, so every activation's expected value is unchanged, as in
Keras. Measured: ``python -m common.bench --sweep --dropouts keras fast`` (results/bench/).

``FastDropout`` is a subclass with the same config and seed stream; it replaces the stock
layer only in the copy made for training (``common.models.training_copy``), so the saved .h5
stays stock Keras. A ``noise_shape`` and rates too close to 0 or 1 for 16 bits fall back
to Keras' own draw.
"""

from __future__ import annotations

import keras

BITS = 16
LEVELS = 2**BITS


def fast_kernel_available() -> bool:
    """Whether the 16-bit draw can be used here (the TensorFlow backend)."""
    return keras.backend.backend() == "tensorflow"


def drop_threshold(rate: float) -> int:
    """16-bit draws below this are dropped: drop probability threshold / 2^16."""
    return round(rate * LEVELS)


class FastDropout(keras.layers.Dropout):
    """``keras.layers.Dropout`` drawing 16 random bits per activation (TensorFlow)."""

    def call(self, inputs, training=False):
        threshold = drop_threshold(self.rate)
        if (not (training and 0 < threshold < LEVELS) or self.noise_shape is not None
                or not fast_kernel_available()):
            return super().call(inputs, training=training)
        import tensorflow as tf  # only reached on the TensorFlow backend

        # The layer's own seed stream, as Keras draws it, so (seed, epoch) fix the masks.
        seed = tf.cast(tf.math.floormod(tf.cast(self.seed_generator.next(), tf.int64),
                                        tf.int32.max - 1), tf.int32)
        count = tf.size(inputs)
        words = tf.random.stateless_uniform([(count + 1) // 2], seed=seed, minval=None,
                                            maxval=None, dtype=tf.int32)
        halves = tf.reshape(tf.bitcast(words, tf.uint16), [-1])[:count]
        keep = tf.reshape(halves >= tf.constant(threshold, tf.uint16), tf.shape(inputs))
        scale = tf.constant(LEVELS / (LEVELS - threshold), inputs.dtype)
        return tf.where(keep, inputs * scale, tf.zeros_like(inputs))
