"""Callbacks that watch a run: stop on a non-finite loss, time and log every epoch."""

from __future__ import annotations

import math
import time

import keras

from common.basics.errors import UserError
from common.basics.hardware import machine_busy_seconds


class DivergedError(UserError):
    """The loss became NaN or infinite."""


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop at the first NaN/inf batch loss by raising.

    Unlike keras.callbacks.TerminateOnNaN this skips ``on_epoch_end``, so the per-epoch
    backup and the best checkpoint keep the last good weights.
    """

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise DivergedError(f"loss became {loss} at batch {batch + 1}; training stopped. "
                                f"The last good epoch is kept: lower --lr and rerun to resume")


class EpochStats(keras.callbacks.Callback):
    """Add the epoch's wall time, the process's CPU time over it and the learning rate to
    the logs, so the CSV keeps them; ``epoch_seconds`` keeps the unrounded times (the
    benchmark's). CPU time / (wall time x cores) is the share of the machine the run had:
    near 1 on an idle machine, lower when other work took cores (``common.records.store``);
    the machine's busy time over the epoch (every process's, ``machine_cpu_seconds``)
    says how much of it other work took."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch_seconds: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start, self._cpu = time.perf_counter(), time.process_time()
        self._machine = machine_busy_seconds()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch_seconds.append(time.perf_counter() - self._start)
        if logs is not None:
            logs["seconds"] = round(self.epoch_seconds[-1], 2)
            logs["cpu_seconds"] = round(time.process_time() - self._cpu, 2)
            busy = machine_busy_seconds()
            if busy is not None and self._machine is not None:  # every process's
                logs["machine_cpu_seconds"] = round(busy - self._machine, 2)
            lr = self.model.optimizer.learning_rate
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(lr))
