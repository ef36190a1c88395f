"""Steps per compiled call, measured: fit's path (one call a step) beside the fused path
(``common.training.fused_steps``, K steps a call), the same network, batches and precision, in ms a
step. ``python -m common.bench --steps-per-call 1 50`` (JAX; the GPU round runs it)."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from common.basics.hardware import machine_name
from common.basics.markdown import table
from common.bench import measure
from common.config.registry import Experiment, find_experiment
from common.data.datasets import get_dataset
from common.data.loading import load, one_hot, scale
from common.data.pipeline import EpochShuffledBatches, recipe_batches
from common.models.precision import resolve_precision
from common.training.callbacks import EpochStats
from common.training.checkpoints import EpochKeyedRandomness
from common.training.setup import prepare_run


def steps_per_call_rows(experiments: Sequence[str], counts: Sequence[int], images: int,
                        data: str | None) -> dict:
    """For each experiment and K: a compiling epoch, then the fastest of the timed epochs
    over ``images`` training images, as ms a step."""
    precision = resolve_precision("auto")
    rows = []
    for name in experiments:
        experiment = find_experiment(name)
        settings = experiment.settings
        splits = load(get_dataset(settings.dataset), data)
        x, y = splits.x_train[:images], splits.y_train[:images]
        classes = splits.dataset.num_classes
        validation = (scale(splits.x_test[:256]), one_hot(splits.y_test[:256], classes))
        for k in counts:
            if settings.lookahead is not None and k not in (1, settings.lookahead.every):
                continue  # a lookahead recipe fuses exactly its period
            epochs = 1 + measure.TIMED_RUNS
            fitted, inputs, batches = training_setup(experiment, x, y, validation, k,
                                                     precision, epochs)
            stats = EpochStats()
            fitted.fit(inputs, epochs=epochs, shuffle=False, verbose=0,
                       callbacks=[EpochKeyedRandomness(batches), stats])
            row = {"experiment": name, "steps_per_call": k, "batch_size": settings.batch_size,
                   "precision": precision, "steps_per_epoch": len(batches),
                   "first_epoch_seconds": round(stats.epoch_seconds[0], 2),
                   "ms_per_step": 1000 * min(stats.epoch_seconds[1:]) / len(batches)}
            rows.append(row)
            print(f"{name:20s} {k:3d} steps a call: {row['ms_per_step']:7.2f} ms a step "
                  f"(first epoch, compiling: {row['first_epoch_seconds']:.1f} s)")
    return {"images": images, "rows": rows, "timed_runs": measure.TIMED_RUNS,
            "statistic": "best"}


def training_setup(experiment: Experiment, x: np.ndarray, y: np.ndarray,
                   validation: tuple[np.ndarray, np.ndarray], steps: int, precision: str,
                   epochs: int) -> tuple[keras.Model, object, EpochShuffledBatches]:
    """The experiment's network as ``fit`` trains it on (x, y) from seed 0, ``steps`` steps
    a call: the compiled model, what fit reads, and the batches (their epoch sets the
    order and the random draws: ``EpochKeyedRandomness``)."""
    keras.utils.set_random_seed(0)
    network = experiment.build_model()
    batches = recipe_batches(x, y, experiment.settings, 0, validation[1].shape[-1])
    ready = prepare_run(network, experiment.settings, batches, validation, precision,
                        steps_per_call=steps, epochs=epochs)
    return ready.fitted, ready.inputs, batches


def render(record: dict) -> str:
    """The rows side by side, with each K's speed-up over one call a step."""
    one = {r["experiment"]: r["ms_per_step"] for r in record["rows"]
           if r["steps_per_call"] == 1}
    device = ", ".join(record["hardware"]["gpus"]) or machine_name(record["hardware"])
    return (f"{record['versions']['backend']} on {device}; {record['images']} training "
            f"images an epoch, the fastest of {record['timed_runs']} epochs after a "
            "compiling one.\n\n" + table(
                ["experiment", "steps a call", "batch", "precision", "ms a step",
                 "vs one a call", "first epoch (compiling)"],
                [[r["experiment"], r["steps_per_call"], r["batch_size"], r["precision"],
                  f"{r['ms_per_step']:.2f}",
                  f"{one[r['experiment']] / r['ms_per_step']:.2f}×"
                  if r["experiment"] in one else "—",
                  f"{r['first_epoch_seconds']:.1f} s"] for r in record["rows"]]))
