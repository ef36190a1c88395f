"""Checkpoints and resume: a run backs itself up every epoch, and the same command
continues it from the last completed epoch, exactly as if it had not stopped.

The backup folder ``saved_models/checkpoints/<name>/`` holds ``run.json`` (the options and
start time), Keras' ``BackupAndRestore`` state, ``history.csv`` (one line per finished
epoch) and ``kept.weights.h5`` (the epoch that will be saved).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import keras

from common.errors import UserError
from common.files import atomic_path, write_json_atomic
from common.pipeline import EpochShuffledBatches
from common.provenance import now_iso, stamp
from common.records import read_history


class KeepWeights(keras.callbacks.Callback):
    """Save the weights whenever validation accuracy improves (or, with ``last``, after
    every epoch), atomically.

    keras.callbacks.ModelCheckpoint writes in place: a kill -9 mid-write left a corrupt
    file that the resumed run then failed to load (tests/test_robustness.py).
    """

    def __init__(self, path: Path, best: float = -math.inf, last: bool = False) -> None:
        super().__init__()
        self.path, self.best, self.last = path, best, last

    def on_train_begin(self, logs: dict | None = None) -> None:
        if not self.path.is_file():  # killed before the first save: start over
            self.best = -math.inf

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        accuracy = (logs or {}).get("val_accuracy")
        improved = accuracy is not None and accuracy > self.best
        if improved:
            self.best = accuracy
        if improved or self.last:
            with atomic_path(self.path) as tmp:
                self.model.save_weights(tmp)


class EpochKeyedRandomness(keras.callbacks.Callback):
    """Make every epoch's randomness a function of (seed, epoch) alone.

    Keras' backups keep weights and optimizer state but not the random streams of
    Dropout and augmentation layers, nor the data order; keyed on the epoch, a resumed
    run continues exactly as the uninterrupted one would have.
    """

    def __init__(self, batches: EpochShuffledBatches) -> None:
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.batches.set_epoch(epoch)
        for var in self.model.variables:
            if var.path.endswith("seed_generator_state"):  # [seed, draws so far]
                seed = keras.ops.convert_to_numpy(var.value)[0]
                var.assign(keras.ops.convert_to_tensor([seed, epoch << 20], dtype=var.dtype))


class RestoreOnly(keras.callbacks.BackupAndRestore):
    """Restores a backup as its parent does, and never writes or deletes one: the callback
    of a multi-process run's other processes, whose backups process 0 writes.

    It still saves the weights when process 0 does, into ``scratch``: on JAX, Keras'
    saving makes variables, which across processes is a collective all of them join.
    """

    def __init__(self, backup_dir: Path, scratch: Path, **kwargs: object) -> None:
        super().__init__(backup_dir, **kwargs)
        self.scratch = scratch

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.model.save_weights(self.scratch / "backup.weights.h5", overwrite=True)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        pass  # backups are made once an epoch (BackupAndRestore's default)

    def on_train_end(self, logs: dict | None = None) -> None:
        pass


def resume_callbacks(state_dir: Path, batches: EpochShuffledBatches, keep_last: bool,
                     scratch: Path | None = None) -> list[keras.callbacks.Callback]:
    """Kept weights, then the backup, then the history line that marks the epoch done:
    in this order a kill -9 at any point leaves a state the same command resumes.

    With ``scratch`` (a process other than 0 of several): the same decisions and saves,
    made from the backup process 0 writes, into ``scratch``; nothing in ``state_dir``
    is written.
    """
    previous = read_history(state_dir / "history.csv")  # a resumed run must beat its best
    best = max(previous.get("val_accuracy") or [-math.inf])
    if scratch is None:
        kept, backup = state_dir / "kept.weights.h5", keras.callbacks.BackupAndRestore(
            state_dir / "backup", double_checkpoint=True)  # two generations: a kill -9
        # while writing one leaves the other
    else:
        kept = scratch / "kept.weights.h5"
        if (state_dir / "kept.weights.h5").is_file():  # what process 0 starts from
            shutil.copyfile(state_dir / "kept.weights.h5", kept)
        backup = RestoreOnly(state_dir / "backup", scratch, double_checkpoint=True)
    callbacks = [EpochKeyedRandomness(batches), KeepWeights(kept, best, keep_last), backup]
    if scratch is None:
        callbacks.append(keras.callbacks.CSVLogger(state_dir / "history.csv", append=True))
    return callbacks


def start_or_resume(state_dir: Path, options: dict, added_later: dict) -> dict:
    """Create or reload the bookkeeping of a run that may be resumed later.

    added_later: options newer than some backups, with the value such a backup ran with.
    """
    state_file = state_dir / "run.json"
    if state_file.is_file() and not read_history(state_dir / "history.csv"):
        shutil.rmtree(state_dir)  # stopped before its first epoch: nothing to resume
    if state_file.is_file():
        run = json.loads(state_file.read_text())
        run["options"] = {**added_later, **run["options"]}
        if run["options"] != options:
            raise UserError(f"an interrupted run with other options ({run['options']}) is "
                            f"backed up in {state_dir}; rerun with those options to resume "
                            f"it, or add --fresh to discard it")
        run["resumed"] += 1
        print(f"resuming the interrupted run started {run['started']}")
    else:
        run = {"options": options, "started": now_iso(), "started_stamp": stamp(),
               "resumed": 0}
    write_json_atomic(state_file, run)
    return run
