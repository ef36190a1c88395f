"""The optimizers a recipe names: weight decay on kernels only, unless the recipe says more."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from common.layers.optim import make_optimizer


@pytest.mark.parametrize("name", ["adam", "sgd"])
def test_weight_decay_shrinks_kernels_but_not_biases_or_batchnorm(name: str) -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization(),
                              keras.layers.Dense(2, bias_initializer="ones")])
    before = {v.path: keras.ops.convert_to_numpy(v.value) for v in model.trainable_variables}
    optimizer = make_optimizer(name, 0.1, weight_decay=1.0)
    zeros = [keras.ops.zeros_like(v.value) for v in model.trainable_variables]
    # zero gradients: Adam and momentum stay still, only the decay moves the weights
    optimizer.apply_gradients(zip(zeros, model.trainable_variables, strict=True))
    for v in model.trainable_variables:
        after = keras.ops.convert_to_numpy(v.value)
        shrink = 0.9 if v.name == "kernel" else 1.0  # 1 - lr x weight_decay
        np.testing.assert_allclose(after, before[v.path] * shrink, rtol=1e-6, err_msg=v.path)


def test_a_recipe_can_decay_batchnorm_shifts_too() -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization(scale=False,
                              beta_initializer="ones"), keras.layers.Dense(2, use_bias=False)])
    optimizer = make_optimizer("sgd", 0.1, weight_decay=1.0, not_decayed=())
    zeros = [keras.ops.zeros_like(v.value) for v in model.trainable_variables]
    optimizer.apply_gradients(zip(zeros, model.trainable_variables, strict=True))
    beta = model.layers[0].beta
    np.testing.assert_allclose(keras.ops.convert_to_numpy(beta.value), 0.9, rtol=1e-6)

