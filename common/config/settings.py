"""An experiment's recipe (``Settings``): each setting declared once, here, with its
explanation (its command-line option, ``common.basics.options``) and what it means for a
run (``about``); a run's options and the command line are ``common.config.run_options``."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import Field, asdict, dataclass, field, fields, replace

import keras
import numpy as np

from common.basics.options import (
    fraction,
    name_of,
    non_negative_float,
    open_fraction,
    positive_float,
    positive_int,
)
from common.data.datasets import get_dataset
from common.layers.lookahead import Lookahead
from common.layers.optim import NOT_DECAYED, OPTIMIZERS, SCHEDULES, check_choice

KEPT = {"best": "best validation accuracy", "last": "last epoch"}  # Settings.keep, in words

# What a Settings field means for a run, declared on the field (its metadata) and read by
# every list derived from it (``recipe_fields``, ``quiet_fields``, ``earlier_values``):
#   recipe=False  it describes the step, it does not change what trains (idea, target, ...);
#   quiet=True    the record names it only when it is not the default, so the recipes
#                 recorded before it existed keep their identity;
#   before=value  what runs recorded (and backups made) before it existed ran with (a
#                 quiet field's is its default: records that lack it ran without it).
_MISSING = object()


def about(recipe: bool = True, quiet: bool = False, before: object = _MISSING,
          **option_metadata: object) -> dict:
    """Field metadata: what the field means for a run (above), and its command-line option
    (``common.basics.options.option``) where it has one."""
    meta: dict = {"recipe": recipe, "quiet": quiet, **option_metadata}
    if before is not _MISSING:
        meta["before"] = before
    return meta


@dataclass(frozen=True)
class Settings:
    """One experiment's recipe; the defaults of its command-line options."""

    # what this step adds, for the results table
    idea: str = field(metadata=about(recipe=False))
    # test accuracy the slides (or target_source) report; None: none
    target: float | None = field(metadata=about(recipe=False))
    # a name in common.data.datasets.DATASETS
    dataset: str = field(metadata=about(before="cifar10"))
    epochs: int = field(metadata=about(help="passes over the training images",
                                       type=positive_int))
    batch_size: int = field(metadata=about(help="images per training step", type=positive_int))
    learning_rate: float = field(default=1e-3, metadata=about(
        help="the optimizer's initial learning rate", flag="--lr", type=positive_float))
    optimizer: str | Callable[..., keras.optimizers.Optimizer] = field(
        default="adam", metadata=about(before="adam", help="adam (the slides'), sgd (Nesterov "
                                       "momentum 0.9), or the recipe's own",
                                       choices=OPTIMIZERS))
    schedule: str | Callable = field(default="cosine", metadata=about(
        help="learning rate over the run: cosine (decays to 0), "
        "warmup_cosine (rises from 0 over the first 5%%, then cosine), constant (the "
        "slides'), or the recipe's own", choices=SCHEDULES))
    val_fraction: float = field(default=0.1, metadata=about(
        help="share of each class held out for validation (the slides' "
        "validation_split)", type=open_fraction))
    keep: str = field(default="best", metadata=about(
        before="best", help="which epoch's weights to save: best validation accuracy, or the "
        "last epoch (with a cosine schedule the run ends at learning rate 0)", choices=KEPT))
    labels_per_class: int | None = field(default=None, metadata=about(
        quiet=True, help="train on only this many labelled images of each "
        "class (scarce labels; the same images for every seed); the model is saved as "
        "<name>-<N>.h5", type=positive_int, metavar="N"))
    label_smoothing: float = field(default=0.0, metadata=about(
        before=0.0, help="e in targets 1 - e + e/classes and e/classes", type=fraction))
    weight_decay: float = field(default=0.0, metadata=about(
        before=0.0, help="decoupled weight decay on the kernels, AdamW's: each step shrinks "
        "them by lr x this", type=non_negative_float))
    # Variables weight decay leaves alone, by name. The speed run decays BatchNormalization's
    # shifts too (its recipe was tuned that way). Not an option: part of the recipe.
    not_decayed: tuple[str, ...] = field(default=NOT_DECAYED,
                                         metadata=about(quiet=True))
    # Random image transforms applied during training only (Keras preprocessing layers).
    augmentation: Callable[[], list[keras.layers.Layer]] | None = field(
        default=None, metadata=about())
    # The input pipeline mirrors every image in every other epoch, each starting from a
    # random side (common.data.pipeline): in place of a RandomFlip layer. Part of the recipe.
    alternate_flips: bool = field(default=False, metadata=about(quiet=True))
    # Sets weights from training images (float32 in [0, 1]) before the first step, e.g. a
    # whitening first layer: initialize(network, images). Not an option: part of the recipe.
    initialize: Callable[[keras.Model, np.ndarray], None] | None = field(
        default=None, metadata=about(quiet=True))
    # The saved .h5, made from the trained network: e.g. test-time flip averaging around it
    # (stock layers, so plain Keras still loads it). None: the network itself.
    inference: Callable[[keras.Model], keras.Model] | None = field(
        default=None, metadata=about(quiet=True))
    # Pull the weights back to a slow average of them every few steps
    # (common.layers.lookahead).
    lookahead: Lookahead | None = field(default=None, metadata=about(quiet=True))
    # Who set ``target``: the lecture slides, or (where they give none) another source.
    target_source: str = field(default="the slides", metadata=about(recipe=False, quiet=True))
    # The machine and time the recipe was made for, e.g. "2 CPU cores · 60 min" or
    # "one GPU · 2 min": its epochs are what that budget holds. None: not made to a budget.
    budget: str | None = field(default=None, metadata=about(recipe=False, quiet=True))
    # A named variant of the step's recipe (e.g. "slides": the lecture's own recipe, run
    # beside ours with --recipe slides); saved as <name>-<variant>.h5, a row of its own.
    variant: str | None = field(default=None, metadata=about(recipe=False, quiet=True))

    def __post_init__(self) -> None:
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("schedule", self.schedule, SCHEDULES)
        get_dataset(self.dataset)
        if self.keep not in KEPT:
            raise ValueError(f"unknown keep {self.keep!r}: use one of {sorted(KEPT)}")
        if not 0 < self.val_fraction < 1:  # the curve, and "best", need a validation set
            raise ValueError(f"val_fraction must be between 0 and 1, got {self.val_fraction}")

    def describe(self) -> dict:
        """JSON-ready settings for the run record: every field, but a quiet one at its
        default (``quiet_fields``); functions by their names, augmentation by its layers."""
        out = asdict(self)
        for name in quiet_fields():
            if getattr(self, name) == _default(name):
                del out[name]
        for name in ("optimizer", "schedule", "initialize", "inference"):
            if name in out:
                out[name] = name_of(out[name])
        if "not_decayed" in out:
            out["not_decayed"] = list(self.not_decayed)
        if self.augmentation is not None:
            out["augmentation"] = [_layer_summary(layer) for layer in self.augmentation()]
        return out

    def recipe_part(self) -> dict:
        """What of ``describe`` makes the recipe: what trains, not what describes the step
        (``recipe_fields``)."""
        recipe = set(recipe_fields())
        return {k: v for k, v in self.describe().items() if k in recipe}

    def file_stem(self, name: str, default: Settings | None = None, limit: int | None = None
                  ) -> str:
        """What experiment ``name`` saves this recipe as: ``<name>``, with its variant
        (``-slides``) and label budget (``-25``): each its own .h5 and row. Options that
        differ from the ``default`` recipe, and a ``limit``, are named too
        (``exp01_baseline-epochs1-limit512``): a quick look never replaces the step's .h5."""
        parts = [name, self.variant, self.labels_per_class]
        if default is not None:
            parts += [f"{_flag(f)}{_short(getattr(self, f.name))}" for f in fields(self)
                      if "help" in f.metadata and f.name != "labels_per_class"
                      and _short(getattr(self, f.name)) != _short(getattr(default, f.name))]
        parts.append(limit and f"limit{limit}")
        return "-".join(str(p) for p in parts if p is not None and p != "")

    def saved_model(self, network: keras.Model) -> keras.Model:
        """What the .h5 holds for this trained ``network``."""
        return network if self.inference is None else self.inference(network)


