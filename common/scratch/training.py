"""The train and test entry points of the from-scratch experiments: NumPy does every step;
the trained network is saved as a stock Keras .h5 (``keras_io``) and recorded like every
other run, with a backup each epoch that the same command resumes from."""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np

from common.basics.errors import UserError, exit_on_user_error
from common.basics.files import atomic_path
from common.basics.hardware import machine_busy_seconds
from common.basics.options import add_options, from_args
from common.basics.paths import MODELS_DIR, relative
from common.basics.provenance import git_commit
from common.config.run_options import recipe_option
from common.data.datasets import get_dataset
from common.data.loading import load, scale
from common.evaluation.evaluate import evaluate, record_test
from common.records.export import save_model, write_train_record
from common.records.model_io import load_h5
from common.records.recipes import recipe
from common.records.store import cpu_use, read_history, train_record
from common.scratch.keras_io import from_keras, to_keras
from common.scratch.network import Network
from common.scratch.optimizers import OPTIMIZERS
from common.scratch.profile import profile
from common.scratch.recipe import ScratchRun, ScratchSettings
from common.training.checkpoints import claim, reported_write_errors, start_or_resume

TRAIN_SAMPLE = 1000  # training images whose accuracy is logged after each epoch (the book's)
AGREEMENT = 1e-5  # the .h5 must give the NumPy network's probabilities to this


def parse(name: str, settings: ScratchSettings, variants: Sequence[ScratchSettings],
          argv: Sequence[str] | None, test: bool) -> tuple[ScratchSettings, argparse.Namespace]:
    named = {"default": settings, **{v.variant: v for v in variants}}
    pick = recipe_option(named)  # the Keras steps' --recipe, as they offer it
    chosen = named[pick.parse_known_args(argv)[0].recipe]
    stem = chosen.file_stem(name)
    parser = argparse.ArgumentParser(
        prog=f"python -m experiments.{name}.{'test' if test else 'train'}", parents=[pick],
        description=(f"Evaluate saved_models/{stem}.h5 on the MNIST test images with the "
                     f"forward pass in NumPy; writes a test record to results/{name}/."
                     if test else
                     f"Train {name} ({chosen.idea}) in NumPy on MNIST; saves "
                     f"saved_models/{stem}.h5 (a stock Keras file), a run record and curves "
                     f"in results/{name}/; a backup each epoch that the same command resumes "
                     f"from."))
    if test:
        parser.add_argument("--model", type=Path, default=MODELS_DIR / f"{stem}.h5",
                            help="the .h5 to evaluate (default %(default)s)")
        parser.add_argument("--data", help="'keras', 'auto', a folder, archive or .npz")
        parser.add_argument("--results-dir", type=Path, default=ScratchRun.results_dir,
                            help=argparse.SUPPRESS)
    else:
        add_options(parser, chosen)
        add_options(parser, ScratchRun())
    args = parser.parse_args(argv)
    return (chosen if test else from_args(chosen, args)), args


def train_main(name: str, build_model: Callable[..., Network], settings: ScratchSettings,
               variants: Sequence[ScratchSettings] = (), argv: Sequence[str] | None = None
               ) -> None:
    chosen, args = parse(name, settings, variants, argv, test=False)
    default = next(v for v in (settings, *variants) if v.variant == chosen.variant)
    run = from_args(ScratchRun(), args)
    exit_on_user_error(lambda: profile(name, build_model, chosen, run) if run.profile
                       else train(name, build_model, chosen, run, default))


