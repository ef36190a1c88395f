"""XOR from scratch (xor01, NumPy) and in Keras (xor02): backpropagation is the gradient,
both learn the four points from a fixed seed, and they take the same steps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from common.config.registry import experiment_names
from common.records.recipes import recipe
from common.records.upgrade import upgraded
from common.training.xor import LABELS, POINTS, initial_weights
from experiments.xor01_numpy import train as xor01
from experiments.xor01_numpy.model import XorNetwork
from experiments.xor02_keras import train as xor02


def test_backpropagation_is_the_gradient_of_the_loss() -> None:
    x = POINTS.astype(np.float64)

    def loss(weights: list[np.ndarray]) -> float:
        p = XorNetwork(weights).forward(x)[1][:, 0]
        return float(-np.mean(LABELS * np.log(p) + (1 - LABELS) * np.log(1 - p)))

    weights = initial_weights(1)
    stepped = XorNetwork([w.copy() for w in weights])
    stepped.step(x, LABELS, learning_rate=1.0)  # w - 1.0 * gradient
    for i, w in enumerate(weights):
        numeric = np.zeros_like(w)
        for j in np.ndindex(w.shape):
            plus, minus = [v.copy() for v in weights], [v.copy() for v in weights]
            plus[i][j] += 1e-6
            minus[i][j] -= 1e-6
            numeric[j] = (loss(plus) - loss(minus)) / 2e-6
        np.testing.assert_allclose(w - stepped.weights()[i], numeric, atol=1e-8)


def test_both_reach_all_four_points_and_take_the_same_steps() -> None:
    numpy_net, numpy_curve = xor01.fit(xor01.SETTINGS)
    keras_net, keras_curve = xor02.fit(xor02.SETTINGS)
    assert numpy_curve["accuracy"][-1] == keras_curve["accuracy"][-1] == 1.0
    assert numpy_curve["accuracy"][0] < 1.0  # it learned it
    np.testing.assert_allclose(numpy_net.forward(POINTS)[1], keras_net.predict(POINTS),
                               atol=1e-4)  # float64 and float32 after 5,000 steps


def test_a_hidden_layer_is_needed_and_some_seeds_still_miss() -> None:
    from dataclasses import replace

    misses = [seed for seed in range(10)
              if xor01.fit(replace(xor01.SETTINGS, seed=seed))[1]["accuracy"][-1] < 1.0]
    assert 0 < len(misses) < 3  # a local minimum: the README's seed 6


def test_train_and_test_entry_points_record_the_run(tmp_path: Path, capsys) -> None:
    from common.training.xor import test_main, train_main

    where = ["--model-dir", str(tmp_path / "m"), "--results-dir", str(tmp_path / "r")]
    record = train_main("xor01_numpy", xor01.SETTINGS, xor01.fit,
                        lambda network, path: network.save(path), ".npz",
                        ["--steps", "3000", *where])
    assert record["epochs_run"] == 3000 and record["versions"]["backend"] == "numpy"
    # its recipe made as every step's is, and read back as written
    assert record["recipe"] == recipe(record["settings"], record["data"], "2-2-1 sigmoid")
    assert upgraded(json.loads(json.dumps(record)))["recipe"] == record["recipe"]
    test_main("xor01_numpy", lambda path: lambda x: XorNetwork.load(path).forward(x)[1],
              ".npz", ["--model", str(tmp_path / "m" / "xor01_numpy.npz"),
                       "--results-dir", str(tmp_path / "r")])
    tests = list((tmp_path / "r" / "xor01_numpy").glob("test-*.json"))
    assert json.loads(tests[0].read_text())["model_sha256"] == record["model_sha256"]


def test_xor_is_not_an_image_experiment() -> None:
    assert not {"xor01_numpy", "xor02_keras"} & set(experiment_names())
    assert "arch02_inception" in experiment_names()