def recipe_fields() -> tuple[str, ...]:
    """The Settings fields that make a recipe (``recipe`` in their metadata)."""
    return tuple(f.name for f in fields(Settings) if f.metadata["recipe"])


def quiet_fields() -> tuple[str, ...]:
    """The fields a record names only away from their default (``quiet``)."""
    return tuple(f.name for f in fields(Settings) if f.metadata["quiet"])


def earlier_values(backups: bool = False) -> dict:
    """What runs recorded before a field existed ran with (``before``), as records write
    them; for ``backups`` (the resume key) also every quiet field's default, which a
    record leaves out but a backup names."""
    values = {f.name: f.metadata["before"] for f in fields(Settings) if "before" in f.metadata}
    if backups:
        values |= {name: _default(name) for name in quiet_fields()}
    return json.loads(json.dumps(values, default=str))  # as JSON reads it back: lists


def _default(name: str) -> object:
    return next(f.default for f in fields(Settings) if f.name == name)


def slides_recipe(settings: Settings, **changes: object) -> Settings:
    """The lecture slides' own training recipe for the step ``settings`` trains (its
    network, dataset and target), as a variant named "slides" (``--recipe slides``):
    Adam at its defaults (learning rate 1e-3, constant), batch 32, 25 epochs, no label
    smoothing or weight decay, 10% held out for validation (the slides'
    ``validation_split=0.1``; here a class-balanced tenth, ``common.data.pipeline``), and the
    last epoch's weights (``fit`` returns those). ``changes`` are the step's own on top."""
    slides = {"epochs": 25, "batch_size": 32, "learning_rate": 1e-3, "optimizer": "adam",
              "schedule": "constant", "label_smoothing": 0.0, "weight_decay": 0.0,
              "val_fraction": 0.1, "keep": "last", "budget": None, "augmentation": None,
              "alternate_flips": False, "lookahead": None}
    return replace(settings, variant="slides", idea=f"{settings.idea}: the slides' recipe",
                   **{**slides, **changes})


def _flag(f: Field) -> str:
    return f.metadata.get("flag", "--" + f.name.replace("_", "-")).removeprefix("--")


def _short(value: object) -> str:
    if isinstance(value, float):
        return format(value, "g")
    return name_of(value) if callable(value) else str(value)


def _layer_summary(layer: keras.layers.Layer) -> dict:
    config = {k: v for k, v in layer.get_config().items()
              if k not in ("name", "trainable", "dtype", "seed", "data_format")}
    return {"layer": type(layer).__name__, **config}
