"""The train entry point every experiment shares.

An experiment's ``train.py`` holds its ``Settings`` and calls ``train_main``. A run:
loads CIFAR-10, splits off a class-balanced validation set, trains with Adam and Keras
progress bars, backs itself up every epoch (rerun the same command to resume), keeps
the epoch with the best validation accuracy (or the last one), saves
``saved_models/<name>.h5`` and writes a run record, the per-epoch CSV and a curves plot
to ``results/<name>/``.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import math
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import keras
import numpy as np

from common import plots
from common.data import CLASS_NAMES, DATA_ENV, load_cifar10, one_hot, scale, train_val_split
from common.errors import UserError, exit_on_user_error
from common.fast_dropout import fast_dropout
from common.files import atomic_path, sha256_of, write_json_atomic
from common.fused_batchnorm import fused_batchnorm
from common.model_io import save_h5
from common.precision import PRECISIONS, resolve_precision
from common.records import (
    MODELS_DIR,
    RESULTS_DIR,
    command_line,
    data_source,
    environment,
    git_commit,
    now_iso,
    relative,
    stamp,
    write_record,
)

if TYPE_CHECKING:  # for annotations only: TensorFlow is imported where it is used
    import tensorflow as tf

# The optimizers a recipe can name. SGD: with it, L2 acts as plain weight decay.
OPTIMIZERS: dict[str, Callable[..., keras.optimizers.Optimizer]] = {
    "adam": keras.optimizers.Adam,
    "sgd": lambda learning_rate, **kw: keras.optimizers.SGD(learning_rate, momentum=0.9,
                                                            nesterov=True, **kw),
}
# Weight decay shrinks kernels only: biases and BatchNormalization's scale and shift stay free.
NOT_DECAYED = ["bias", "gamma", "beta"]


KEPT = {"best": "best validation accuracy", "last": "last epoch"}  # Settings.keep, in words
# Training steps per call into the compiled graph: fewer trips through Keras' Python loop
# (exp01 +5%, exp04 +5% on the AMD EPYC; results/bench/sweep-20261124-0146*.json). Callbacks
# and the progress bar see every 8th batch; the weights are the same. PyTorch allows only 1.
STEPS_PER_EXECUTION = 8


@dataclass(frozen=True)
class Settings:
    """One experiment's recipe; the defaults of its command-line options."""

    idea: str  # what this step adds, for the results table
    target: float  # test accuracy the slides report for this step
    epochs: int
    batch_size: int
    learning_rate: float = 1e-3  # Adam's default, as in the slides
    # "adam" (the slides'), or "sgd": Nesterov momentum 0.9, where L2 acts as plain weight
    # decay (Adam rescales the L2 gradient per weight, which weakens it).
    optimizer: str = "adam"
    schedule: str = "cosine"  # "cosine": decay to 0 over the run; "constant": the slides'
    val_fraction: float = 0.1  # the slides' validation_split
    # Which epoch's weights to save: "best" validation accuracy (the slides' checkpoint),
    # or "last": with a cosine schedule the run ends at learning rate 0, so the last epoch
    # needs no selection and a small validation set only has to show the curve.
    keep: str = "best"
    label_smoothing: float = 0.0  # targets 1 - e + e/10 and e/10: curbs overconfidence
    # Decoupled weight decay (AdamW's): each step also shrinks every kernel by
    # learning rate x weight_decay, apart from the loss, so Adam cannot rescale it away.
    weight_decay: float = 0.0
    # Random image transforms applied during training only (Keras preprocessing layers).
    augmentation: Callable[[], list[keras.layers.Layer]] | None = None

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}: use one of "
                             f"{sorted(OPTIMIZERS)}")
        if self.keep not in KEPT:
            raise ValueError(f"unknown keep {self.keep!r}: use one of {sorted(KEPT)}")
        if not 0 < self.val_fraction < 1:  # the curve, and "best", need a validation set
            raise ValueError(f"val_fraction must be between 0 and 1, got {self.val_fraction}")

    def describe(self) -> dict:
        """JSON-ready settings for the run record."""
        out = asdict(self)
        if self.augmentation is not None:
            out["augmentation"] = [_layer_summary(layer) for layer in self.augmentation()]
        return out


def _layer_summary(layer: keras.layers.Layer) -> dict:
    config = {k: v for k, v in layer.get_config().items()
              if k not in ("name", "trainable", "dtype", "seed", "data_format")}
    return {"layer": type(layer).__name__, **config}


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


