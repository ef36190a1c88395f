"""Step 7's pieces: the whitening layer, SGD with faster shifts, the network with its
initialisation, and the saved model (the network averaged with its mirror image)."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from common.evaluation.evaluate import evaluate_main
from common.layers.whitening import whitening_weights
from common.training.train import train_main
from experiments.exp07_speedrun.model import build_model, flip_and_moves_averaged, initialize
from experiments.exp07_speedrun.train import SETTINGS
from tests.conftest import run_python, saved_h5


def correlated_images(n: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 12, 12, 3), dtype=np.float32)
    x[..., 1] = 0.7 * x[..., 0] + 0.3 * x[..., 1]  # neighbouring channels move together
    x[:, :, 1:] = 0.5 * x[:, :, 1:] + 0.5 * x[:, :, :-1]  # and neighbouring pixels
    return x


def test_the_whitening_layer_makes_patches_uncorrelated_with_unit_variance() -> None:
    x = correlated_images()
    kernel, bias = whitening_weights(x, size=2, eps=0.0)
    conv = keras.layers.Conv2D(24, 2, padding="valid")
    conv.build(x.shape)
    conv.set_weights([kernel, bias])  # the kernel is laid out as Conv2D reads it
    out = keras.ops.convert_to_numpy(conv(x)).reshape(-1, 24)
    np.testing.assert_allclose(np.cov(out[:, :12], rowvar=False), np.eye(12), atol=1e-3)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(out[:, 12:], -out[:, :12], atol=1e-5)  # both signs, for GELU
    before = np.cov(x[:, :-1, :-1].reshape(-1, 3), rowvar=False)
    assert abs(before[0, 1]) > 0.5 * before[0, 0]  # the test data really was correlated


SHIFT_STEP = """
import json, keras, numpy as np
from common.layers.optim import SGDFastShifts
from tests.conftest import backup_dir, saved_h5
moved = {}
for name, opt in (("plain", keras.optimizers.SGD(0.1, momentum=0.85, nesterov=True)),
                  ("fast", SGDFastShifts(0.1, shift_lr_scale=8.0, momentum=0.85,
                                         nesterov=True))):
    kernel = keras.Variable(np.ones(3, "float32"), name="kernel")
    beta = keras.Variable(np.ones(3, "float32"), name="beta")
    for _ in range(3):
        grad = keras.ops.convert_to_tensor(np.full(3, 0.5, "float32"))
        opt.apply([grad, grad], [kernel, beta])
    moved[name] = [float(1 - keras.ops.convert_to_numpy(v)[0]) for v in (kernel, beta)]
print(json.dumps(moved))
"""


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_sgd_fast_shifts_moves_batchnorm_shifts_further_and_nothing_else(backend: str) -> None:
    moved = json.loads(run_python(SHIFT_STEP, backend).stdout.strip().splitlines()[-1])
    (plain_kernel, plain_beta), (fast_kernel, fast_beta) = moved["plain"], moved["fast"]
    assert plain_kernel > 0 and plain_kernel == pytest.approx(plain_beta)
    assert fast_kernel == pytest.approx(plain_kernel, rel=1e-6)
    assert fast_beta == pytest.approx(8 * plain_beta, rel=1e-5)


def test_the_speedrun_network_and_its_initialisation() -> None:
    keras.utils.set_random_seed(0)
    model = build_model()
    assert model.count_params() == 1_973_944
    assert model.output.shape[1:] == (10,)
    assert not model.get_layer("whiten").trainable
    assert all(not layer.scale for layer in model.layers
               if isinstance(layer, keras.layers.BatchNormalization))
    images = np.random.default_rng(0).random((32, 32, 32, 3), dtype=np.float32)
    initialize(model, images)
    kernel, bias = whitening_weights(images)
    np.testing.assert_array_equal(model.get_layer("whiten").get_weights()[0], kernel)
    conv = model.get_layer("group2_conv1").get_weights()[0]  # 64 inputs, 256 filters
    identity = np.zeros((3, 3, 64, 64), "float32")
    identity[1, 1] = np.eye(64)
    np.testing.assert_array_equal(conv[..., :64], identity)
    assert np.abs(conv[..., 64:]).max() > 0  # the other filters keep their random start
    assert build_model((28, 28, 1), 5).output.shape[1:] == (5,)


def moved(x: np.ndarray, by: int) -> np.ndarray:
    """Images moved ``by`` = ±1 pixel down and right, edges reflected (numpy's own)."""
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    start = 1 - by
    return padded[:, start:start + x.shape[1], start:start + x.shape[2]]


def test_speedrun_trains_and_saves_one_test_time_averaged_plain_keras_model(
        tmp_path: Path, npz_path: Path) -> None:
    train_main("exp07_speedrun", build_model, SETTINGS,
               ["--epochs", "1", "--batch-size", "32", "--limit", "64", "--data", str(npz_path),
                "--model-dir", str(tmp_path / "m"), "--results-dir", str(tmp_path / "r")])
    saved = keras.models.load_model(saved_h5(tmp_path / "m", "exp07_speedrun"))  # no project code
    network = saved.get_layer("exp07_speedrun")
    x = np.random.default_rng(1).random((4, 32, 32, 3), dtype=np.float32)

    def both_sides(images: np.ndarray) -> np.ndarray:
        return (network.predict(images, verbose=0)
                + network.predict(images[:, :, ::-1], verbose=0)) / 2

    expected = both_sides(x) / 2 + (both_sides(moved(x, 1)) + both_sides(moved(x, -1))) / 4
    np.testing.assert_allclose(saved.predict(x, verbose=0), expected, atol=1e-6)
    # the whitening layer was fitted to the training images, not left random
    kernel = network.get_layer("whiten").get_weights()[0]
    assert np.allclose(kernel[..., :12], -kernel[..., 12:])
    record = json.loads(next((tmp_path / "r" / "exp07_speedrun").glob("train-*.json"))
                        .read_text())
    assert record["settings"]["initialize"] == "experiments.exp07_speedrun.model.initialize"
    assert (record["settings"]["inference"]
            == "experiments.exp07_speedrun.model.flip_and_moves_averaged")
    assert record["settings"]["not_decayed"] == []
    assert record["settings"]["alternate_flips"] is True
    assert record["settings"]["lookahead"]["every"] == 5
    # the network on six views of every image, plus seven 0/1 matrix products (three
    # mirrors, and rows and columns of two moves)
    assert record["forward_flops"] == 6 * 236_294_720 + 7 * 2 * (32 * 3 * 32) * 32
    assert flip_and_moves_averaged(build_model()).name == "exp07_speedrun_tta"
    # the test entry point expects (and scores) the same averaged model
    evaluate_main("exp07_speedrun", build_model, SETTINGS,
                  ["--model", str(saved_h5(tmp_path / "m", "exp07_speedrun")),
                   "--data", str(npz_path),
                   "--results-dir", str(tmp_path / "r")])
    tested = json.loads(next((tmp_path / "r" / "exp07_speedrun").glob("test-*.json")).read_text())
    assert tested["params"] == saved.count_params() and 0 <= tested["test_accuracy"] <= 1


def test_recipes_without_hooks_keep_their_recorded_identity() -> None:
    from experiments.exp05_resnet.train import SETTINGS as EXP05
    assert not {"initialize", "inference", "not_decayed"} & set(EXP05.describe())
    assert SETTINGS.describe()["not_decayed"] == []  # exp07 decays its shifts too
    assert EXP05.saved_model(model := build_model()) is model