def train(name: str, build_model: Callable[..., Network], settings: ScratchSettings,
          run: ScratchRun, default: ScratchSettings | None = None) -> dict:
    commit, wall_start = git_commit(), time.perf_counter()
    data = load(get_dataset(settings.dataset), run.data)
    x, y = scale(data.x_train[:run.limit]), data.y_train[:run.limit]
    network = build_model(seed=run.seed, **settings.network_options)
    optimizer = OPTIMIZERS[settings.optimizer](settings.learning_rate)
    stem = settings.file_stem(name, default, run.limit)
    state_dir = run.model_dir / "checkpoints" / f"{stem}-seed{run.seed}"
    lock = claim(state_dir)
    try:
        if run.fresh:
            for path in state_dir.iterdir():
                if path.name != "owner.json":
                    shutil.rmtree(path) if path.is_dir() else path.unlink()
        backup = start_or_resume(state_dir, {**settings.describe(), "seed": run.seed,
                                             "limit": run.limit}, {})
        with reported_write_errors(state_dir):
            history = fit(network, optimizer, settings, run.seed, x, y, state_dir)
            return finish(name, settings, run, stem, network, history, data, backup,
                          {"commit": commit, "wall_start": wall_start, "state_dir": state_dir})
    finally:
        lock.release()


def fit(network: Network, optimizer, settings: ScratchSettings, seed: int, x: np.ndarray,
        y: np.ndarray, state_dir: Path) -> dict[str, list[float]]:
    """Mini-batch training, one epoch after another from where the backup left off; each
    epoch's order and dropout masks come from (seed, epoch), so a resumed run is the same."""
    history = read_history(state_dir / "history.csv")
    done = len(history.get("loss", []))
    if done:
        restore(network, optimizer, state_dir / "backup.npz")
    steps = len(x) // settings.batch_size
    if steps == 0:
        raise UserError(f"{len(x)} training images make no batch of {settings.batch_size}")
    sample = slice(0, min(TRAIN_SAMPLE, len(x)))
    for epoch in range(done, settings.epochs):
        print(f"Epoch {epoch + 1}/{settings.epochs}")
        order = np.random.default_rng([seed, epoch]).permutation(len(x))
        for index, layer in enumerate(network.layers):  # each dropout layer its own masks
            if hasattr(layer, "rng"):
                layer.rng = np.random.default_rng([seed, epoch, 1, index])
        # a bar on a terminal, one line per epoch in a log file (as Keras' fit)
        bar = keras.utils.Progbar(steps, verbose=1 if sys.stdout.isatty() else 2)
        start, cpu, total, block, curve = time.perf_counter(), time.process_time(), 0.0, [], []
        busy = machine_busy_seconds()  # every process's: did the run have the machine?
        for step in range(steps):
            batch = order[step * settings.batch_size:(step + 1) * settings.batch_size]
            loss = network.gradient(x[batch], y[batch])
            optimizer.update(network.params, network.grads)
            total += loss
            block.append(loss)
            if settings.log_every and len(block) == settings.log_every:
                curve.append(float(np.mean(block)))
                block = []
            bar.update(step + 1, [("loss", loss)])  # shown: the epoch's mean so far
        if settings.log_every and block:  # an epoch's last steps, fewer than log_every
            curve.append(float(np.mean(block)))
        row = {"epoch": epoch, "loss": total / steps,
               "accuracy": network.accuracy(x[sample], y[sample]),
               "seconds": round(time.perf_counter() - start, 3),
               "cpu_seconds": round(time.process_time() - cpu, 2)}
        if busy is not None and (now := machine_busy_seconds()) is not None:
            row["machine_cpu_seconds"] = round(now - busy, 2)
        print(f"training accuracy {row['accuracy']:.4f} (first {sample.stop} images), "
              f"{row['seconds'] / steps * 1000:.0f} ms a step")
        save_backup(network, optimizer, state_dir / "backup.npz")
        for loss in curve:  # written with the epoch, so a resumed epoch never repeats them
            _append(state_dir / "loss_curve.csv", {"loss": loss})
        _append(state_dir / "history.csv", row)
        for key, value in row.items():
            history.setdefault(key, []).append(value)
    history.pop("epoch", None)
    return history


def save_backup(network: Network, optimizer, path: Path) -> None:
    arrays = {f"param/{k}": p for k, p in network.params.items()}
    arrays |= {f"buffer/{k}": b for k, b in network.buffers.items()}
    arrays |= {f"optimizer/{group}/{k}": a for group, state in optimizer.state.items()
               for k, a in state.items()}
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)


