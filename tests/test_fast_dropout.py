"""The 16-bit Dropout drops at the layer's rate and keeps every activation's expectation."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from common.layers.fast_dropout import LEVELS, FastDropout, drop_threshold, fast_kernel_available

pytestmark = pytest.mark.skipif(not fast_kernel_available(),
                                reason="the 16-bit draw is written with TensorFlow ops")
ONES = np.ones((64, 30, 30, 32), np.float32)  # exp01's first Dropout, batch 64: 1.8M draws


def train_call(layer: keras.layers.Dropout, x: np.ndarray,
               dtype: str = "float32") -> tuple[np.ndarray, np.ndarray]:
    """A training call's output and the gradient of its sum with respect to the input."""
    import tensorflow as tf

    xt = tf.cast(tf.constant(x), dtype)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = layer(xt, training=True)
        total = tf.reduce_sum(tf.cast(out, tf.float32))
    return (tf.cast(out, tf.float32).numpy(),
            tf.cast(tape.gradient(total, xt), tf.float32).numpy())


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_drops_at_the_rate_and_scales_the_rest_to_keep_the_mean(dtype: str) -> None:
    policy = "mixed_bfloat16" if dtype == "bfloat16" else "float32"  # computes in dtype
    out, grad = train_call(FastDropout(0.2, seed=1, dtype=policy), ONES, dtype=dtype)
    threshold = drop_threshold(0.2)
    assert threshold == 13107  # drop probability 0.199997
    kept = out != 0
    # 1.8M draws: the dropped share lies within 0.001 of 0.2 (about 3.4 standard deviations)
    assert abs(1 - kept.mean() - threshold / LEVELS) < 1e-3
    scale = LEVELS / (LEVELS - threshold)
    np.testing.assert_allclose(out[kept], scale, rtol=1e-2 if dtype == "bfloat16" else 1e-6)
    np.testing.assert_array_equal(grad, out)  # d(sum)/dx: the same mask and scale
    assert abs(out.mean() - 1) < 3e-3


def test_masks_differ_between_calls_and_repeat_from_the_same_seed_state() -> None:
    layer = FastDropout(0.5, seed=7)
    first, _ = train_call(layer, ONES[:4])
    second, _ = train_call(layer, ONES[:4])
    assert (first != second).mean() > 0.4  # the seed stream advanced
    again, _ = train_call(FastDropout(0.5, seed=7), ONES[:4])
    np.testing.assert_array_equal(again, first)
    keras_own, _ = train_call(keras.layers.Dropout(0.5, seed=7), ONES[:4])
    assert (keras_own != first).mean() > 0.4  # another draw than Keras' own


def test_inference_and_unsupported_cases_are_keras_own() -> None:
    x = np.random.default_rng(0).random((8, 5, 5, 4), dtype=np.float32)
    np.testing.assert_array_equal(FastDropout(0.2)(x, training=False), x)
    # noise_shape: one mask per image, broadcast over pixels and channels, as in Keras
    out, _ = train_call(FastDropout(0.5, noise_shape=(8, 1, 1, 1), seed=3), x)
    per_image = (out == 0).reshape(8, -1)
    assert (per_image.all(axis=1) | ~per_image.any(axis=1)).all()
    # a rate below half a 16-bit step would round to no dropout at all: Keras draws it
    np.testing.assert_array_equal(train_call(FastDropout(1e-6, seed=0), ONES)[0],
                                  train_call(keras.layers.Dropout(1e-6, seed=0), ONES)[0])


def test_it_is_a_dropout_with_the_same_config() -> None:
    layer = FastDropout(0.3, seed=5, name="d")
    assert isinstance(layer, keras.layers.Dropout)
    assert layer.get_config() == keras.layers.Dropout(0.3, seed=5, name="d").get_config()
