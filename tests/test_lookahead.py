"""Lookahead (common.layers.lookahead): when it pulls, what it pulls to, and that fit runs it."""

from __future__ import annotations

import json
from dataclasses import asdict

import keras
import numpy as np
import pytest

from common.config.settings import Settings
from common.layers.lookahead import Lookahead, LookaheadCallback
from common.training.setup import training_model
from tests.conftest import run_python


def tiny_model() -> keras.Model:
    inputs = keras.Input((4,))
    x = keras.layers.Dense(3, name="dense")(inputs)
    x = keras.layers.BatchNormalization(name="norm")(x)
    return keras.Model(inputs, keras.layers.Dense(2, name="out")(x))


def attached(model: keras.Model, lookahead: Lookahead, steps: int = 10,
             epochs: int = 2) -> LookaheadCallback:
    callback = LookaheadCallback(lookahead)
    callback.set_model(model)
    callback.set_params({"steps": steps, "epochs": epochs, "verbose": 0})
    return callback


def set_all(model: keras.Model, value: float) -> None:
    model.set_weights([np.full(w.shape, value, "float32") for w in model.get_weights()])


def values(model: keras.Model) -> np.ndarray:
    return np.concatenate([w.ravel() for w in model.get_weights()])


def test_rho_grows_from_zero_to_decay_to_the_every() -> None:
    lookahead = Lookahead(every=5, decay=0.95, power=3.0)
    assert lookahead.rho(0, 100) == 0
    assert lookahead.rho(50, 100) == pytest.approx(0.95 ** 5 * 0.125)
    assert lookahead.rho(100, 100) == pytest.approx(0.95 ** 5)


@pytest.mark.parametrize("bad", [dict(every=0), dict(decay=1.0), dict(decay=-0.1),
                                 dict(power=-1.0), dict(start_epoch=-1)])
def test_invalid_lookahead_is_refused(bad: dict) -> None:
    with pytest.raises(ValueError, match="invalid Lookahead"):
        Lookahead(**bad)


def test_each_pull_moves_the_average_toward_the_weights_and_sets_them_to_it() -> None:
    model = tiny_model()
    callback = attached(model, Lookahead(every=2, decay=0.9, power=1.0, start_epoch=0))
    callback.on_epoch_begin(0)
    set_all(model, 1.0)
    callback.on_train_batch_end(1)  # step 2: the first pull starts the average
    np.testing.assert_array_equal(values(model), 1.0)
    set_all(model, 3.0)
    callback.on_train_batch_end(3)  # step 4 of 20
    rho = 0.9 ** 2 * 4 / 20
    np.testing.assert_allclose(values(model), rho * 1.0 + (1 - rho) * 3.0, rtol=1e-6)
    set_all(model, 7.0)
    callback.on_train_batch_end(4)  # step 5: no pull between two
    np.testing.assert_array_equal(values(model), 7.0)


def test_the_epochs_last_step_sets_the_weights_to_the_average_without_moving_it() -> None:
    model = tiny_model()
    callback = attached(model, Lookahead(every=4, decay=0.9, power=1.0, start_epoch=0),
                        steps=10)
    callback.on_epoch_begin(0)
    set_all(model, 2.0)
    callback.on_train_batch_end(7)  # step 8: the first pull
    set_all(model, 5.0)
    callback.on_train_batch_end(9)  # step 10, the epoch's last: back to the average
    np.testing.assert_array_equal(values(model), 2.0)


def test_nothing_happens_before_the_start_epoch() -> None:
    model = tiny_model()
    callback = attached(model, Lookahead(every=1, start_epoch=1))
    callback.on_epoch_begin(0)
    for batch in range(10):
        set_all(model, float(batch))
        callback.on_train_batch_end(batch)
        np.testing.assert_array_equal(values(model), float(batch))
    assert callback.average is None


def test_a_resumed_run_starts_its_average_from_the_reloaded_weights() -> None:
    model = tiny_model()
    callback = attached(model, Lookahead(every=2, decay=0.9, power=1.0, start_epoch=0))
    set_all(model, 4.0)  # what the backup of epoch 1 held
    callback.on_epoch_begin(1)
    set_all(model, 6.0)
    callback.on_train_batch_end(1)  # step 12 of 20: a pull, not the first
    rho = 0.9 ** 2 * 12 / 20
    np.testing.assert_allclose(values(model), rho * 4.0 + (1 - rho) * 6.0, rtol=1e-6)


def test_batchnorm_statistics_take_part_and_seed_states_do_not() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.RandomFlip(seed=1),
                              keras.layers.Dense(3), keras.layers.BatchNormalization()])
    names = [v.path for v in attached(model, Lookahead())._variables()]
    assert any(name.endswith("moving_mean") for name in names)
    assert any(name.endswith("moving_variance") for name in names)
    assert not any("seed" in name for name in names)


def fit(lookahead: Lookahead) -> np.ndarray:
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = (x[:, :2] > 0).astype("float32")
    model = tiny_model()
    # Keras on PyTorch runs one step per execution; elsewhere one lookahead period
    per_execution = 1 if keras.backend.backend() == "torch" else lookahead.every
    model.compile(keras.optimizers.SGD(0.1), "mse", steps_per_execution=per_execution)
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
              callbacks=[LookaheadCallback(lookahead)])
    return values(model)


def test_fit_runs_it_and_it_changes_the_weights_only_once_started() -> None:
    never = fit(Lookahead(every=2, start_epoch=5))  # later than the run
    assert np.array_equal(never, fit(Lookahead(every=2, start_epoch=5)))  # deterministic
    assert not np.allclose(never, fit(Lookahead(every=2, decay=0.9, power=0.0, start_epoch=0)))


def test_a_recipe_with_lookahead_records_it_and_runs_its_period_per_execution() -> None:
    settings = Settings(idea="x", target=0.5, dataset="cifar10", epochs=1, batch_size=8,
                        lookahead=Lookahead(every=3))
    assert settings.describe()["lookahead"] == asdict(Lookahead(every=3))
    assert "lookahead" not in Settings(idea="x", target=0.5, dataset="cifar10", epochs=1,
                                       batch_size=8).describe()  # old recipes: unchanged
    trained, _, _ = training_model(tiny_model(), settings, "float32", 10)
    expected = 1 if keras.backend.backend() == "torch" else 3
    assert trained.steps_per_execution == expected


ON_BACKEND = """
import json, numpy as np
from common.layers.lookahead import Lookahead
from common.config.settings import Settings
from common.training.setup import training_model
from tests.conftest import run_python
from tests.test_lookahead import fit, tiny_model
settings = Settings(idea="x", target=0.5, dataset="cifar10", epochs=1, batch_size=8,
                    lookahead=Lookahead(every=2))
trained, _, _ = training_model(tiny_model(), settings, "float32", 10)
never = fit(Lookahead(every=2, start_epoch=5))
pulled = fit(Lookahead(every=2, decay=0.9, power=0.0, start_epoch=0))
print(json.dumps({"per_execution": trained.steps_per_execution,
                  "changed": bool(not np.allclose(never, pulled))}))
"""


@pytest.mark.parametrize("backend, per_execution", [("jax", 2), ("torch", 1)])
def test_lookahead_runs_on_jax_and_pytorch(backend: str, per_execution: int) -> None:
    # Keras on PyTorch runs one step per execution only: the recipe must not ask for more
    out = json.loads(run_python(ON_BACKEND, backend).stdout.strip().splitlines()[-1])
    assert out == {"per_execution": per_execution, "changed": True}
