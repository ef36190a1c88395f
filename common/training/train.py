"""The train entry point every experiment shares.

An experiment's ``train.py`` holds its ``Settings`` and calls ``train_main``. A run loads
the experiment's dataset, splits off a class-balanced validation set, trains a copy of
the network made for speed (``common.models.training_copy``) with Keras progress bars, backs
itself up every epoch (rerun the same command to resume), keeps the epoch with the best
validation accuracy (or the last one), saves the stock network as
``saved_models/<name>.h5`` and writes a run record, the per-epoch CSV and a curves plot to
``results/<name>/``.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np

from common.basics.errors import UserError, exit_on_user_error
from common.basics.paths import relative
from common.basics.provenance import git_commit
from common.config.run_options import RunOptions, parse
from common.config.settings import KEPT, Settings, earlier_values, recipe_fields
from common.data.datasets import get_dataset
from common.data.loading import Splits, load
from common.data.pipeline import EpochShuffledBatches, split
from common.layers.lookahead import LookaheadCallback
from common.models.devices import Placement
from common.models.flops import forward_flops, training_flops
from common.models.precision import resolve_precision
from common.records.export import save_model, write_train_record
from common.records.recipes import recipe, recorded_settings
from common.records.store import cpu_use, read_history, train_record
from common.training.budget import cpu_estimate
from common.training.callbacks import EpochStats, StopOnNonFiniteLoss
from common.training.checkpoints import (
    claim,
    reported_write_errors,
    resume_callbacks,
    start_or_resume,
)
from common.training.fused_steps import steps_per_call
from common.training.setup import prepare_run


def train_main(name: str, build_model: Callable[[], keras.Model], settings: Settings,
               argv: Sequence[str] | None = None, variants: Sequence[Settings] = ()) -> None:
    """Command-line entry: parse options (``--recipe`` picks one of the named
    ``variants``), train, report problems as one line."""
    settings, run = parse(name, settings, argv, variants)
    exit_on_user_error(lambda: train(name, build_model, settings, run))


def train(name: str, build_model: Callable[[], keras.Model], settings: Settings,
          run: RunOptions) -> dict:
    """Train and save one experiment with the effective ``settings``; return its record."""
    wall_start, commit = time.perf_counter(), git_commit()  # the code as the run starts
    placement = Placement.join(run.devices, settings.batch_size, name)
    precision = resolve_precision(run.precision)  # like bad data, fails before any write
    steps = steps_per_call(run.steps_per_call, settings.lookahead and settings.lookahead.every,
                           placement.devices, run.compile_cache)
    data = load(get_dataset(settings.dataset), run.data)
    backup = _open_backup(name, settings, run, placement.writer, steps)
    try:
        return _train(name, build_model, settings, run, data, backup,
                      {"commit": commit, "wall_start": wall_start, "placement": placement,
                       "precision": precision, "steps": steps})
    finally:
        if "lock" in backup:  # the OS frees it when the process ends; a caller that goes
            backup["lock"].release()  # on (a test, an ensemble's next member) needs it now


def _train(name: str, build_model: Callable[[], keras.Model], settings: Settings,
           run: RunOptions, data: Splits, backup: dict, made: dict) -> dict:
    placement, precision, steps = made["placement"], made["precision"], made["steps"]
    keras.utils.set_random_seed(run.seed)
    batches, validation = split(data, settings, run, placement.batch_multiple,
                                (placement.process, placement.processes))
    print(f"data: {data.source} - {len(batches.x)} train / {len(validation[0])} validation / "
          f"{len(data.x_test)} test images")
    network = build_model()  # the stock float32 network, on one device: what gets saved
    with placement.training() as device_names:  # the copy that trains spans the devices
        ready = prepare_run(network, settings, batches, validation, precision,
                            steps_per_call=steps, devices=placement.devices)
        network.summary()  # after the recipe's initialize, which may freeze layers
        if placement.writer and (note := cpu_estimate(  # a GPU recipe on a CPU: how long?
                name, settings.budget, network, len(batches.x) * settings.epochs,
                run.results_dir)):
            print(note)
        with reported_write_errors(backup["dir"]):
            ready.fitted.fit(ready.inputs, epochs=settings.epochs, validation_data=validation,
                             validation_batch_size=ready.validation_batch,
                             callbacks=_callbacks(name, settings, run, backup["dir"], batches,
                                                  placement, ready.ends),
                             shuffle=False,  # the batches reshuffle themselves by epoch
                             verbose=placement.verbose)
        ready.fitted.load_weights((placement.scratch or backup["dir"]) / "kept.weights.h5")
        network.set_weights(ready.copy.get_weights())  # the trained values, in stock layers
    speedups = ready.speedups
    if not placement.writer:
        placement.release()
        return {}
    with reported_write_errors(backup["dir"]):
        return _save_and_record(name, network, settings, run, data, (batches, validation),
                                    backup, {"commit": made["commit"], "precision": precision,
                                         "speedups": speedups, "devices": device_names,
                                         "wall_start": made["wall_start"],
                                         "processes": placement.processes})


def _open_backup(name: str, settings: Settings, run: RunOptions, writer: bool,
                 steps: int) -> dict:
    """The run's own backup folder (its file stem and seed) and bookkeeping: a fresh one,
    or the interrupted run's (``--fresh`` discards it, never a live run's: the lock comes
    first); the other processes of a run only read process 0's."""
    stem = file_stem(name, settings, run)
    state_dir = run.model_dir / "checkpoints" / f"{stem}-seed{run.seed}"
    if run.tensorboard and importlib.util.find_spec("tensorboard") is None:
        raise UserError("--tensorboard needs the tensorboard package: "
                        "pip install -r requirements.txt")
    if not writer:
        return {"dir": state_dir, "stem": stem}
    lock = claim(state_dir)  # held until this process ends
    if run.fresh:
        for path in state_dir.iterdir():
            if path.name != "owner.json":
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    options = {**_earlier_options(), **_options(settings, run),  # the backup's layout
               "steps_per_call": steps}
    try:
        state = start_or_resume(state_dir, options, _earlier_options())
    except BaseException:
        lock.release()
        raise
    return {**state, "dir": state_dir, "stem": stem, "lock": lock}


