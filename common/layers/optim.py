"""Optimizers and learning-rate schedules a recipe can name, or supply itself.

``Settings.optimizer`` is a name below or a callable ``(learning_rate, **kwargs) ->
keras.optimizers.Optimizer`` (kwargs: ``weight_decay`` when the recipe decays); e.g.
``functools.partial(keras.optimizers.SGD, momentum=0.95)``. ``Settings.schedule`` is a
name below or a callable ``(learning_rate, total_steps) -> float | LearningRateSchedule``
(warm-up, one-cycle, ...). An unknown name is an error, never a silent constant rate.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import keras

Schedule = keras.optimizers.schedules.LearningRateSchedule
OptimizerFactory = Callable[..., keras.optimizers.Optimizer]
ScheduleFactory = Callable[[float, int], "float | Schedule"]

OPTIMIZERS: dict[str, OptimizerFactory] = {
    "adam": keras.optimizers.Adam,  # the slides'
    # Nesterov momentum 0.9: with SGD, L2 acts as plain weight decay
    "sgd": functools.partial(keras.optimizers.SGD, momentum=0.9, nesterov=True),
}


def _cosine(learning_rate: float, total_steps: int) -> Schedule:
    return keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=total_steps)


def _warmup_cosine(learning_rate: float, total_steps: int) -> Schedule:
    # Keras' own warm-up: linear from 0 over the first 5% of steps, then cosine to 0
    warmup = total_steps // 20
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=max(total_steps - warmup, 1), warmup_target=learning_rate,
        warmup_steps=warmup)


def _constant(learning_rate: float, total_steps: int) -> float:
    return learning_rate


SCHEDULES: dict[str, ScheduleFactory] = {
    "cosine": _cosine,  # decay to 0 over the run
    "constant": _constant,  # the slides'
    # for SGD at a high rate: random BatchNormalized weights take large first steps
    "warmup_cosine": _warmup_cosine,
}
# By default weight decay shrinks kernels only: biases and BatchNormalization's scale and
# shift stay free (a recipe can say otherwise: Settings.not_decayed).
NOT_DECAYED = ("bias", "gamma", "beta")


def check_choice(kind: str, choice: str | Callable, known: dict[str, Callable]) -> None:
    """Refuse an unknown name (ValueError) or something that is neither name nor callable."""
    if isinstance(choice, str):
        if choice not in known:
            raise ValueError(f"unknown {kind} {choice!r}: use one of {sorted(known)}, "
                             f"or give a callable")
    elif not callable(choice):
        raise ValueError(f"{kind} must be a name ({sorted(known)}) or a callable, "
                         f"got {choice!r}")


def make_schedule(choice: str | ScheduleFactory, learning_rate: float,
                  total_steps: int) -> float | Schedule:
    check_choice("schedule", choice, SCHEDULES)
    factory = SCHEDULES[choice] if isinstance(choice, str) else choice
    return factory(learning_rate, total_steps)


def make_optimizer(choice: str | OptimizerFactory, learning_rate: float | Schedule,
                   weight_decay: float = 0.0, not_decayed: Sequence[str] = NOT_DECAYED
                   ) -> keras.optimizers.Optimizer:
    """The optimizer a recipe names or supplies, with decoupled weight decay (AdamW's: each
    step also shrinks a variable by learning rate x weight_decay) when > 0, on every
    trainable variable not named in ``not_decayed`` (by default: the kernels only)."""
    check_choice("optimizer", choice, OPTIMIZERS)
    factory = OPTIMIZERS[choice] if isinstance(choice, str) else choice
    if not weight_decay:
        return factory(learning_rate)
    optimizer = factory(learning_rate, weight_decay=weight_decay)
    if not_decayed:
        optimizer.exclude_from_weight_decay(var_names=list(not_decayed))
    return optimizer


@keras.saving.register_keras_serializable(package="common")
class SGDFastShifts(keras.optimizers.SGD):
    """``keras.optimizers.SGD`` whose BatchNormalization shifts take larger steps.

    Behind BatchNormalization a kernel's scale does not matter, so its effective step is
    the learning rate relative to its norm (which weight decay keeps small); the shifts
    (``beta``) have no such normalisation. The speed-run recipes give them a rate
    ``shift_lr_scale`` times larger (airbench: 64). Every other variable steps as in SGD.
    """

    def __init__(self, learning_rate: float | Schedule = 0.01, shift_lr_scale: float = 1.0,
                 shift_names: tuple[str, ...] = ("beta",), **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        self.shift_lr_scale, self.shift_names = shift_lr_scale, tuple(shift_names)

    def build(self, variables: list) -> None:
        super().build(variables)
        # decided once per variable, in Python: the compiled step has no name lookups
        self._is_shift = [v.name in self.shift_names for v in variables]

    def update_step(self, gradient, variable, learning_rate) -> None:
        # The one private Keras API left: update_step gets TensorFlow's own tf.Variable on
        # that backend (not the Keras variable, whose name we know), and only the
        # optimizer's private index maps it back. tests/test_speedrun.py's
        # test_sgd_fast_shifts_moves_batchnorm_shifts_further_and_nothing_else fails on each
        # backend if Keras changes it.
        if self._is_shift[self._get_variable_index(variable)]:
            learning_rate = learning_rate * self.shift_lr_scale
        super().update_step(gradient, variable, learning_rate)

    def get_config(self) -> dict:
        return {**super().get_config(), "shift_lr_scale": self.shift_lr_scale,
                "shift_names": list(self.shift_names)}


@keras.saving.register_keras_serializable(package="common")
class WarmupLinearDecay(Schedule):
    """Linear from ``start`` x the rate up to the rate over the first ``warmup`` of the
    steps, then linear down to 0 at ``total_steps`` (airbench96's schedule; Keras has a
    linear warm-up only in front of a cosine)."""

    def __init__(self, learning_rate: float, total_steps: int, warmup: float = 0.1,
                 start: float = 0.2) -> None:
        self.learning_rate, self.total_steps = learning_rate, total_steps
        self.warmup, self.start = warmup, start

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        warmup = max(int(self.total_steps * self.warmup), 1)
        up = self.start + (1 - self.start) * step / warmup
        down = (self.total_steps - step) / max(self.total_steps - warmup, 1)
        return self.learning_rate * keras.ops.clip(
            keras.ops.where(step < warmup, up, down), 0.0, 1.0)

    def get_config(self) -> dict:
        return {"learning_rate": self.learning_rate, "total_steps": self.total_steps,
                "warmup": self.warmup, "start": self.start}
