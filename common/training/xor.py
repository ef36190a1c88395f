"""XOR, the decks' from-scratch lesson: four points that no straight line separates, so a
network needs a hidden layer. Shared by xor01_numpy (backpropagation by hand) and
xor02_keras (the same 2-2-1 network in Keras): the data, the starting weights, and the
train and test entry points with their records, like every experiment's."""

from __future__ import annotations

import argparse
import csv
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from common.basics import plots
from common.basics.errors import UserError, exit_on_user_error
from common.basics.options import add_options, from_args, option, positive_float, positive_int
from common.basics.paths import MODELS_DIR, RESULTS_DIR, relative
from common.basics.provenance import git_commit, stamp
from common.records.export import saved_file
from common.records.recipes import recipe
from common.records.store import new_record, train_record, write_record

POINTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
LABELS = np.array([0, 1, 1, 0])  # x1 XOR x2
DATA = {"dataset": "xor", "source": "the four points", "path": None,
        "sha256": hashlib.sha256(POINTS.tobytes() + LABELS.tobytes()).hexdigest(),
        "train": 4, "test": 4}
LOG_EVERY = 50  # steps between two points of the loss curve


def initial_weights(seed: int) -> list[np.ndarray]:
    """W1 (2, 2), b1 (2,), W2 (2, 1), b2 (1,): normal(0, 1) weights, zero biases. Both
    networks start here, so from one seed they take the same steps."""
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 1, (2, 2)), np.zeros(2), rng.normal(0, 1, (2, 1)), np.zeros(1)]


@dataclass(frozen=True)
class XorSettings:
    idea: str
    steps: int = field(metadata=option("gradient-descent steps, each on all four points",
                                       type=positive_int))
    learning_rate: float = field(metadata=option("step size", flag="--lr",
                                                 type=positive_float))
    seed: int = field(default=0, metadata=option("random seed of the starting weights",
                                                 type=int))
    target: float = 1.0  # all four points right
    target_source: str = "the decks"


@dataclass(frozen=True)
class Paths:
    model_dir: Path = field(default=MODELS_DIR, metadata=option(argparse.SUPPRESS, type=Path))
    results_dir: Path = field(default=RESULTS_DIR,
                              metadata=option(argparse.SUPPRESS, type=Path))


# fit(settings) -> (the trained network, its curve {"step", "loss", "accuracy"});
# save(network, path) writes it; load(path) -> predict(points) gives P(XOR = 1)
Fit = Callable[[XorSettings], tuple[object, dict[str, list[float]]]]


def train_main(name: str, settings: XorSettings, fit: Fit,
               save: Callable[[object, Path], None], suffix: str,
               argv: Sequence[str] | None = None) -> dict:
    """Train, save ``saved_models/<name><suffix>``, record, draw the loss curve."""
    parser = argparse.ArgumentParser(
        prog=f"python -m experiments.{name}.train",
        description=f"Train {name} ({settings.idea}) on the four XOR points and save "
                    f"saved_models/{name}{suffix}.")
    add_options(parser, settings)
    add_options(parser, Paths())
    args = parser.parse_args(argv)
    settings, paths = from_args(settings, args), from_args(Paths(), args)
    commit, start = git_commit(), time.perf_counter()
    network, curve = fit(settings)
    seconds = time.perf_counter() - start
    model_path = paths.model_dir / f"{name}{suffix}"
    model_path.parent.mkdir(parents=True, exist_ok=True)
    save(network, model_path)
    out_dir = paths.results_dir / name
    out_dir.mkdir(parents=True, exist_ok=True)
    run_id = f"train-{stamp()}-seed{settings.seed}"
    _write_curve(curve, out_dir / f"{run_id}.history.csv")
    plots.training_curves(curve, f"{name}: {settings.idea}", out_dir / f"{run_id}.curves.png",
                          x=curve["step"], xlabel="step")
    described = {"steps": settings.steps, "learning_rate": settings.learning_rate}
    record = new_record("train", commit, **train_record(
        experiment=name, idea=settings.idea, target=settings.target, seed=settings.seed,
        data=DATA, settings=described,
        recipe=recipe(described, DATA, "2-2-1 sigmoid"),
        params=9, epochs_run=settings.steps,
        train_seconds=round(seconds, 3), wall_seconds=round(seconds, 3),
        target_source=settings.target_source, best_epoch=settings.steps,
        train_accuracy=curve["accuracy"][-1], train_loss=curve["loss"][-1]),
        **saved_file(model_path), history_csv=f"{run_id}.history.csv",
        curves_png=f"{run_id}.curves.png")
    if suffix == ".npz":  # no Keras in the loop: the table says NumPy
        record["versions"]["backend"] = "numpy"
    path = write_record(paths.results_dir, name, run_id, record)
    print(f"{settings.steps} steps in {seconds:.1f} s: loss {curve['loss'][-1]:.4f}, "
          f"{curve['accuracy'][-1]:.0%} of the four points right")
    print(f"saved {relative(model_path)} and {relative(path)}\n"
          f"next: python -m experiments.{name}.test")
    return record


