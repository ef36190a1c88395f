"""The test entry point every experiment shares: reload the .h5, forward pass only.

Prints test loss, accuracy and per-class accuracy; writes a confusion matrix and a grid
of test images captioned "predicted (true)" to ``results/<name>/``; records the run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

import common
from common import plots
from common.data import CLASS_NAMES, DATA_ENV, load_cifar10, scale
from common.errors import exit_on_user_error
from common.files import sha256_of
from common.fused_batchnorm import fused_batchnorm
from common.model_io import load_h5
from common.precision import PRECISIONS, resolve_precision, with_policy
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

PREDICT_BATCH = 1000  # forward-only, so large batches are cheap and fast


@dataclass
class Evaluation:
    loss: float
    accuracy: float
    per_class: dict[str, float]
    confusion: np.ndarray  # rows true, columns predicted
    predictions: np.ndarray  # predicted class per image
    seconds: float  # forward pass over all images


def evaluate(model: keras.Model, x: np.ndarray, y: np.ndarray,
             fused_bn: bool = True) -> Evaluation:
    """Forward pass over uint8 images ``x`` with integer labels ``y``.

    ``fused_bn``: run BatchNormalization with TensorFlow's fused kernel, which TensorFlow
    folds into the convolutions (common/fused_batchnorm.py); False: Keras' own.
    """
    start = time.perf_counter()
    with fused_batchnorm(fused_bn):
        probs = model.predict(scale(x), batch_size=PREDICT_BATCH, verbose=0)
    seconds = time.perf_counter() - start
    predicted = probs.argmax(axis=1)
    eps = keras.config.epsilon()  # the clipping Keras applies to probabilities
    loss = float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], eps, 1 - eps))))
    confusion = np.zeros((len(CLASS_NAMES), len(CLASS_NAMES)), dtype=np.int64)
    np.add.at(confusion, (y, predicted), 1)
    per_class = {name: float(confusion[i, i] / max(confusion[i].sum(), 1))
                 for i, name in enumerate(CLASS_NAMES)}
    return Evaluation(loss, float(np.mean(predicted == y)), per_class, confusion, predicted,
                      seconds)


def parse_args(name: str, argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"python -m experiments.{name}.test",
        description=f"Evaluate saved_models/{name}.h5 on the CIFAR-10 test images "
                    f"(forward pass only) and record the result.")
    parser.add_argument("--model", type=Path, default=MODELS_DIR / f"{name}.h5",
                        help="the .h5 to evaluate (default %(default)s)")
    parser.add_argument("--data", default=None,
                        help=f"'keras', 'auto', a folder, archive or .npz "
                             f"(default ${DATA_ENV}, else auto)")
    parser.add_argument("--precision", default="auto", choices=PRECISIONS,
                        help="what the layers compute in: auto (as in training) = "
                             "mixed_float16 on a GPU, mixed_bfloat16 on a CPU with bf16 "
                             "instructions (2-3x faster), else float32; float32 = exactly "
                             "plain Keras' forward pass (default auto)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def evaluate_main(name: str, build_model: Callable[[], keras.Model],
              argv: Sequence[str] | None = None) -> None:
    """Command-line entry: parse options, evaluate, report problems as one line."""
    args = parse_args(name, argv)
    exit_on_user_error(lambda: evaluate_saved(name, build_model, args))


def evaluate_saved(name: str, build_model: Callable[[], keras.Model],
                   args: argparse.Namespace) -> dict:
    """Evaluate the saved model of experiment ``name``; return the evaluation record."""
    model = load_h5(args.model, f"python -m experiments.{name}.train",
                    expected=build_model())
    data = load_cifar10(args.data)
    precision = resolve_precision(args.precision)
    result = evaluate(with_policy(model, precision), data.x_test, data.y_test)

    print(f"{name}: test loss {result.loss:.4f}, test accuracy {result.accuracy:.4f} "
          f"on {len(data.x_test)} images ({result.seconds:.1f} s forward pass, {precision})")
    print("per class: " + ", ".join(f"{c} {a:.1%}" for c, a in result.per_class.items()))

    out_dir = args.results_dir / name
    confusion_png = plots.confusion_matrix(
        result.confusion, CLASS_NAMES,
        f"{name}: test accuracy {result.accuracy:.2%}", out_dir / "confusion.png")
    shown = np.random.default_rng(0).choice(len(data.x_test), size=32, replace=False)
    predictions_png = plots.image_grid(
        data.x_test[shown],
        [f"{CLASS_NAMES[result.predictions[i]]} ({CLASS_NAMES[data.y_test[i]]})" for i in shown],
        out_dir / "predictions.png",
        colors=["black" if result.predictions[i] == data.y_test[i] else "red" for i in shown],
        title=f"{name}: predicted (true)")
    record = {
        "kind": "test",
        "experiment": name,
        "command": command_line(),
        "commit": git_commit(),
        "model_file": relative(args.model),
        "model_sha256": sha256_of(args.model),
        "params": model.count_params(),
        "data": {"source": data_source(data.source),
                 "test": len(data.x_test)},
        "test_loss": result.loss,
        "test_accuracy": result.accuracy,
        "per_class_accuracy": result.per_class,
        "precision": precision,
        "forward_seconds": round(result.seconds, 2),
        "command_seconds": round(time.perf_counter() - common.STARTED, 2),  # imports included
        "finished": now_iso(),
        "confusion_png": confusion_png.name,
        "predictions_png": predictions_png.name,
        **environment(),
    }
    record_path = write_record(args.results_dir, name, f"test-{stamp()}", record)
    print(f"recorded {relative(record_path)}; compare all experiments: python -m common.results")
    return record
