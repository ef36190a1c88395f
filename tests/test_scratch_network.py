"""A training step shared among the cores: each part of the batch through the whole network
on a copy of the layers, the parts' gradients added up - the whole batch's gradient."""

from __future__ import annotations

import numpy as np
import pytest

from common.scratch.layers import Dropout
from common.scratch.models import mlp
from experiments.scratch04_simple_convnet.model import build_model as simple_convnet
from experiments.scratch05_deep_convnet.model import build_model as deep_convnet


def batch(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((count, 28, 28, 1)), rng.integers(0, 10, count)


def seeded(network, seed: int):
    """Dropout seeded as the training loop seeds it each epoch."""
    for index, layer in enumerate(network.layers):
        if isinstance(layer, Dropout):
            layer.rng = np.random.default_rng([seed, 0, 1, index])
    return network


def test_a_step_in_parts_is_the_whole_batchs_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    x, labels = batch(7)
    monkeypatch.setattr("common.scratch.network.CORES", 1)
    whole = simple_convnet(seed=0).astype(np.float64)
    assert whole.parts(7) == [slice(0, 7)]
    whole_loss = whole.gradient(x, labels)
    monkeypatch.setattr("common.scratch.network.CORES", 3)
    shared = simple_convnet(seed=0).astype(np.float64)
    assert shared.parts(7) == [slice(0, 3), slice(3, 6), slice(6, 7)]  # uneven parts too
    for _ in range(2):  # the copies' second step, on what their first left
        assert shared.gradient(x, labels) == pytest.approx(whole_loss, rel=1e-12)
        assert shared.grads.keys() == whole.grads.keys()
        for key, grad in whole.grads.items():
            np.testing.assert_allclose(shared.grads[key], grad, rtol=1e-10, atol=1e-12,
                                       err_msg=key)


def test_the_copies_take_the_weights_the_network_has_now(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("common.scratch.network.CORES", 2)
    x, labels = batch(4)
    network = simple_convnet(seed=0)
    network.gradient(x, labels)
    assert np.abs(network.grads["affine1/W"]).max() > 0
    for layer in network.layers:  # every weight replaced by a new array (as astype does)
        layer.params = {key: np.zeros_like(p) for key, p in layer.params.items()}
    network.gradient(x, labels)
    assert not network.grads["affine1/W"].any()  # affine2's weights are zero now


def test_batch_normalization_keeps_the_batch_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("common.scratch.network.CORES", 2)
    assert mlp(batchnorm=True).parts(10) == [slice(0, 10)]  # its statistics are the batch's
    assert mlp().parts(10) == [slice(0, 5), slice(5, 10)]
    assert mlp().parts(1) == [slice(0, 1)]


def test_dropout_masks_follow_the_seed_and_differ_between_parts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("common.scratch.network.CORES", 2)
    x, labels = batch(20)
    x = x.astype(np.float32)
    first, again, other = (seeded(deep_convnet(seed=3), s) for s in (0, 0, 1))
    for network in (first, again, other):
        network.gradient(x, labels)
    for key, grad in first.grads.items():
        np.testing.assert_array_equal(again.grads[key], grad, err_msg=key)
    assert not np.array_equal(other.grads["affine1/W"], first.grads["affine1/W"])
    dropout = next(i for i, layer in enumerate(first.layers) if isinstance(layer, Dropout))
    masks = [copy.layers[dropout].scale for copy in first._copies]
    assert len(masks) == 2 and not np.array_equal(*masks)  # not one mask twice