def test_main(name: str, load: Callable[[Path], Callable[[np.ndarray], np.ndarray]],
              suffix: str, argv: Sequence[str] | None = None) -> None:
    """Reload ``saved_models/<name><suffix>``, predict the four points, record."""
    parser = argparse.ArgumentParser(
        prog=f"python -m experiments.{name}.test",
        description=f"Predict the four XOR points with saved_models/{name}{suffix} and "
                    f"record the result.")
    parser.add_argument("--model", type=Path, default=MODELS_DIR / f"{name}{suffix}",
                        help="the saved network (default %(default)s)")
    add_options(parser, Paths())
    args = parser.parse_args(argv)
    exit_on_user_error(lambda: evaluate(name, load, args.model, args.results_dir))


def evaluate(name: str, load: Callable[[Path], Callable[[np.ndarray], np.ndarray]],
             model_path: Path, results_dir: Path) -> dict:
    if not Path(model_path).is_file():
        raise UserError(f"no saved network at {model_path}; train it first: "
                        f"python -m experiments.{name}.train")
    probabilities = np.asarray(load(model_path)(POINTS), dtype=np.float64).reshape(-1)
    predicted = (probabilities > 0.5).astype(int)
    for point, p, y in zip(POINTS.astype(int), probabilities, LABELS, strict=True):
        print(f"{point[0]} XOR {point[1]} = {y}: P(1) = {p:.4f} -> {int(p > 0.5)}")
    eps = 1e-7
    loss = float(-np.mean(LABELS * np.log(np.clip(probabilities, eps, 1))
                          + (1 - LABELS) * np.log(np.clip(1 - probabilities, eps, 1))))
    accuracy = float(np.mean(predicted == LABELS))
    record = new_record(
        "test", experiment=name, **saved_file(model_path), params=9,
        data={k: DATA[k] for k in ("dataset", "source", "sha256", "path", "test")},
        test_loss=loss, test_accuracy=accuracy, precision="float32",
        per_class_accuracy={str(c): float(np.mean(predicted[LABELS == c] == c))
                            for c in (0, 1)},
        probabilities=[round(float(p), 6) for p in probabilities])
    path = write_record(results_dir, name, f"test-{stamp()}", record)
    print(f"{name}: {accuracy:.0%} of the four points, loss {loss:.4f}; recorded "
          f"{relative(path)}")
    return record


def accuracy(probabilities: np.ndarray) -> float:
    return float(np.mean((np.asarray(probabilities).reshape(-1) > 0.5) == LABELS))


def _write_curve(curve: dict[str, list[float]], path: Path) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["epoch", *curve])  # "epoch": the row's number, as CSVLogger's
        for i, row in enumerate(zip(*curve.values(), strict=True)):
            writer.writerow([i, *row])
