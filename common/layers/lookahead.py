"""Lookahead: every few steps, pull the weights back to a slow moving average of them.

The speed runs' variant (airbench, after hlb-cifar10): from epoch ``start_epoch`` on, every
``every`` steps the average moves toward the weights by ``1 - rho`` and the weights are set
to the average. ``rho`` grows over the run, ``decay ** every * (step / total) ** power``:
hardly any averaging at first, strong averaging at the end, where it acts as one more decay
of the step size. The last step of every epoch also sets the weights to the average, so
validation, the epoch's backup and the saved model all hold it, and a resumed run starts
its average from the weights it reloads (exactly what it was).

Every weight takes part, BatchNormalization's statistics included (Keras' ``weights``:
not the random seeds' states). A ``keras.callbacks.Callback``, so it works unchanged
on every backend and over several devices; Keras calls it once per execution, so the
training loop runs ``every`` steps per execution (``steps_per_execution``).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np


@dataclass(frozen=True)
class Lookahead:
    """A recipe's lookahead (``Settings(lookahead=...)``); airbench94's values by default."""

    every: int = 5  # steps between two pulls
    decay: float = 0.95  # per step; the pull's rho is decay ** every at most
    power: float = 3.0  # rho grows as (step / total) ** power
    start_epoch: int = 3  # counted from 0: the first three epochs run without it

    def __post_init__(self) -> None:
        if self.every < 1 or not 0 <= self.decay < 1 or self.power < 0 or self.start_epoch < 0:
            raise ValueError(f"invalid {self}: every >= 1, 0 <= decay < 1, power >= 0 and "
                             "start_epoch >= 0")

    def rho(self, step: int, total_steps: int) -> float:
        """How much of the average a pull after ``step`` of ``total_steps`` keeps."""
        return self.decay ** self.every * (step / total_steps) ** self.power


class LookaheadCallback(keras.callbacks.Callback):
    """Applies a ``Lookahead`` to the model being fitted."""

    def __init__(self, lookahead: Lookahead, batch_ends: list[int] | None = None) -> None:
        """``batch_ends``: the steps done in an epoch after each call, where a call takes
        several steps' batches at once (``common.training.fused_steps``); else a batch is a step."""
        super().__init__()
        self.lookahead = lookahead
        self.batch_ends = batch_ends
        self.average: list[np.ndarray] | None = None
        self._epoch = 0
        self._pulls = 0  # pulls so far: step // every of the last one

    def _steps_per_epoch(self) -> int:
        return self.batch_ends[-1] if self.batch_ends else self.params["steps"]

    def _steps_done(self, batch: int) -> int:
        """Steps done in the epoch once Keras reports ``batch`` done."""
        return self.batch_ends[batch] if self.batch_ends else batch + 1

    def _variables(self) -> list:
        return self.model.weights  # with BatchNormalization's statistics; not seed states

    def _weights(self) -> list[np.ndarray]:
        return [keras.ops.convert_to_numpy(v.value).copy() for v in self._variables()]

    def _set_weights(self, values: list[np.ndarray]) -> None:
        for variable, value in zip(self._variables(), values, strict=True):
            variable.assign(value)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch
        self._pulls = max(self._pulls, epoch * self._steps_per_epoch() // self.lookahead.every)
        if epoch > self.lookahead.start_epoch and self.average is None:
            # resumed: the reloaded weights are the average the last epoch ended with
            self.average = self._weights()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._epoch < self.lookahead.start_epoch:
            return
        steps = self._steps_per_epoch()
        step = self._epoch * steps + self._steps_done(batch)  # steps done, over the whole run
        if step // self.lookahead.every > self._pulls:  # ``every`` more steps: pull
            self._pulls = step // self.lookahead.every
            if self.average is None:
                self.average = self._weights()  # the first pull starts the average
            else:
                rho = self.lookahead.rho(step, self.params["epochs"] * steps)
                self.average = [rho * a + (1 - rho) * w
                                for a, w in zip(self.average, self._weights(), strict=True)]
            self._set_weights(self.average)
        elif self._steps_done(batch) == steps and self.average is not None:  # epoch's last
            self._set_weights(self.average)
