"""The two ways the benchmark trains and evaluates the same model: the slides' (``fit`` on
float32 arrays at batch 32, ``ImageDataGenerator`` for augmentation) and ours (the
project's training path), and the ways of feeding ``fit`` the sweep compares."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

from common.bench import measure
from common.config.settings import Settings
from common.data.loading import one_hot, scale
from common.data.pipeline import EpochShuffledBatches, recipe_batches
from common.evaluation.evaluate import evaluate
from common.models.precision import resolve_precision
from common.models.training_copy import inference_copy
from common.training.setup import prepare_run

SLIDES_BATCH = 32
# --sweep --loaders (see training_inputs); "ours": what training feeds fit on this backend
LOADERS = ("ours", "graph", "pydataset", "arrays", "tf.data")


def slides_way(build: Callable[[], keras.Model], settings: Settings, x: np.ndarray,
               y: np.ndarray, x_test: np.ndarray) -> dict:
    import tensorflow as tf  # the slides' ImageDataGenerator exists only in tf.keras

    model = build()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    xf, yf = scale(x), one_hot(y, model.output_shape[-1])
    if settings.augmentation is None:
        def fit(epochs: int, callbacks: list) -> keras.callbacks.History:
            return model.fit(xf, yf, batch_size=SLIDES_BATCH, epochs=epochs, verbose=0,
                             callbacks=callbacks)
    else:
        generator = tf.keras.preprocessing.image.ImageDataGenerator(
            horizontal_flip=True, width_shift_range=0.125, height_shift_range=0.125,
            fill_mode="reflect")

        def fit(epochs: int, callbacks: list) -> keras.callbacks.History:
            return model.fit(generator.flow(xf, yf, batch_size=SLIDES_BATCH), epochs=epochs,
                             verbose=0, callbacks=callbacks)
    xt = scale(x_test)
    return _rates(measure.train_rate(fit, len(x)), measure.best_rate(
        lambda: model.predict(xt, batch_size=SLIDES_BATCH, verbose=0), len(xt)))


def _rates(train: tuple[float, list[float]], inference: tuple[float, list[float]]) -> dict:
    return {"train_images_per_s": train[0], "train_images_per_s_each": train[1],
            "inference_images_per_s": inference[0], "inference_images_per_s_each": inference[1]}


def our_way(build: Callable[[], keras.Model], settings: Settings, x: np.ndarray, y: np.ndarray,
            x_test: np.ndarray, y_test: np.ndarray, precision: str = "auto",
            jit_compile: bool = False, fused_bn: bool = True, loader: str = "ours",
            fast_drop: bool = True, steps_per_execution: int | None = None) -> dict:
    """The project's training path, set up as training sets it up (``prepare_run``: the
    recipe's ``initialize``, its batches and flips, the compiled training copy), with the
    sweep's choices in place of training's defaults where given."""
    model = build()
    classes = model.output_shape[-1]
    batches = recipe_batches(x, y, settings, 0, classes)
    policy = resolve_precision(precision)
    validation = (scale(x_test[:256]), one_hot(y_test[:256], classes))
    ready = prepare_run(model, settings, batches, validation, policy, epochs=10,
                        steps_per_execution=steps_per_execution, fused_bn=fused_bn,
                        fast_dropout=fast_drop)
    trained = ready.fitted
    if jit_compile:  # XLA; else Keras' default: off on TensorFlow, always on with JAX
        trained.jit_compile = True

    if loader == "ours":  # what common.training.train feeds fit on this backend
        loader = "graph" if keras.backend.backend() == "tensorflow" else "pydataset"
        data = {"x": ready.inputs}
    else:
        data = training_inputs(loader, batches)

    def fit(epochs: int, callbacks: list) -> keras.callbacks.History:
        return trained.fit(**data, epochs=epochs, verbose=0, callbacks=callbacks,
                           shuffle=loader not in ("pydataset", "graph"))
    inference = inference_copy(model, policy, fused_bn)
    names = [str(k) for k in range(classes)]
    rates = _rates(measure.train_rate(fit, len(x)), measure.best_rate(
        lambda: evaluate(inference, x_test, y_test, names), len(x_test)))
    return {**rates, "jit_compile": bool(trained.jit_compile), "loader": loader,
            **ready.speedups, "steps_per_execution": trained.steps_per_execution}


def training_inputs(loader: str, batches: EpochShuffledBatches) -> dict:
    """``fit``'s inputs for each way of feeding the same training images.

    graph: ours on TensorFlow (EpochShuffledBatches.tf_dataset): uint8 images in memory,
    each batch gathered, scaled and one-hot encoded in the graph, no autotuning;
    pydataset: the same batches through Keras' PyDataset (a Python generator, tf.data
    autotuned prefetching; ours on other backends); arrays: the whole set scaled to
    float32 up front (4x the memory), Keras slicing batches; tf.data: uint8 tensors,
    scaled per batch in a tf.data map, cached and prefetched (TensorFlow backend only).
    """
    if loader == "pydataset":
        return {"x": batches}
    if loader == "graph":
        return {"x": batches.tf_dataset()}
    x, y, batch_size = batches.x, batches.y, batches.batch_size
    if loader == "arrays":
        return {"x": scale(x), "y": one_hot(y, batches.num_classes), "batch_size": batch_size}
    if loader == "tf.data":
        import tensorflow as tf

        labels = one_hot(y, batches.num_classes)
        pipeline = (tf.data.Dataset.from_tensor_slices((x, labels)).cache()
                    .shuffle(len(x)).batch(batch_size)
                    .map(lambda a, b: (tf.cast(a, tf.float32) / 255.0, b),
                         num_parallel_calls=tf.data.AUTOTUNE)
                    .prefetch(tf.data.AUTOTUNE))
        return {"x": pipeline}
    raise ValueError(f"unknown loader {loader!r}: use one of {LOADERS}")