def restore(network: Network, optimizer, path: Path) -> None:
    with np.load(path) as saved:
        for key, p in {**network.params, **network.buffers}.items():
            p[...] = saved[f"param/{key}" if f"param/{key}" in saved else f"buffer/{key}"]
        for key in saved.files:
            if key.startswith("optimizer/"):
                _, group, name = key.split("/", 2)
                optimizer.state[group][name] = saved[key].copy()


def _append(path: Path, row: dict) -> None:
    new = not path.is_file()
    with path.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)


def finish(name: str, settings: ScratchSettings, run: ScratchRun, stem: str, network: Network,
           history: dict, data, backup: dict, made: dict) -> dict:
    """Save the .h5 (checked against the NumPy network on the test images), record, clean."""
    model_path = run.model_dir / f"{stem}.h5"
    model = to_keras(network, stem)
    x_test = scale(data.x_test)
    difference = float(np.abs(model.predict(x_test, batch_size=1000, verbose=0)
                              - network.predict(x_test)).max())
    if difference > AGREEMENT:
        raise RuntimeError(f"the Keras copy differs from the NumPy network by {difference}")
    save_model(model, model_path)
    steps = settings.epochs * (min(len(data.x_train), run.limit or len(data.x_train))
                               // settings.batch_size)
    seconds = sum(history["seconds"])
    data_record = {**data.describe(), "train": len(data.x_train[:run.limit]),
                   "validation": 0, "test": len(data.x_test), "limit": run.limit}
    described = settings.describe()
    loss_curve = ({"loss_curve": {"every": settings.log_every, "loss": [
        round(v, 5) for v in read_history(made["state_dir"] / "loss_curve.csv").get("loss", [])]}}
        if settings.log_every else {})
    record_path = write_train_record(train_record(
        experiment=name, idea=settings.idea, target=settings.target, seed=run.seed,
        data=data_record, settings=described,
        recipe=recipe(described, data_record, settings.network),
        params=network.count_params(), epochs_run=settings.epochs,
        train_seconds=round(seconds, 1),
        wall_seconds=round(time.perf_counter() - made["wall_start"], 1),
        target_source=settings.target_source, best_epoch=settings.epochs,
        train_accuracy=history["accuracy"][-1], **cpu_use(history),
        ms_per_step=round(seconds / steps * 1000, 1),
        # None where the epochs' times round to 0 (a few steps of tiny data)
        images_per_second=round(steps * settings.batch_size / seconds) if seconds else None,
        keras_max_difference=difference, **loss_curve,
        resumed=backup["resumed"], started=backup["started"],
    ), made["commit"], model_path, history, made["state_dir"] / "history.csv",
        run.results_dir, f"train-{backup['started_stamp']}-seed{run.seed}", backend="numpy")
    shutil.rmtree(made["state_dir"], ignore_errors=True)
    print(f"\n{settings.epochs} epochs in {seconds:.0f} s ({seconds / steps * 1000:.0f} ms a "
          f"step); saved {relative(model_path)} (its Keras predictions agree to "
          f"{difference:.1e}) and {relative(record_path)}")
    option = "" if stem == name else f" --model {relative(model_path)}"
    print(f"next: python -m experiments.{name}.test{option}")
    return json.loads(record_path.read_text())


def evaluate_main(name: str, settings: ScratchSettings, variants: Sequence[ScratchSettings] = (),
              argv: Sequence[str] | None = None) -> None:
    chosen, args = parse(name, settings, variants, argv, test=True)
    exit_on_user_error(lambda: evaluate_saved(name, chosen, args))


def evaluate_saved(name: str, settings: ScratchSettings, args: argparse.Namespace) -> dict:
    """The forward pass in NumPy, on the weights read from the .h5."""
    model = load_h5(args.model, f"python -m experiments.{name}.train")
    network = from_keras(model)
    data = load(get_dataset(settings.dataset), args.data)
    result = evaluate(network, data.x_test, data.y_test, data.dataset.class_names)
    return record_test(name, result, data, args.model, network.count_params(), "float32",
                       args.results_dir, forward="NumPy")
