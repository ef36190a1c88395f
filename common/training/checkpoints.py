"""Checkpoints and resume: a run backs itself up every epoch, and the same command
continues it from the last completed epoch, exactly as if it had not stopped.

Each run has its own backup folder, ``saved_models/checkpoints/<file stem>-seed<S>/`` (the
stem names the experiment, its variant and label budget: ``Settings.file_stem``), so
different seeds train side by side; the run holds an OS lock on it
(``claim``) while it lives. The folder holds ``run.json`` (the options and start time),
``owner.json`` (the process), Keras' ``BackupAndRestore`` state, ``history.csv`` (one line
per finished epoch) and ``kept.weights.h5`` (the epoch that will be saved).
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock
import keras

from common.basics.errors import UserError
from common.basics.files import atomic_path, write_json_atomic
from common.basics.paths import relative
from common.basics.provenance import now_iso, stamp
from common.data.pipeline import EpochShuffledBatches
from common.records.store import read_history


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


def claim(state_dir: Path) -> filelock.BaseFileLock:
    """Hold the OS lock of the backup in ``state_dir`` for as long as this process runs
    (the OS releases it when the process ends, however it ends). The same run started
    again stops here with one line naming the process that holds it."""
    state_dir.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(state_dir.with_name(state_dir.name + ".lock"))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        owner = _read_json(state_dir / "owner.json") or {}
        raise UserError(
            f"this run is already training (process {owner.get('pid', '?')}, started "
            f"{owner.get('started', '?')}; backup {relative(state_dir)}): wait for it to "
            f"finish, or stop it and run the same command again to resume") from None
    state_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(state_dir / "owner.json", {"pid": os.getpid(), "started": now_iso()})
    return lock


def start_or_resume(state_dir: Path, options: dict, added_later: dict) -> dict:
    """Create or reload the bookkeeping of a run that may be resumed later (its caller
    holds the backup's lock, ``claim``); a backup that cannot be read is one line.

    added_later: options newer than some backups, with the value such a backup ran with;
    one newer than a backup whose earlier value is not known is taken as this run's.
    """
    state_file = state_dir / "run.json"
    history = _readable_history(state_dir)
    if state_file.is_file() and not history:
        shutil.rmtree(state_dir)  # stopped before its first epoch: nothing to resume
        state_dir.mkdir(parents=True)
    if state_file.is_file():
        run = _read_json(state_file)
        if not isinstance(run, dict) or not isinstance(run.get("options"), dict) or not all(
                key in run for key in ("started", "started_stamp", "resumed")):
            raise _unreadable(state_dir, "run.json is not a backup's bookkeeping")
        known = {**added_later, **run["options"]}  # an option newer than the backup with
        run["options"] = {**options, **known}       # no known earlier value: as this run's
        if run["options"] != options:
            differ = ", ".join(f"{k} {run['options'].get(k)!r} there, {options.get(k)!r} here"
                               for k in sorted(run["options"].keys() | options.keys())
                               if run["options"].get(k) != options.get(k))
            raise UserError(f"an interrupted run with other options is backed up in "
                            f"{relative(state_dir)} ({differ}): rerun with its options to "
                            f"resume it, or add --fresh to discard it")
        run["resumed"] += 1
        print(f"resuming the interrupted run started {run['started']} "
              f"({len(next(iter(history.values())))} epochs done)")
    else:
        run = {"options": options, "started": now_iso(), "started_stamp": stamp(),
               "resumed": 0}
    write_json_atomic(state_file, run)
    return run


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _readable_history(state_dir: Path) -> dict[str, list[float]]:
    """The backup's per-epoch history; an unreadable one (two writers, a half line, an
    edit) stops the run with the remedy."""
    try:
        history = read_history(state_dir / "history.csv")
    except (ValueError, KeyError, TypeError, OSError) as err:
        raise _unreadable(state_dir, f"history.csv: {err}") from None
    if len({len(column) for column in history.values()}) > 1:
        raise _unreadable(state_dir, "history.csv has rows of different lengths")
    state_file = state_dir / "run.json"
    if history and state_file.is_file() and _read_json(state_file) is None:
        raise _unreadable(state_dir, "run.json is not JSON")
    return history


def _unreadable(state_dir: Path, why: str) -> UserError:
    return UserError(f"the backup in {relative(state_dir)} cannot be read ({why}); add "
                     f"--fresh to discard it and start this run over")


class WriteError(UserError):
    """A file of the run could not be written (no space, no permission)."""

    # Leave at once: h5py, after a failed write, can crash the interpreter's shutdown
    # (a segmentation fault seen with a full disk)
    exit_at_once = True


@contextmanager
def reported_write_errors(state_dir: Path) -> Iterator[None]:
    """Turn a failed write (no space, no permission) into one line: what could not be
    written, the free space there, and that the same command resumes from the backup."""
    try:
        yield
    except OSError as err:
        where = Path(err.filename) if err.filename else state_dir
        try:
            free = f"{shutil.disk_usage(_existing(where)).free / 2**20:.0f} MB free there"
        except OSError:
            free = "free space unknown"
        raise WriteError(f"could not write {relative(where)}: {err.strerror or err} ({free}); "
                         f"make room, then run the same command again: it resumes from the "
                         f"last complete backup ({relative(state_dir)})") from None


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
