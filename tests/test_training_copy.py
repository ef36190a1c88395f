"""The copies made for training and inference: same values, other precision, faster layers,
and the stock model left as it was."""

from __future__ import annotations

import keras
import numpy as np

from common.layers.fast_dropout import FastDropout
from common.layers.fused_batchnorm import FusedBatchNormalization, fused_kernel_available
from common.models.training_copy import inference_copy, training_copy
from experiments.exp01_baseline.model import build_model as build_exp01
from experiments.exp02_batchnorm.model import build_model as build_exp02
from experiments.exp03_deeper_l2.model import build_model as build_exp03

FAST = fused_kernel_available()  # the speed-up layers run on TensorFlow only


def values(model: keras.Model) -> list[np.ndarray]:
    """Every variable: weights, BatchNormalization statistics, Dropout seed states."""
    return [keras.ops.convert_to_numpy(v) for v in model.variables]


def test_training_copy_computes_in_the_policy_with_faster_layers_and_the_same_values() -> None:
    model = build_exp02()
    copy, used = training_copy(model, "mixed_bfloat16")
    assert copy is not model
    # every layer computes in bf16 but the output's softmax (Keras' mixed-precision rule)
    assert {layer.compute_dtype for layer in copy.layers[1:-1]} == {"bfloat16"}
    assert copy.layers[-1].name == "output" and copy.layers[-1].compute_dtype == "float32"
    assert all(layer.compute_dtype == "float32" for layer in model.layers)  # left alone
    kinds = {type(layer) for layer in copy.layers}
    assert (FusedBatchNormalization in kinds and FastDropout in kinds) == FAST
    assert used == ({"batchnorm": "fused", "dropout": "16-bit"} if FAST
                    else {"batchnorm": "keras", "dropout": "keras"})
    assert len(values(copy)) == len(values(model))
    for mine, theirs in zip(values(copy), values(model), strict=True):
        np.testing.assert_array_equal(mine, theirs)  # seed states included
    assert not any(isinstance(layer, (FusedBatchNormalization, FastDropout))
                   for layer in model.layers)


def test_training_copy_can_keep_keras_layers_and_says_which_ran() -> None:
    copy, used = training_copy(build_exp02(), fused_bn=False, fast_dropout=False)
    assert not any(isinstance(layer, (FusedBatchNormalization, FastDropout))
                   for layer in copy.layers)
    assert used == {"batchnorm": "keras", "dropout": "keras"}
    assert training_copy(build_exp01())[1]["batchnorm"] == "none"  # exp01 has none


def test_trained_values_go_back_into_the_stock_model() -> None:
    model = build_exp03()
    copy, _ = training_copy(model)
    copy.set_weights([w + 1 for w in copy.get_weights()])
    model.set_weights(copy.get_weights())
    x = np.random.default_rng(0).random((4, 32, 32, 3), dtype=np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), copy.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_float32_inference_without_batchnorm_is_the_model_itself() -> None:
    model = build_exp01()
    assert inference_copy(model, "float32") is model


def test_bfloat16_inference_copy_has_the_same_weights_and_a_float32_output() -> None:
    model = build_exp03()
    twin = inference_copy(model, "mixed_bfloat16")
    assert twin is not model and twin.count_params() == model.count_params()
    assert twin.get_layer("block1_conv1").compute_dtype == "bfloat16"
    assert twin.get_layer("output").compute_dtype == "float32"
    for mine, theirs in zip(twin.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)

    x = keras.random.uniform((64, 32, 32, 3), seed=0)  # [0, 1] float32 in, as for the .h5
    fast, exact = twin.predict(x, verbose=0), model.predict(x, verbose=0)
    assert fast.dtype == np.float32 and fast.shape == exact.shape == (64, 10)
    np.testing.assert_allclose(fast, exact, atol=0.05)
    assert not np.array_equal(fast, exact)  # it did compute in bf16


def test_a_sequential_model_gets_a_copy_too() -> None:  # what a user's exp05 might build
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3),
                              keras.layers.Flatten(), keras.layers.Dense(10)])
    twin = inference_copy(model, "mixed_bfloat16")
    assert isinstance(twin, keras.Sequential)
    assert [layer.compute_dtype for layer in twin.layers] == ["bfloat16", "bfloat16", "float32"]
    np.testing.assert_allclose(twin.predict(np.ones((2, 32, 32, 3)), verbose=0),
                               model.predict(np.ones((2, 32, 32, 3)), verbose=0), atol=0.1)