class EpochStats(keras.callbacks.Callback):
    """Add the epoch's wall time and learning rate to the logs, so the CSV keeps them;
    ``epoch_seconds`` keeps the unrounded times (the benchmark's)."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch_seconds: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch_seconds.append(time.perf_counter() - self._start)
        if logs is not None:
            logs["seconds"] = round(self.epoch_seconds[-1], 2)
            lr = self.model.optimizer.learning_rate
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(lr))


class EpochShuffledBatches(keras.utils.PyDataset):
    """Training batches (pixels scaled to [0, 1], one-hot labels), reshuffled every epoch.

    The order is drawn from (seed, epoch), not from a running random state, so a resumed
    run sees exactly the batches the uninterrupted run would have seen.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int) -> None:
        super().__init__()
        self.x, self.y, self.batch_size, self.seed = x, y, batch_size, seed
        self._order_variable = None  # the order as tf_dataset() reads it
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        self.order = np.random.default_rng([self.seed, epoch]).permutation(len(self.x))
        if self._order_variable is not None:
            self._order_variable.assign(self.order)

    def tf_dataset(self) -> tf.data.Dataset:
        """The same batches, in the same order, as an in-graph tf.data pipeline.

        TensorFlow backend only. Keras feeds a PyDataset (and arrays) through an autotuned
        tf.data pipeline, and on these CPUs some epochs ran at about 60% speed
        (results/bench/sweep-20261124-014546.json: 2 and 5 of 8 epochs; none here). The
        images stay uint8 in memory, each batch is gathered, scaled and one-hot encoded in
        the graph, and autotuning is off.
        """
        import tensorflow as tf

        if self._order_variable is None:
            self._order_variable = tf.Variable(self.order, trainable=False, name="order")
        order, size = self._order_variable, self.batch_size
        images = tf.constant(self.x)
        labels = tf.constant(self.y.reshape(-1).astype(np.int32))

        def batch(index: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            picked = order[index * size:(index + 1) * size]
            return (tf.cast(tf.gather(images, picked), tf.float32) / 255.0,
                    tf.one_hot(tf.gather(labels, picked), len(CLASS_NAMES)))

        options = tf.data.Options()
        options.autotune.enabled = False
        return (tf.data.Dataset.range(len(self)).map(batch).prefetch(2)
                .with_options(options))

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        batch = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        return scale(self.x[batch]), one_hot(self.y[batch])


def fit_inputs(batches: EpochShuffledBatches) -> EpochShuffledBatches | tf.data.Dataset:
    """What ``fit`` trains on: the in-graph pipeline on TensorFlow, else the PyDataset."""
    return batches.tf_dataset() if keras.backend.backend() == "tensorflow" else batches


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


def training_model(model: keras.Model, settings: Settings, learning_rate: float,
                   total_steps: int, steps_per_execution: int | None = None
                   ) -> keras.Model:
    """``model`` compiled for training, behind the augmentation layers if there are any.

    Augmentation wraps the model for training only: the saved .h5 stays the bare network.
    """
    trained = model
    if settings.augmentation is not None:
        trained = keras.Sequential([keras.Input(model.input_shape[1:]),
                                    *settings.augmentation(), model], name=f"{model.name}_train")
    lr = (keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=total_steps)
          if settings.schedule == "cosine" else learning_rate)
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=settings.label_smoothing)
    optimizer = make_optimizer(settings.optimizer, lr, settings.weight_decay)
    if steps_per_execution is None:
        steps_per_execution = 1 if keras.backend.backend() == "torch" else STEPS_PER_EXECUTION
    trained.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"],
                    steps_per_execution=steps_per_execution)
    return trained


Schedule = keras.optimizers.schedules.LearningRateSchedule


