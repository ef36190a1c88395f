"""How a run is set up: the one function training and every benchmark mode call, so what
is timed is what trains.

``prepare_run`` fits the recipe's ``initialize`` to the first training images, puts the
augmentation in front of a training copy of the network (``common.models.training_copy``),
compiles it with the recipe's optimizer, schedule and loss, and says what ``fit`` reads.
``steps_per_execution`` is the one place that decides how many steps Keras runs per
execution; ``common.training.fused_steps.steps_per_call`` decides K, the steps fused into
one compiled call (JAX's path on a GPU).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from common.config.settings import Settings
from common.data.loading import scale
from common.data.pipeline import EpochShuffledBatches, fit_inputs
from common.layers.optim import make_optimizer, make_schedule
from common.models.training_copy import training_copy
from common.training.fused_steps import FusedBatches, FusedSteps

# Training steps per Keras execution: fewer trips through Keras' Python loop (exp01 +5%,
# exp04 +5% on the AMD EPYC; results/bench/sweep-20261124-0146*.json). Callbacks and the
# progress bar see every 8th batch; the weights are the same. PyTorch allows only 1.
STEPS_PER_EXECUTION = 8
# Validation images per call when steps are fused (a GPU's path): few round trips
VALIDATION_BATCH = 1000
# Training images a recipe's ``initialize`` sees (a whitening layer needs a few thousand)
INITIALIZE_IMAGES = 5000


@dataclass
class PreparedRun:
    """What ``fit`` is given: the compiled model, its inputs, the validation batch size
    and the steps done after each item of an epoch (None: one step an item)."""
    fitted: keras.Model
    copy: keras.Model  # the training copy: its values go back into the stock network
    speedups: dict
    inputs: object
    validation_batch: int | None
    ends: list[int] | None


def prepare_run(network: keras.Model, settings: Settings, batches: EpochShuffledBatches,
                validation: tuple[np.ndarray, np.ndarray], precision: str, *,
                steps_per_call: int = 1, devices: int = 1, epochs: int | None = None,
                steps_per_execution: int | None = None, fused_bn: bool = True,
                fast_dropout: bool = True) -> PreparedRun:
    """Set up ``network`` to train on ``batches`` as ``settings`` trains it, for ``epochs``
    (default: the recipe's): its ``initialize`` first, then the compiled training copy."""
    if settings.initialize is not None:  # fitted to the images (a resumed run restores it)
        settings.initialize(network, scale(batches.x[:INITIALIZE_IMAGES]))
    total_steps = len(batches) * (settings.epochs if epochs is None else epochs)
    if steps_per_execution is None:
        steps_per_execution = default_steps_per_execution(settings, steps_per_call, devices)
    fitted, copy, speedups = training_model(network, settings, precision, total_steps,
                                            steps_per_execution, fused_bn, fast_dropout,
                                            steps_per_call)
    inputs, validation_batch, ends = fit_data(fitted, batches, validation, steps_per_call)
    return PreparedRun(fitted, copy, speedups, inputs, validation_batch, ends)


def default_steps_per_execution(settings: Settings, steps_per_call: int = 1,
                                devices: int = 1) -> int:
    """Keras' ``steps_per_execution`` for this recipe here: 1 where K steps are fused into
    each call already, on PyTorch (which allows only 1) and under TensorFlow's
    MirroredStrategy (Keras 3.15's multi-step loop fails there: placeholder not fed); a
    lookahead's period where the recipe has one (it acts between executions); else 8."""
    backend = keras.backend.backend()
    if steps_per_call > 1 or backend == "torch" or (devices > 1 and backend == "tensorflow"):
        return 1
    return settings.lookahead.every if settings.lookahead is not None else STEPS_PER_EXECUTION


def training_model(model: keras.Model, settings: Settings, precision: str, total_steps: int,
                   steps_per_execution: int | None = None, fused_bn: bool = True,
                   fast_dropout: bool = True, steps_per_call: int = 1
                   ) -> tuple[keras.Model, keras.Model, dict]:
    """What ``fit`` trains, compiled: the augmentation layers (if any) in front of a
    training copy of ``model``, taking ``steps_per_call`` steps per compiled call
    (``common.training.fused_steps``). Returns it, the copy, and the speed choices it runs
    with. ``steps_per_execution``: Keras' (default: ``default_steps_per_execution``).

    The augmentation layers are made before the copy, so they draw the random seeds they
    always drew (making the copy draws some too; its values are ``model``'s).
    """
    augmentation = settings.augmentation() if settings.augmentation is not None else []
    core, speedups = training_copy(model, precision, fused_bn, fast_dropout)
    trained = core
    if augmentation:
        trained = keras.Sequential([keras.Input(model.input_shape[1:]), *augmentation, core],
                                   name=f"{model.name}_train")
    lr = make_schedule(settings.schedule, settings.learning_rate, total_steps)
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=settings.label_smoothing)
    if steps_per_call > 1:  # K batches per call, and one call per Keras execution
        trained, steps_per_execution = FusedSteps(trained), 1
    if steps_per_execution is None:
        steps_per_execution = default_steps_per_execution(settings, steps_per_call)
    optimizer = make_optimizer(settings.optimizer, lr, settings.weight_decay,
                               settings.not_decayed)
    if precision == "mixed_float16":  # float16 gradients underflow without loss scaling;
        # Keras adds it only for a model whose own policy is mixed_float16, not for copies
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    trained.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"],
                    steps_per_execution=steps_per_execution)
    return trained, core, {**speedups, "steps_per_call": steps_per_call}


def fit_data(fitted: keras.Model, batches: EpochShuffledBatches, validation: tuple,
             steps: int) -> tuple:
    """What fit trains on, the validation batch size, and the steps done after each item
    of an epoch: one step per call as ever, or K batches per call with validation in large
    batches (few host round trips, one compilation each)."""
    if steps == 1:
        return fit_inputs(batches), None, None
    size = min(len(validation[0]), VALIDATION_BATCH)
    # Keras builds its metrics from the first item fit sees; a fused item is K batches,
    # so they are built here, on one validation batch
    fitted.evaluate(validation[0][:size], validation[1][:size], batch_size=size, verbose=0)
    fused = FusedBatches(batches, steps)
    return fused, size, fused.ends()
