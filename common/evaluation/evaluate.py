"""The test entry point every experiment shares: reload the .h5, forward pass only.

Prints test loss, accuracy and per-class accuracy; writes a confusion matrix and a grid
of test images captioned "predicted (true)" to ``results/<name>/``; records the run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

import common
from common.basics import plots
from common.basics.errors import exit_on_user_error
from common.basics.options import add_options, option
from common.basics.paths import MODELS_DIR, RESULTS_DIR, relative
from common.basics.provenance import stamp
from common.config.run_options import recipe_option
from common.config.settings import Settings
from common.data.datasets import get_dataset
from common.data.loading import Splits, load, scale
from common.models.precision import PRECISIONS, resolve_precision
from common.models.training_copy import inference_copy
from common.records.export import saved_file
from common.records.model_io import load_h5
from common.records.store import new_record, write_record

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
             class_names: Sequence[str]) -> Evaluation:
    """Forward pass of ``model`` over uint8 images ``x`` with integer labels ``y``."""
    start = time.perf_counter()
    probs = model.predict(scale(x), batch_size=PREDICT_BATCH, verbose=0)
    seconds = time.perf_counter() - start
    predicted = probs.argmax(axis=1)
    eps = keras.config.epsilon()  # the clipping Keras applies to probabilities
    loss = float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], eps, 1 - eps))))
    confusion = np.zeros((len(class_names), len(class_names)), dtype=np.int64)
    np.add.at(confusion, (y, predicted), 1)
    per_class = {name: float(confusion[i, i] / max(confusion[i].sum(), 1))
                 for i, name in enumerate(class_names)}
    return Evaluation(loss, float(np.mean(predicted == y)), per_class, confusion, predicted,
                      seconds)


@dataclass(frozen=True)
class TestOptions:
    model: Path = field(default=MODELS_DIR, metadata=option(
        "the .h5 to evaluate", type=Path))
    data: str | None = field(default=None, metadata=option(
        "'keras', 'auto', a folder, archive or .npz (default ${data_env}, else auto)"))
    precision: str = field(default="float32", metadata=option(
        "what the layers compute in: float32 = plain Keras' forward pass, the figure "
        "keras.models.load_model reproduces; auto = as in training (mixed_bfloat16 on a CPU "
        "with bf16 instructions, mixed_float16 on a GPU), faster, and the table marks it",
        choices=PRECISIONS))
    results_dir: Path = field(default=RESULTS_DIR, metadata=option(argparse.SUPPRESS, type=Path))


def evaluate_main(name: str, build_model: Callable[[], keras.Model], settings: Settings,
                  argv: Sequence[str] | None = None, variants: Sequence[Settings] = ()) -> None:
    """Command-line entry: parse options (``--recipe``: the .h5 of one of the named
    ``variants``), evaluate, report problems as one line."""
    named = {"default": settings, **{v.variant: v for v in variants}}
    pick = recipe_option(named)  # the train command's --recipe
    chosen = named[pick.parse_known_args(argv)[0].recipe]
    title = get_dataset(settings.dataset).title
    stem = chosen.file_stem(name)
    parser = argparse.ArgumentParser(
        prog=f"python -m experiments.{name}.test", parents=[pick],
        description=f"Evaluate saved_models/{stem}.h5 on the {title} test images (forward "
                    f"pass only). Writes a test record, confusion.png and predictions.png to "
                    f"results/{name}/ (python -m common.results then shows it).")
    add_options(parser, TestOptions(model=MODELS_DIR / f"{stem}.h5"),
                {"data_env": get_dataset(settings.dataset).data_env})
    args = parser.parse_args(argv)
    exit_on_user_error(lambda: evaluate_saved(name, build_model, settings, args))


def evaluate_saved(name: str, build_model: Callable[[], keras.Model], settings: Settings,
                   args: argparse.Namespace) -> dict:
    """Evaluate the saved model of experiment ``name``; return the evaluation record."""
    model = load_h5(args.model, f"python -m experiments.{name}.train",
                    expected=settings.saved_model(build_model()))
    data = load(get_dataset(settings.dataset), args.data)
    classes = data.dataset.class_names
    precision = resolve_precision(args.precision)
    result = evaluate(inference_copy(model, precision), data.x_test, data.y_test, classes)
    return record_test(name, result, data, args.model, model.count_params(), precision,
                       args.results_dir)


def record_test(name: str, result: Evaluation, data: Splits, model_path: Path, params: int,
                precision: str, results_dir: Path, forward: str = "Keras") -> dict:
    """Print ``result``, draw its confusion matrix and captioned test images, and write the
    test record of ``model_path``; ``forward``: what computed the pass (Keras or NumPy)."""
    classes = data.dataset.class_names
    print(f"{name}: test loss {result.loss:.4f}, test accuracy {result.accuracy:.4f} "
          f"on {len(data.x_test)} images ({result.seconds:.1f} s forward pass in {forward}, "
          f"{precision})")
    print("per class: " + ", ".join(f"{c} {a:.1%}" for c, a in result.per_class.items()))

    out_dir = results_dir / name
    confusion_png = plots.confusion_matrix(
        result.confusion, classes,
        f"{name}: test accuracy {result.accuracy:.2%}", out_dir / "confusion.png")
    shown = np.random.default_rng(0).choice(len(data.x_test), size=min(32, len(data.x_test)),
                                            replace=False)
    predictions_png = plots.image_grid(
        data.x_test[shown],
        [f"{classes[result.predictions[i]]} ({classes[data.y_test[i]]})" for i in shown],
        out_dir / "predictions.png",
        colors=["black" if result.predictions[i] == data.y_test[i] else "red" for i in shown],
        title=f"{name}: predicted (true)")
    record = new_record(
        "test", experiment=name, **saved_file(model_path), params=params, forward=forward,
        data={**data.describe(), "test": len(data.x_test)},
        test_loss=result.loss, test_accuracy=result.accuracy,
        per_class_accuracy=result.per_class, precision=precision,
        forward_seconds=round(result.seconds, 2),
        command_seconds=round(time.perf_counter() - common.STARTED, 2),  # imports included
        confusion_png=confusion_png.name, predictions_png=predictions_png.name)
    if forward == "NumPy":  # no Keras in the pass: the table says NumPy
        record["versions"]["backend"] = "numpy"
    record_path = write_record(results_dir, name, f"test-{stamp()}", record)
    print(f"recorded {relative(record_path)}; compare all experiments: python -m common.results")
    return record
