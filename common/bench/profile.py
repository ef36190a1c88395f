"""A profile of training steps as a TensorBoard trace (JAX's profiler): where a step's time
goes on the device, and what the host does between calls.

    python -m common.bench.profile --experiments exp04_augmentation exp07_speedrun --steps 50

Each experiment's training model (as ``fit`` trains it, K steps a call: ``--steps-per-call``,
auto as in training) runs a compiling epoch, then ``--steps`` steps inside
``jax.profiler.trace``; ``tensorboard --logdir OUT`` shows them (Profile tab).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

import keras

from common.basics.options import auto_or_positive_int
from common.bench.fusion import training_setup
from common.config.registry import experiment_names, find_experiment
from common.data.datasets import get_dataset
from common.data.loading import load, one_hot, scale
from common.models.precision import resolve_precision
from common.training.checkpoints import EpochKeyedRandomness
from common.training.fused_steps import steps_per_call


def profile(name: str, steps: int, out: Path, choice: str = "auto",
            data: str | None = None) -> Path:
    """Trace ``steps`` training steps of experiment ``name`` into ``out/<name>``."""
    import jax

    experiment = find_experiment(name)
    settings = experiment.settings
    splits = load(get_dataset(settings.dataset), data)
    k = steps_per_call(choice, settings.lookahead and settings.lookahead.every, 1)
    k = min(k, steps)
    images = settings.batch_size * k * math.ceil(steps / k)  # whole calls, no short batch
    x, y = splits.x_train[:images], splits.y_train[:images]
    classes = splits.dataset.num_classes
    validation = (scale(splits.x_test[:64]), one_hot(splits.y_test[:64], classes))
    fitted, inputs, batches = training_setup(experiment, x, y, validation, k,
                                             resolve_precision("auto"), 2)
    keep_seeds = [EpochKeyedRandomness(batches)]
    fitted.fit(inputs, epochs=1, shuffle=False, verbose=0, callbacks=keep_seeds)  # compiles
    folder = out / name
    with jax.profiler.trace(str(folder)):
        fitted.fit(inputs, epochs=2, initial_epoch=1, shuffle=False, verbose=0,
                   callbacks=keep_seeds)
    print(f"{name}: {len(batches)} steps, {k} a call, traced in {folder}")
    return folder


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m common.bench.profile",
        description="Trace training steps of each experiment with JAX's profiler, as "
                    "TensorBoard reads it (KERAS_BACKEND=jax).")
    parser.add_argument("--experiments", nargs="+", default=["exp04_augmentation"],
                        choices=experiment_names(), metavar="NAME",
                        help="whose training to trace (default %(default)s)")
    parser.add_argument("--steps", type=int, default=50,
                        help="training steps traced, after a compiling epoch "
                             "(default %(default)s)")
    parser.add_argument("--steps-per-call", default="auto", type=auto_or_positive_int,
                        metavar="K|auto", help="as in training (default %(default)s)")
    parser.add_argument("--data", default=None, help="as in training (default: auto)")
    parser.add_argument("--out", type=Path, default=Path("profile"),
                        help="the trace folder (default %(default)s)")
    args = parser.parse_args(argv)
    if keras.backend.backend() != "jax":
        parser.error("the profile is JAX's: run with KERAS_BACKEND=jax")
    for name in args.experiments:
        profile(name, args.steps, args.out, args.steps_per_call, args.data)


if __name__ == "__main__":
    main()
