"""What the benchmark measures with: the machine's matrix-multiply rate, and timings taken
as the fastest of TIMED_RUNS (these shared hosts only ever slow a pass)."""

from __future__ import annotations

import time
from collections.abc import Callable

import keras
import numpy as np

from common.training.callbacks import EpochStats

# Best of 3: these shared hosts switch speed within a run; a pass is only ever slowed, so
# the fastest is the least disturbed (timeit's rule). Records before "statistic" took the
# median.
TIMED_RUNS = 3


def matmul_flops_per_second(size: int = 2048, repeats: int = 8,
                            dtype: str = "float32") -> float:
    """This machine's matrix-multiply rate through the Keras backend (best of N)."""
    rng = np.random.default_rng(0)
    a = keras.ops.cast(rng.standard_normal((size, size), dtype=np.float32), dtype)
    b = keras.ops.cast(rng.standard_normal((size, size), dtype=np.float32), dtype)
    keras.ops.convert_to_numpy(keras.ops.matmul(a, b))  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        keras.ops.convert_to_numpy(keras.ops.matmul(a, b))
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def channels_first_copy(model: keras.Model) -> keras.Model:
    """The same layers (fresh weights) on (channels, height, width) images."""
    def clone(layer: keras.layers.Layer) -> keras.layers.Layer:
        config = layer.get_config()
        if "data_format" in config:
            config["data_format"] = "channels_first"
        if isinstance(layer, keras.layers.BatchNormalization):
            config["axis"] = 1
        return layer.__class__.from_config(config)
    height, width, channels = model.input_shape[1:]
    return keras.models.clone_model(model, input_tensors=keras.Input((channels, height, width)),
                                    clone_function=clone)


def best_rate(run: Callable[[], object], images: int) -> tuple[float, list[float]]:
    """Images/s of ``run()``: the fastest of TIMED_RUNS timings after a warm-up call."""
    run()  # warm-up: graph tracing and compilation
    rates = []
    for _ in range(TIMED_RUNS):
        start = time.perf_counter()
        run()
        rates.append(images / (time.perf_counter() - start))
    return max(rates), rates


def train_rate(fit: Callable[[int, list[keras.callbacks.Callback]], object],
                images: int) -> tuple[float, list[float]]:
    """Training images/s: the fastest of TIMED_RUNS epochs timed inside one ``fit(epochs,
    callbacks)`` call, after an untimed first epoch, as a real training run sees them.

    Timing whole fit() calls instead counted fit's teardown, which sometimes waits until
    ~5.1, 10.2 or 20.5 s after the call began (tf.data's autotuning thread, whose sleep
    doubles from 10 ms, fits those marks): a 3 s epoch then read as 5.1 s.
    """
    stats = EpochStats()
    fit(1 + TIMED_RUNS, [stats])
    rates = [images / s for s in stats.epoch_seconds[1:]]
    return max(rates), rates


def threads() -> dict:
    """TensorFlow's thread pools (0: its default, one thread per core)."""
    if keras.backend.backend() != "tensorflow":
        return {}
    import tensorflow as tf

    return {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op": tf.config.threading.get_inter_op_parallelism_threads()}


def set_timings(count: int) -> None:
    """Time ``count`` epochs (and inference passes) per row from now on; records say so."""
    global TIMED_RUNS
    if count < 1:
        raise SystemExit(f"error: --timings must be at least 1, got {count}")
    TIMED_RUNS = count


def set_threads(count: int) -> None:
    """Limit TensorFlow's intra- and inter-op thread pools (before any op runs)."""
    if keras.backend.backend() != "tensorflow":
        raise SystemExit("error: --threads applies to the TensorFlow backend only")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(count)
    tf.config.threading.set_inter_op_parallelism_threads(count)


