"""Several optimizer steps in one compiled call: JAX's path on a GPU.

Keras 3.15's ``fit`` on JAX makes one call into the compiled step per batch (its
``steps_per_execution`` is a Python loop around that call), and on one H200 the call, not
the arithmetic, set the pace: exp04's network took 2.6 ms a step called one at a time,
0.74 ms inside one ``jax.lax.scan`` of 50 (results/gpu/2026-12-04-h200/README.md).

``FusedSteps`` wraps the model ``fit`` trains and overrides ``train_step(state, data)``,
Keras' documented way to customise ``fit`` on JAX: each call receives K batches
(``FusedBatches``) and scans Keras' own train step over them, so every step is the step
``fit`` would have taken (batch, schedule, BatchNormalization statistics, random draws,
weight decay), and ``fit`` keeps its progress bar (one tick a call), callbacks, backups,
resume and records. A call ends where Keras' ``steps_per_execution`` loop would have ended
its execution, so callbacks that act between executions (the lookahead) see the same
boundaries. On a 2-core CPU the same scan is ~15x slower than single steps, so a CPU keeps
one step per call (``steps_per_call``).
"""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np
from keras import ops

from common.basics.errors import UserError
from common.data.pipeline import EpochShuffledBatches, stacked_batches

GPU_STEPS_PER_CALL = 50  # the H200 probe's scan length (results/gpu/2026-12-04-h200/)


def steps_per_call(choice: str, lookahead_every: int | None, devices: int,
                   compile_cache: Path | None = None) -> int:
    """Optimizer steps per compiled call for ``--steps-per-call`` (auto: 50 with JAX on a
    GPU, else 1); a lookahead recipe fuses exactly its period, the boundaries it acts on.
    With ``compile_cache`` (JAX), compiled steps are kept there for the next run."""
    backend = keras.backend.backend()
    if compile_cache is not None and backend == "jax":
        import jax

        jax.config.update("jax_compilation_cache_dir", str(compile_cache))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    if choice == "auto":
        from common.basics.hardware import accelerators

        on_gpu = backend == "jax" and bool(accelerators()) and devices == 1
        steps = GPU_STEPS_PER_CALL if on_gpu else 1
        return lookahead_every if steps > 1 and lookahead_every else steps
    steps = int(choice)
    if steps > 1 and backend != "jax":
        raise UserError(f"--steps-per-call {steps}: fused steps are JAX's path (KERAS_BACKEND="
                        f"jax); {backend} keeps 1")
    if steps > 1 and devices > 1:
        raise UserError(f"--steps-per-call {steps} runs on one device; with --devices "
                        f"{devices} use 1")
    if steps > 1 and lookahead_every and steps != lookahead_every:
        raise UserError(f"--steps-per-call {steps}: this recipe's lookahead acts every "
                        f"{lookahead_every} steps; use {lookahead_every} or 1")
    return steps


class FusedBatches(keras.utils.PyDataset):
    """An epoch's batches, K to an item: ``(x, y, {"real": ...})`` with x of shape
    (K, batch, ...), the last item padded with copies and ``real`` saying which are real.
    The epoch's short last batch rides in the last item as its ``tail_x``, ``tail_y``, or
    (when that item is full) is an item of its own, as Keras' execution loop takes it."""

    def __init__(self, batches: EpochShuffledBatches, steps: int) -> None:
        super().__init__()
        if batches.shard != (0, 1) or batches.multiple_of != 1:
            raise ValueError("fused steps run in one process on one device")
        self.batches, self.steps = batches, steps
        count = len(batches)
        self.full = count if count * batches.batch_size == len(batches.x) else count - 1
        self.chunks = math.ceil(self.full / steps)
        self.tail_alone = count > self.full and self.full % steps == 0

    def __len__(self) -> int:
        return self.chunks + self.tail_alone

    def ends(self) -> list[int]:
        """Real steps done in the epoch after each item (what a callback's batch means)."""
        ends = [min((i + 1) * self.steps, self.full) for i in range(self.chunks)]
        if len(self.batches) > self.full:
            if self.tail_alone:
                ends.append(self.full)
            ends[-1] += 1
        return ends

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray, dict]:
        if index == self.chunks:  # the short batch alone
            x, y = self.batches[self.full]
            return x[None], y[None], {"real": np.ones(1, bool)}
        first = index * self.steps
        real = min(self.steps, self.full - first)
        xs, ys = stacked_batches(self.batches, first, real)
        if real < self.steps:  # the epoch's last call: copies of its last batch, skipped
            pad = self.steps - real
            xs = np.concatenate([xs, np.repeat(xs[-1:], pad, axis=0)])
            ys = np.concatenate([ys, np.repeat(ys[-1:], pad, axis=0)])
        extra = {"real": np.arange(self.steps) < real}
        if index == self.chunks - 1 and len(self.batches) > self.full and not self.tail_alone:
            extra["tail_x"], extra["tail_y"] = self.batches[self.full]
        return xs, ys, extra


class FusedSteps(keras.Model):
    """``inner`` as ``fit`` trains it on JAX, K steps per compiled call. Its ``call`` takes
    any leading dimensions (K batches, or one), so evaluation and prediction run as usual."""

    def __init__(self, inner: keras.Model, **kwargs: object) -> None:
        super().__init__(name=f"{inner.name}_fused", **kwargs)
        self.inner = inner

    def call(self, x, training=None):
        lead = tuple(x.shape[:-3])
        out = self.inner(ops.reshape(x, (-1, *x.shape[-3:])), training=training)
        return ops.reshape(out, (*lead, out.shape[-1]))

    def train_step(self, state, data):
        import jax

        keras_step = super().train_step  # Keras' own step, one batch: (logs, state)
        xs, ys, extra = data
        logs, state = keras_step(state, (xs[0], ys[0]))  # a call's first batch is real

        def step(carry, batch):
            state, logs = carry
            x, y, real = batch
            taken = lambda: keras_step(state, (x, y))[::-1]  # noqa: E731
            return jax.lax.cond(real, taken, lambda: (state, logs)), None

        (state, logs), _ = jax.lax.scan(step, (state, logs),
                                        (xs[1:], ys[1:], extra["real"][1:]))
        if "tail_x" in extra:
            logs, state = keras_step(state, (extra["tail_x"], extra["tail_y"]))
        return logs, state