def make_optimizer(name: str, learning_rate: float | Schedule,
                   weight_decay: float = 0.0) -> keras.optimizers.Optimizer:
    """The optimizer a recipe names: "adam" or "sgd" (Nesterov momentum 0.9), with
    decoupled weight decay on the kernels when ``weight_decay`` > 0."""
    if not weight_decay:
        return OPTIMIZERS[name](learning_rate)
    optimizer = OPTIMIZERS[name](learning_rate, weight_decay=weight_decay)
    optimizer.exclude_from_weight_decay(var_names=NOT_DECAYED)
    return optimizer


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _number(accept: Callable[[float], bool], wording: str) -> Callable[[str], float]:
    """An argparse type: a float that ``accept`` allows, else "must be <wording>"."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan  # refused below: nan fails every comparison
        if not accept(value):
            raise argparse.ArgumentTypeError(f"must be {wording}, got {text!r}")
        return value
    return parse


_positive_float = _number(lambda v: 0 < v < math.inf, "a positive number")
_non_negative_float = _number(lambda v: 0 <= v < math.inf, "a number of at least 0")
_fraction = _number(lambda v: 0 <= v < 1, "at least 0 and below 1")


def parse_args(name: str, settings: Settings, argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"python -m experiments.{name}.train",
        description=f"Train {name} ({settings.idea}; the slides reach "
                    f"{settings.target:.0%}) and save saved_models/{name}.h5.",
        epilog="An interrupted run resumes from its last completed epoch when the same "
               "command is run again; --fresh discards that and starts over.")
    parser.add_argument("--epochs", type=_positive_int, default=settings.epochs)
    parser.add_argument("--batch-size", type=_positive_int, default=settings.batch_size)
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default=settings.optimizer,
                        help="adam, or sgd with Nesterov momentum 0.9 (default %(default)s)")
    parser.add_argument("--lr", type=_positive_float, default=settings.learning_rate,
                        help="the optimizer's initial learning rate (default %(default)s)")
    parser.add_argument("--label-smoothing", type=_fraction, default=settings.label_smoothing,
                        help="e in targets 1 - e + e/10 and e/10 (default %(default)s)")
    parser.add_argument("--weight-decay", type=_non_negative_float, default=settings.weight_decay,
                        help="decoupled weight decay on the kernels, AdamW's: each step "
                             "shrinks them by lr x this (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--data", default=None,
                        help=f"'keras', 'auto', a folder, archive or .npz "
                             f"(default ${DATA_ENV}, else auto)")
    parser.add_argument("--limit", type=_positive_int, default=None,
                        help="train on only this many images (quick checks)")
    parser.add_argument("--fresh", action="store_true",
                        help="discard an interrupted run's backup and start over")
    parser.add_argument("--precision", default="auto", choices=PRECISIONS,
                        help="auto: mixed_float16 on a GPU, mixed_bfloat16 on a CPU with bf16 "
                             "instructions (AMX, AVX-512 BF16), else float32 (default auto); "
                             "the saved .h5 is float32 either way")
    parser.add_argument("--tensorboard", action="store_true",
                        help="also write TensorBoard logs to results/<name>/tensorboard")
    parser.add_argument("--model-dir", type=Path, default=MODELS_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def train_main(name: str, build_model: Callable[[], keras.Model], settings: Settings,
               argv: Sequence[str] | None = None) -> None:
    """Command-line entry: parse options, train, report problems as one line."""
    args = parse_args(name, settings, argv)
    exit_on_user_error(lambda: train(name, build_model, settings, args))


def train(name: str, build_model: Callable[[], keras.Model], settings: Settings,
          args: argparse.Namespace) -> dict:
    """Train and save one experiment; return its run record."""
    wall_start = time.perf_counter()
    commit = git_commit()  # the code this run starts with, before anyone edits it
    state_dir = args.model_dir / "checkpoints" / name  # backups of a run in progress
    if args.tensorboard and importlib.util.find_spec("tensorboard") is None:
        raise UserError("--tensorboard needs the tensorboard package: "
                        "pip install -r requirements.txt")
    if args.fresh:
        shutil.rmtree(state_dir, ignore_errors=True)
    data = load_cifar10(args.data)  # bad data fails here, before anything is written
    # the options that shape the run; added later, so a backup may lack them: their defaults
    added_later = {"label_smoothing": settings.label_smoothing, "optimizer": settings.optimizer,
                   "weight_decay": settings.weight_decay}
    settings = replace(settings, label_smoothing=args.label_smoothing, optimizer=args.optimizer,
                       weight_decay=args.weight_decay)
    options = {k: getattr(args, k) for k in ("epochs", "batch_size", "optimizer", "lr",
                                             "label_smoothing", "weight_decay", "seed", "data",
                                             "limit", "precision")}
    run = _start_or_resume(state_dir, options, added_later)

    keras.utils.set_random_seed(args.seed)
    train_idx, val_idx = train_val_split(data.y_train, settings.val_fraction)
    if args.limit:
        train_idx, val_idx = train_idx[:args.limit], val_idx[:max(args.limit // 9, 10)]
    batches = EpochShuffledBatches(data.x_train[train_idx], data.y_train[train_idx],
                                   args.batch_size, args.seed)
    x_val, y_val = scale(data.x_train[val_idx]), one_hot(data.y_train[val_idx])
    print(f"data: {data.source} - {len(train_idx)} train / {len(x_val)} validation / "
          f"{len(data.x_test)} test images")

    precision = resolve_precision(args.precision)
    keras.mixed_precision.set_global_policy(precision)
    try:
        model = build_model()
    finally:
        keras.mixed_precision.set_global_policy("float32")  # later builds: float32
    model.summary()
    trained = training_model(model, settings, args.lr, len(batches) * args.epochs)

    history_csv = state_dir / "history.csv"
    previous = _read_history(history_csv)  # a resumed run must beat its earlier best
    best = KeepWeights(state_dir / "kept.weights.h5",
                       max(previous.get("val_accuracy") or [-math.inf]), settings.keep == "last")
    # Order matters for kill -9: kept weights, then the backup, then the history line
    # that marks the epoch done.
    callbacks = [EpochKeyedRandomness(batches), StopOnNonFiniteLoss(), EpochStats(), best,
                 # two generations: a kill -9 while writing one leaves the other
                 keras.callbacks.BackupAndRestore(state_dir / "backup", double_checkpoint=True),
                 keras.callbacks.CSVLogger(history_csv, append=True)]
    if args.tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(args.results_dir / name / "tensorboard"))
    # Faster kernels, swapped in while fit traces its step; the .h5 stays stock Keras.
    with fused_batchnorm() as fused, fast_dropout() as fast:
        trained.fit(fit_inputs(batches), epochs=args.epochs, validation_data=(x_val, y_val),
                    callbacks=callbacks,
                    shuffle=False,  # the batches reshuffle themselves, keyed on the epoch
                    verbose=1 if sys.stdout.isatty() else 2)  # logs get a line per epoch

    history = _read_history(history_csv)
    best_epoch = (len(history["loss"]) if settings.keep == "last"
                  else int(np.argmax(history["val_accuracy"])) + 1)
    trained.load_weights(state_dir / "kept.weights.h5")
    # A fresh float32 copy: mixed precision keeps float32 weights, and the training compile
    # (label smoothing, decay, schedule) must not ride along. The slides' test script calls
    # evaluate(), which needs a loss and a metric: the plain ones.
    export = build_model()
    export.set_weights(model.get_weights())
    export.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model_path = save_h5(export, args.model_dir / f"{name}.h5")

    run_id = f"train-{run['started_stamp']}-seed{args.seed}"
    out_dir = args.results_dir / name
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(history_csv, out_dir / f"{run_id}.history.csv")
    plots.training_curves(history, f"{name}: {settings.idea}", out_dir / f"{run_id}.curves.png")
    record = {
        "kind": "train",
        "experiment": name,
        "idea": settings.idea,
        "target": settings.target,
        "command": command_line(),
        "commit": commit,
        "seed": args.seed,
        "data": {"source": data_source(data.source),
                 "train": len(train_idx), "validation": len(x_val), "test": len(data.x_test)},
        "settings": {**settings.describe(), "epochs": args.epochs, "batch_size": args.batch_size,
                     "learning_rate": args.lr, "precision": precision,
                     "batchnorm": "fused" if fused else "keras",
                     "dropout": "16-bit" if fast else "keras",
                     "loss": "categorical_crossentropy", "kept": KEPT[settings.keep]},
        "params": model.count_params(),
        "epochs_run": len(history["loss"]),
        "best_epoch": best_epoch,
        "val_accuracy": history["val_accuracy"][best_epoch - 1],
        "train_accuracy": history["accuracy"][best_epoch - 1],
        "train_seconds": round(sum(history["seconds"]), 1),
        "wall_seconds": round(time.perf_counter() - wall_start, 1),  # this invocation
        "resumed": run["resumed"],
        "started": run["started"],
        "finished": now_iso(),
        "model_file": relative(model_path),
        "model_sha256": sha256_of(model_path),
        "history_csv": f"{run_id}.history.csv",
        "curves_png": f"{run_id}.curves.png",
        **environment(),
    }
    record_path = write_record(args.results_dir, name, run_id, record)
    shutil.rmtree(state_dir, ignore_errors=True)  # finished: nothing left to resume
    print(f"\nkept epoch {best_epoch} of {record['epochs_run']} ({record['settings']['kept']}): "
          f"validation accuracy {record['val_accuracy']:.4f}; "
          f"training took {record['train_seconds']:.0f} s")
    print(f"saved {relative(model_path)} and {relative(record_path)}")
    print(f"next: python -m experiments.{name}.test")
    return record


def _start_or_resume(state_dir: Path, options: dict, added_later: dict) -> dict:
    """Create or reload the bookkeeping of a run that may be resumed later.

    added_later: options newer than some backups, with the value such a backup ran with.
    """
    state_file = state_dir / "run.json"
    if state_file.is_file() and not _read_history(state_dir / "history.csv"):
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


def _read_history(path: Path) -> dict[str, list[float]]:
    """Per-epoch metrics written by CSVLogger, as columns."""
    if not path.is_file():
        return {}
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else {})}
