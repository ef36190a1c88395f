"""A run's options (``RunOptions``) and the train command line: ``parse`` turns an
experiment's ``Settings`` (and its named variants, ``--recipe``) and the arguments into the
effective recipe and options."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from common.basics.options import (
    add_options,
    auto_or_positive_int,
    from_args,
    option,
    positive_int,
)
from common.basics.paths import MODELS_DIR, RESULTS_DIR
from common.config.settings import Settings
from common.data.datasets import get_dataset
from common.models.devices import devices_option
from common.models.precision import PRECISIONS


@dataclass(frozen=True)
class RunOptions:
    """How one run is made; nothing here changes what the recipe is, beside precision."""

    seed: int = field(default=0, metadata=option("random seed", type=int))
    data: str | None = field(default=None, metadata=option(
        "'keras', 'auto', a folder, archive or .npz (default ${data_env}, else auto)"))
    limit: int | None = field(default=None, metadata=option(
        "train on only this many images (quick checks)", type=positive_int))
    fresh: bool = field(default=False, metadata=option(
        "discard an interrupted run's backup and start over", action="store_true"))
    precision: str = field(default="auto", metadata=option(
        "auto: mixed_float16 on a GPU, mixed_bfloat16 on a CPU with bf16 instructions (AMX, "
        "AVX-512 BF16), else float32; the saved .h5 is float32 either way",
        choices=PRECISIONS))
    devices: str = field(default="1", metadata=option(
        "train data-parallel on N of this machine's devices, or all of them; the global "
        "batch and the recipe stay the same (JAX or TensorFlow; docs/devices.md)",
        type=devices_option, metavar="N|all"))
    steps_per_call: str = field(default="auto", metadata=option(
        "optimizer steps per compiled call: auto = 50 with JAX on one GPU (a lookahead "
        "recipe: its period), else 1; the same steps either way (docs/speed.md)",
        type=auto_or_positive_int, metavar="K|auto"))
    compile_cache: Path | None = field(default=None, metadata=option(
        "JAX: keep compiled steps in this folder, so a repeated run of a recipe skips "
        "compiling (off by default; JAX also reads $JAX_COMPILATION_CACHE_DIR)", type=Path))
    tensorboard: bool = field(default=False, metadata=option(
        "also write TensorBoard logs to results/<name>/tensorboard", action="store_true"))
    model_dir: Path = field(default=MODELS_DIR, metadata=option(
        argparse.SUPPRESS, type=Path))
    results_dir: Path = field(default=RESULTS_DIR, metadata=option(
        argparse.SUPPRESS, type=Path))
    # The recipe the options changed (the step's, or its --recipe variant): the saved
    # file's name says what differs from it (``Settings.file_stem``). Set by ``parse``.
    recipe_default: Settings | None = field(default=None, compare=False)


def parse(name: str, settings: Settings, argv: Sequence[str] | None,
          variants: Sequence[Settings] = ()) -> tuple[Settings, RunOptions]:
    """The effective recipe and run options of ``python -m experiments.<name>.train``;
    ``--recipe`` picks one of the named ``variants`` in place of ``settings``."""
    named = {"default": settings, **{v.variant: v for v in variants}}
    chosen = named[recipe_option(named).parse_known_args(argv)[0].recipe]
    parser = argparse.ArgumentParser(
        prog=f"python -m experiments.{name}.train", parents=[recipe_option(named)],
        description=f"Train {name} ({chosen.idea}{_target(chosen)}) "
                    f"on {get_dataset(chosen.dataset).title} and save "
                    f"saved_models/{chosen.file_stem(name)}.h5, a run record and curves "
                    f"in results/{name}/.",
        epilog="An interrupted run resumes from its last completed epoch when the same "
               "command is run again; --fresh discards that and starts over. Runs of "
               "other seeds train side by side, each with its own backup.")
    add_options(parser, chosen)
    add_options(parser, RunOptions(), {"data_env": get_dataset(chosen.dataset).data_env})
    args = parser.parse_args(argv)
    return from_args(chosen, args), replace(from_args(RunOptions(), args),
                                            recipe_default=chosen)


def recipe_option(named: dict[str, Settings]) -> argparse.ArgumentParser:
    """A parent parser of ``--recipe``: "default" or one of the ``named`` variants."""
    parser = argparse.ArgumentParser(add_help=False)
    if len(named) > 1:
        parser.add_argument("--recipe", choices=list(named), default="default", help=(
            "which recipe: default (the step's own) or " + ", ".join(
                f"{k} ({v.idea})" for k, v in named.items() if k != "default")
            + " (default %(default)s)"))
    else:
        parser.set_defaults(recipe="default")
    return parser


def _target(settings: Settings) -> str:
    return ("" if settings.target is None
            else f"; target {settings.target:.2%}, from {settings.target_source}")
