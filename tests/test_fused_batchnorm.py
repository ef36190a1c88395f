"""The fused BatchNormalization training path computes what Keras' own does."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import load_cifar10

from common.data.datasets import CIFAR10
from common.data.loading import scale
from common.evaluation.evaluate import evaluate
from common.layers.fused_batchnorm import FusedBatchNormalization, fused_kernel_available
from common.models.training_copy import inference_copy
from common.training.train import train_main
from experiments.exp02_batchnorm.model import build_model as build_exp02
from experiments.exp02_batchnorm.train import SETTINGS as EXP02
from tests.conftest import saved_h5

pytestmark = pytest.mark.skipif(not fused_kernel_available(),
                                reason="the fused kernel is TensorFlow's")
X = np.random.default_rng(0).normal(2.0, 3.0, size=(16, 6, 6, 5)).astype(np.float32)


def layer(axis: int = -1, dtype: str = "float32",
          fused: bool = True) -> keras.layers.BatchNormalization:
    kind = FusedBatchNormalization if fused else keras.layers.BatchNormalization
    bn = kind(axis=axis, momentum=0.5, dtype=dtype)
    bn.build(X.shape if axis == -1 else X.transpose(0, 3, 1, 2).shape)
    bn.gamma.assign(np.linspace(0.5, 2.0, X.shape[-1]))
    bn.beta.assign(np.linspace(-1.0, 1.0, X.shape[-1]))
    return bn


def train_step(bn: keras.layers.BatchNormalization, x: np.ndarray = X) -> list:
    """Output, moving statistics and gradients (input, gamma, beta) of one training call."""
    import tensorflow as tf

    xt = tf.constant(x)
    weights = tf.range(1.0, x.shape[-1] + 1.0)  # a loss that weighs the channels unequally
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = tf.cast(bn(xt, training=True), tf.float32)
        loss = tf.reduce_sum(weights * out ** 3)
    grads = tape.gradient(loss, [xt, bn.gamma.value, bn.beta.value])
    return [np.asarray(v, np.float32) for v in
            (out, bn.moving_mean, bn.moving_variance, *grads)]


def test_training_step_matches_keras_batchnormalization() -> None:
    for ours, theirs in zip(train_step(layer()), train_step(layer(fused=False)), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-3)


def test_bfloat16_training_stays_close_to_keras() -> None:
    ours = train_step(layer(dtype="mixed_bfloat16"))
    theirs = train_step(layer(dtype="mixed_bfloat16", fused=False))
    np.testing.assert_allclose(ours[0], theirs[0], atol=0.05)  # bf16 output: ~3 digits
    np.testing.assert_allclose(ours[1:3], theirs[1:3], rtol=1e-3)  # float32 statistics


def test_channels_first_falls_back_to_keras() -> None:
    x = X.transpose(0, 3, 1, 2).copy()
    for ours, theirs in zip(train_step(layer(axis=1), x),
                            train_step(layer(axis=1, fused=False), x), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_inference_matches_keras_and_leaves_the_statistics_alone() -> None:
    bn, stock = layer(), layer(fused=False)
    for norm in (bn, stock):
        norm.moving_mean.assign(np.arange(5.0))
        norm.moving_variance.assign(np.linspace(0.5, 4.0, 5))
    np.testing.assert_allclose(np.asarray(bn(X, training=False)),
                               np.asarray(stock(X, training=False)), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.arange(5.0))  # untouched


def test_it_is_a_batchnormalization_with_the_same_config_and_weights() -> None:
    bn = FusedBatchNormalization(momentum=0.9, name="bn")
    bn.build((None, 4, 4, 3))
    stock = keras.layers.BatchNormalization(momentum=0.9, name="bn")
    stock.build((None, 4, 4, 3))
    assert isinstance(bn, keras.layers.BatchNormalization)
    assert bn.get_config() == stock.get_config()
    assert [w.path for w in bn.weights] == [w.path for w in stock.weights]


def test_trained_batchnorm_model_reloads_as_stock_keras(tmp_path: Path, npz_path: Path) -> None:
    train_main("exp02_batchnorm", build_exp02, EXP02,
               ["--epochs", "1", "--batch-size", "16", "--precision", "mixed_bfloat16",
                "--data", str(npz_path), "--model-dir", str(tmp_path / "models"),
                "--results-dir", str(tmp_path / "results")])
    reloaded = keras.models.load_model(saved_h5(tmp_path / "models", "exp02_batchnorm"))
    norms = [lyr for lyr in reloaded.layers if "BatchNormalization" in type(lyr).__name__]
    assert norms and all(type(lyr) is keras.layers.BatchNormalization for lyr in norms)
    # the moving statistics were updated from the data (Keras starts them at 0 and 1)
    assert not np.allclose(norms[0].moving_mean.numpy(), 0.0)
    data = load_cifar10(str(npz_path))
    plain = keras.models.load_model(saved_h5(tmp_path / "models", "exp02_batchnorm"))
    fused = inference_copy(reloaded, "float32")
    assert any(type(lyr) is FusedBatchNormalization for lyr in fused.layers)
    np.testing.assert_array_equal(
        evaluate(fused, data.x_test, data.y_test, CIFAR10.class_names).predictions,
        plain.predict(scale(data.x_test), verbose=0).argmax(axis=1))
    [record] = (tmp_path / "results" / "exp02_batchnorm").glob("train-*.json")
    assert json.loads(record.read_text())["settings"]["batchnorm"] == "fused"