def file_stem(name: str, settings: Settings, run: RunOptions) -> str:
    """What the run saves as: saved_models/<stem>.h5 (``Settings.file_stem``): the step, its
    variant and label budget, and any option or --limit that differs from the recipe, so a
    quick look (``--epochs 1 --limit 512``) never replaces the step's file."""
    if run.recipe_default is None:  # not from the command line (an ensemble's member)
        return settings.file_stem(name)
    return settings.file_stem(name, run.recipe_default, run.limit)


def _callbacks(name: str, settings: Settings, run: RunOptions, state_dir: Path,
               batches: EpochShuffledBatches, placement: Placement,
               ends: list[int] | None) -> list:
    # the lookahead sets the weights before the epoch's validation and backup see them
    lookahead = ([] if settings.lookahead is None
                 else [LookaheadCallback(settings.lookahead, ends)])
    tensorboard = ([keras.callbacks.TensorBoard(run.results_dir / name / "tensorboard")]
                   if run.tensorboard and placement.writer else [])
    return [StopOnNonFiniteLoss(), EpochStats(), *lookahead, *tensorboard,
            *resume_callbacks(state_dir, batches, settings.keep == "last", placement.scratch)]


def _save_and_record(name: str, network: keras.Model, settings: Settings, run: RunOptions,
                     data: Splits, split_sets: tuple, backup: dict, made: dict) -> dict:
    """Save the trained ``network`` (as ``settings.saved_model`` makes it) and write the
    run's record; the backup is then deleted: nothing is left to resume."""
    batches, validation = split_sets
    state_dir = backup["dir"]
    history = read_history(state_dir / "history.csv")
    epochs = len(history["loss"])
    best_epoch = epochs if settings.keep == "last" else int(np.argmax(history["val_accuracy"])) + 1
    saved = settings.saved_model(network)  # the network, or e.g. its test-time averaging
    model_path = save_model(saved, run.model_dir / f"{backup['stem']}.h5")  # atomically
    described = recorded_settings(settings, made["precision"], made["speedups"])
    data_record = {**data.describe(), "train": len(batches.x), "validation": len(validation[0]),
                   "test": len(data.x_test), "limit": run.limit}
    record_path = write_train_record(train_record(
        experiment=name, idea=settings.idea, target=settings.target, seed=run.seed,
        data=data_record, settings=described, recipe=recipe(described, data_record, network),
        params=network.count_params(), epochs_run=epochs,
        train_seconds=round(sum(history["seconds"]), 1),
        wall_seconds=round(time.perf_counter() - made["wall_start"], 1),  # this invocation
        forward_flops=forward_flops(saved),  # one image, as the saved model predicts it
        train_flops=training_flops(network, len(batches.x) * epochs),
        best_epoch=best_epoch, val_accuracy=history["val_accuracy"][best_epoch - 1],
        train_accuracy=history["accuracy"][best_epoch - 1], **cpu_use(history),
        devices=made["devices"], processes=made["processes"],
        resumed=backup["resumed"], started=backup["started"],
    ), made["commit"], model_path, history, state_dir / "history.csv", run.results_dir,
        f"train-{backup['started_stamp']}-seed{run.seed}")
    shutil.rmtree(state_dir, ignore_errors=True)  # finished: nothing left to resume
    print(f"\nkept epoch {best_epoch} of {epochs} ({KEPT[settings.keep]}): validation "
          f"accuracy {history['val_accuracy'][best_epoch - 1]:.4f}; training took "
          f"{sum(history['seconds']):.0f} s")
    print(f"saved {relative(model_path)} and {relative(record_path)}")
    model_option = "" if backup["stem"] == name else f" --model {relative(model_path)}"
    print(f"next: python -m experiments.{name}.test{model_option}")
    return json.loads(record_path.read_text())


def _options(settings: Settings, run: RunOptions) -> dict:
    """The options that shape a run, its recipe's and the run's: a backup resumes only
    under the same ones."""
    recipe = json.loads(json.dumps(settings.recipe_part(), default=str))  # as read back
    return {**recipe, "seed": run.seed, "data": run.data, "limit": run.limit,
            "precision": run.precision}


def _earlier_options() -> dict:
    """What a backup made before an option existed ran with (``Settings`` fields' own
    ``before``, and one step per call)."""
    recipe = set(recipe_fields())
    return {**{k: v for k, v in earlier_values(backups=True).items() if k in recipe},
            "steps_per_call": 1}
