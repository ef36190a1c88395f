"""Several steps per compiled call (JAX's GPU path, common/training/fused_steps.py) take the same
steps as one call per step: after the same batches from one seed the weights agree, for
exp04 (augmentation, BatchNormalization, weight decay) and exp07 (lookahead, alternating
flips, its own optimizer). Checked on the CPU, where the path is slower but the same."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from common.data.pipeline import EpochShuffledBatches
from common.training.fused_steps import FusedBatches
from tests.conftest import run_under

SAME_STEPS = """
import json, sys
from dataclasses import replace
import jax
jax.config.update("jax_enable_x64", True)
import keras, numpy as np
keras.config.set_floatx("float64")  # float32's reordered sums would hide a wrong step
from common.training.checkpoints import EpochKeyedRandomness
from common.layers.lookahead import Lookahead, LookaheadCallback
from common.data.pipeline import EpochShuffledBatches
from common.config.registry import find_experiment
from common.training.setup import fit_data, training_model

name, steps, batch = sys.argv[1], int(sys.argv[2]), 16
experiment = find_experiment(name)
settings = replace(experiment.settings, batch_size=batch)
if settings.lookahead is not None:  # from the first step: pulls inside and between calls
    settings = replace(settings, lookahead=Lookahead(every=steps, start_epoch=0))
rng = np.random.default_rng(0)
x = rng.integers(0, 256, (9 * batch + 5, 32, 32, 3)).astype(np.uint8)  # 9 batches + 5
y = rng.integers(0, 10, len(x))
validation = (x[:20].astype("float32") / 255, np.eye(10, dtype="float32")[y[:20]])
weights = {}
for k in (1, steps):
    keras.utils.set_random_seed(0)
    network = experiment.build_model()
    if settings.initialize is not None:
        settings.initialize(network, x.astype("float32") / 255)
    batches = EpochShuffledBatches(x, y, batch, 0, 10, alternate_flips=settings.alternate_flips)
    fitted, copy, _ = training_model(network, settings, "float32", len(batches),
                                     steps_per_call=k)
    inputs, _, ends = fit_data(fitted, batches, validation, k)
    callbacks = [EpochKeyedRandomness(batches)] + (
        [LookaheadCallback(settings.lookahead, ends)] if settings.lookahead else [])
    fitted.fit(inputs, epochs=1, shuffle=False, verbose=0, callbacks=callbacks)
    weights[k] = [keras.ops.convert_to_numpy(w) for w in copy.weights]
# the largest difference, relative to each tensor's scale
print(json.dumps(max(float(np.max(np.abs(a - b)) / (1 + np.max(np.abs(a))))
                     for a, b in zip(weights[1], weights[steps], strict=True))))
"""


@pytest.mark.parametrize("experiment, steps, tolerance", [
    # 10 batches in calls of 3: three full calls, then the short batch alone
    ("exp04_augmentation", 3, 1e-9),
    # lookahead every 5 steps, calls of 5 (the tail rides in the second); its rate of 1.3
    # multiplies float64's rounding some hundredfold a step: a wrong step or a pull out of
    # place shows as 1e-3 and more
    ("exp07_speedrun", 5, 1e-6),
])
def test_fused_steps_take_the_same_steps(experiment: str, steps: int, tolerance: float) -> None:
    gap = json.loads(run_under("jax", ["-c", SAME_STEPS, experiment, str(steps)]).stdout
                     .strip().splitlines()[-1])
    assert gap < tolerance, gap  # float64, summed in another order inside a call


def test_the_record_says_how_many_steps_a_call_took(tmp_path: Path, npz_path: Path) -> None:
    records = {}
    for steps in ("1", "2"):
        out = tmp_path / f"k{steps}"
        run_under("jax", ["-m", "experiments.exp01_baseline.train", "--data", str(npz_path),
                          "--steps-per-call", steps, "--epochs", "1", "--batch-size", "32",
                          "--model-dir", str(out), "--results-dir", str(out)])
        (path,) = (out / "exp01_baseline").glob("train-*.json")
        records[steps] = json.loads(path.read_text())
    assert [r["settings"]["steps_per_call"] for r in records.values()] == [1, 2]
    assert records["1"]["recipe"]["id"] == records["2"]["recipe"]["id"]  # speed, not recipe


def test_calls_end_where_keras_executions_end() -> None:
    x, y = np.zeros((270, 32, 32, 3), np.uint8), np.zeros(270, np.int64)
    batches = EpochShuffledBatches(x, y, 64, 0, 10)  # 4 full batches, then 14 images
    fused = FusedBatches(batches, 3)
    assert len(fused) == 2 and fused.ends() == [3, 5]
    xs, ys, extra = fused[1]
    assert xs.shape == (3, 64, 32, 32, 3) and list(extra["real"]) == [True, False, False]
    assert extra["tail_x"].shape == (14, 32, 32, 3)
    flipping = EpochShuffledBatches(np.random.default_rng(0).integers(0, 256, x.shape, np.uint8),
                                    np.arange(270) % 10, 64, 0, 10, alternate_flips=True)
    flipping.set_epoch(1)
    xs, ys, _ = FusedBatches(flipping, 3)[0]  # one gather: the same as three batches
    for i in range(3):
        np.testing.assert_array_equal(xs[i], flipping[i][0])
        np.testing.assert_array_equal(ys[i], flipping[i][1])
    alone = FusedBatches(batches, 2)  # 4 full batches in two full calls: the short one alone
    assert len(alone) == 3 and alone.ends() == [2, 4, 5] and alone[2][0].shape[:2] == (1, 14)
