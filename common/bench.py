"""Benchmark: the slides' way against ours, same model, same data, same machine, one run.

    python -m common.bench                       # exp01, exp03 and exp04
    python -m common.bench --experiments exp01_baseline --images 3200

For each experiment it measures, as the best of three timings after a warm-up (training:
three epochs timed inside one ``fit`` call, as training sees them):

* training images/s - the slides' way: ``model.fit`` on float32 NumPy arrays, batch 32, and
  for augmentation ``tf.keras.preprocessing.image.ImageDataGenerator(...).flow``; ours: the
  project's training path (``common.training``) with the experiment's own settings;
* inference images/s on the 10,000 test images - the slides' ``predict`` at its default
  batch 32; ours: ``common.evaluation.evaluate``;
* model FLOPs utilisation: counted training FLOPs (3 x the forward pass's multiply-adds x 2)
  per second, divided by this machine's fp32 matrix-multiply rate measured in the same run.

Writes ``results/bench/bench-<time>.json`` and ``results/bench/README.md``.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np

from common.data import DATA_ENV, load_cifar10, one_hot, scale
from common.evaluation import evaluate
from common.fast_dropout import fast_dropout, fast_kernel_available
from common.files import write_text_atomic
from common.fused_batchnorm import fused_batchnorm, fused_kernel_available
from common.precision import resolve_precision
from common.records import (
    REPO_ROOT,
    RESULTS_DIR,
    command_line,
    environment,
    git_commit,
    now_iso,
    stamp,
    write_record,
)
from common.results import replace_section
from common.training import (
    STEPS_PER_EXECUTION,
    EpochShuffledBatches,
    EpochStats,
    Settings,
    training_model,
)

DEFAULT_EXPERIMENTS = ("exp01_baseline", "exp03_deeper_l2", "exp04_augmentation")
SLIDES_BATCH = 32
# --sweep --loaders (see training_inputs); "ours": what common.training uses on this backend
LOADERS = ("ours", "graph", "pydataset", "arrays", "tf.data")
# Best of 3: these shared hosts switch speed within a run; a pass is only ever slowed, so
# the fastest is the least disturbed (timeit's rule). Records before "statistic" took the
# median.
TIMED_RUNS = 3


def forward_flops(model: keras.Model) -> int:
    """Multiply-adds x 2 of one image's forward pass (convolutions and dense layers)."""
    flops = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            k_h, k_w = layer.kernel_size
            c_in, c_out = layer.kernel.shape[2:]
            out_pixels = math.prod(layer.output.shape[1:]) // c_out
            flops += 2 * out_pixels * c_out * k_h * k_w * c_in
        elif isinstance(layer, keras.layers.Dense):
            flops += 2 * layer.input.shape[-1] * layer.units
    return flops


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


def _best_rate(run: Callable[[], object], images: int) -> tuple[float, list[float]]:
    """Images/s of ``run()``: the fastest of TIMED_RUNS timings after a warm-up call."""
    run()  # warm-up: graph tracing and compilation
    rates = []
    for _ in range(TIMED_RUNS):
        start = time.perf_counter()
        run()
        rates.append(images / (time.perf_counter() - start))
    return max(rates), rates


def _train_rate(fit: Callable[[int, list[keras.callbacks.Callback]], object],
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


def slides_way(build, settings: Settings, x: np.ndarray, y: np.ndarray,
               x_test: np.ndarray) -> dict:
    import tensorflow as tf  # the slides' ImageDataGenerator exists only in tf.keras

    model = build()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    xf, yf = scale(x), one_hot(y)
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
    return _rates(_train_rate(fit, len(x)), _best_rate(
        lambda: model.predict(xt, batch_size=SLIDES_BATCH, verbose=0), len(xt)))


def _rates(train: tuple[float, list[float]], inference: tuple[float, list[float]]) -> dict:
    return {"train_images_per_s": train[0], "train_images_per_s_each": train[1],
            "inference_images_per_s": inference[0], "inference_images_per_s_each": inference[1]}


def our_way(build, settings: Settings, x: np.ndarray, y: np.ndarray,
            x_test: np.ndarray, y_test: np.ndarray, precision: str = "auto",
            jit_compile: bool = False, fused_bn: bool = True, loader: str = "ours",
            fast_drop: bool = True, steps_per_execution: int | None = None) -> dict:
    keras.mixed_precision.set_global_policy(resolve_precision(precision))
    try:
        model = build()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    batches = EpochShuffledBatches(x, y, settings.batch_size, seed=0)
    trained = training_model(model, settings, settings.learning_rate, 10 * len(batches),
                             steps_per_execution)
    if jit_compile:  # XLA; else Keras' default: off on TensorFlow, always on with JAX
        trained.jit_compile = True

    if loader == "ours":  # what common.training feeds fit on this backend
        loader = "graph" if keras.backend.backend() == "tensorflow" else "pydataset"
    data = training_inputs(loader, batches)

    def fit(epochs: int, callbacks: list) -> keras.callbacks.History:
        with fused_batchnorm(fused_bn), fast_dropout(fast_drop):
            return trained.fit(**data, epochs=epochs, verbose=0, callbacks=callbacks,
                               shuffle=loader not in ("pydataset", "graph"))
    rates = _rates(_train_rate(fit, len(x)), _best_rate(
        lambda: evaluate(model, x_test, y_test, fused_bn), len(x_test)))
    return {**rates, "jit_compile": bool(trained.jit_compile), "loader": loader,
            "batchnorm": "fused" if fused_bn and fused_kernel_available() else "keras",
            "dropout": "16-bit" if fast_drop and fast_kernel_available() else "keras",
            "steps_per_execution": trained.steps_per_execution}


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
        return {"x": scale(x), "y": one_hot(y), "batch_size": batch_size}
    if loader == "tf.data":
        import tensorflow as tf

        pipeline = (tf.data.Dataset.from_tensor_slices((x, one_hot(y))).cache()
                    .shuffle(len(x)).batch(batch_size)
                    .map(lambda a, b: (tf.cast(a, tf.float32) / 255.0, b),
                         num_parallel_calls=tf.data.AUTOTUNE)
                    .prefetch(tf.data.AUTOTUNE))
        return {"x": pipeline}
    raise ValueError(f"unknown loader {loader!r}: use one of {LOADERS}")


def bench(experiments: Sequence[str], images: int, data: str | None) -> dict:
    cifar = load_cifar10(data)
    x, y = cifar.x_train[:images], cifar.y_train[:images]
    matmul = matmul_flops_per_second()
    print(f"fp32 matrix multiply: {matmul / 1e9:.1f} GFLOP/s")
    rows, flops = [], {}
    for name in experiments:
        build, settings = _experiment(name)
        train_flops = flops[name] = 3 * forward_flops(build())
        ways = [("slides", settings, slides_way), ("ours", settings, our_way)]
        if settings.augmentation is not None:  # what the augmentation costs us
            ways.append(("ours, no augmentation", replace(settings, augmentation=None), our_way))
        for way, s, measure in ways:
            row = {"experiment": name, "way": way,
                   "batch_size": SLIDES_BATCH if way == "slides" else s.batch_size,
                   "precision": "float32" if way == "slides" else resolve_precision("auto"),
                   "augmentation": s.augmentation is not None,
                   **(measure(build, s, x, y, cifar.x_test) if way == "slides" else
                      measure(build, s, x, y, cifar.x_test, cifar.y_test))}
            row["mfu"] = row["train_images_per_s"] * train_flops / matmul
            rows.append(row)
            print(f"{name:20s} {way:22s} train {row['train_images_per_s']:7.0f} img/s  "
                  f"inference {row['inference_images_per_s']:7.0f} img/s  "
                  f"MFU {row['mfu']:.1%}")
    return {"matmul_flops_per_s": matmul, "images": images, "rows": rows,
            "train_flops_per_image": flops, "threads": _threads(), "timed_runs": TIMED_RUNS,
            "statistic": "best"}


def _experiment(name: str) -> tuple:
    build = importlib.import_module(f"experiments.{name}.model").build_model
    return build, importlib.import_module(f"experiments.{name}.train").SETTINGS


def sweep(experiments: Sequence[str], batch_sizes: Sequence[int], precisions: Sequence[str],
          images: int, data: str | None, jit_compiles: Sequence[bool] = (False,),
          data_formats: Sequence[str] = ("channels_last",),
          batchnorms: Sequence[str] = ("fused",),
          loaders: Sequence[str] = ("ours",), dropouts: Sequence[str] = ("fast",),
          steps_per_executions: Sequence[int | None] = (None,)) -> dict:
    """Our training path under each setting: the measured choices."""
    cifar = load_cifar10(data)
    x, y = cifar.x_train[:images], cifar.y_train[:images]
    to_first = (0, 3, 1, 2)  # NHWC -> NCHW
    rates = {p: matmul_flops_per_second(dtype=p.removeprefix("mixed_"))  # MFU needs float32's
             for p in dict.fromkeys(["float32", *precisions])}
    rows = []
    for name in experiments:
        build, settings = _experiment(name)
        if "channels_first" in data_formats and settings.augmentation is not None:
            # its augmentation layers would be built for the global (channels-last) format
            raise SystemExit(f"error: --data-formats channels_first needs an experiment "
                             f"without augmentation, not {name}")
        train_flops = 3 * forward_flops(build())
        for fmt, loader, bn, drop, spe, jit, precision, batch_size in itertools.product(
                data_formats, loaders, batchnorms, dropouts, steps_per_executions,
                jit_compiles, precisions, batch_sizes):
            if fmt == "channels_last":
                row = our_way(build, replace(settings, batch_size=batch_size), x, y,
                              cifar.x_test, cifar.y_test, precision, jit, bn == "fused", loader,
                              drop == "fast", spe)
            else:
                row = our_way(lambda b=build: channels_first_copy(b()),
                              replace(settings, batch_size=batch_size),
                              x.transpose(to_first), y, cifar.x_test.transpose(to_first),
                              cifar.y_test, precision, jit, bn == "fused", loader,
                              drop == "fast", spe)
            row |= {"experiment": name, "precision": precision, "batch_size": batch_size,
                    "data_format": fmt,
                    "mfu_vs_fp32_matmul": row["train_images_per_s"] * train_flops
                    / rates["float32"]}
            rows.append(row)
            print(f"{name:20s} {fmt:14s} {row['loader']:9s} BN {row['batchnorm']:5s} "
                  f"Dropout {row['dropout']:6s} steps/call {row['steps_per_execution']:2d} "
                  f"{precision:15s} "
                  f"XLA {row['jit_compile']!s:5s} "
                  f"batch {batch_size:4d}  train "
                  f"{row['train_images_per_s']:6.0f} img/s  inference "
                  f"{row['inference_images_per_s']:6.0f} img/s")
    return {"matmul_flops_per_s": rates, "images": images, "rows": rows,
            "threads": _threads(), "timed_runs": TIMED_RUNS,
            "statistic": "best"}


def _threads() -> dict:
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


def render_sweep(record: dict) -> str:
    rates = ", ".join(f"{p}: {r / 1e9:.1f} GFLOP/s" for p, r in
                      record["matmul_flops_per_s"].items())
    threads = record.get("threads") or {}
    pools = (f"; TensorFlow threads intra-op {threads['intra_op'] or 'default'}, inter-op "
             f"{threads['inter_op'] or 'default'}" if threads else "")
    lines = [f"Matrix-multiply rates ({rates}); {record['hardware']['cores']} cores, "
             f"{record['hardware']['cpu']}; {record['images']} training images per timed "
             f"epoch, {_timings(record)}{pools}.\n",
             "| experiment | layout | loader | BatchNormalization | Dropout | steps/call "
             "| precision | XLA | batch | train img/s | inference img/s | MFU vs fp32 matmul |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in record["rows"]:  # fields missing from older records: what they measured
        lines.append(f"| {r['experiment']} | {r.get('data_format', 'channels_last')} "
                     f"| {r.get('loader', 'pydataset')} "
                     f"| {r.get('batchnorm', 'keras')} | {r.get('dropout', 'keras')} "
                     f"| {r.get('steps_per_execution', 1)} | {r['precision']} "
                     f"| {'on' if r.get('jit_compile') else 'off'} | {r['batch_size']} "
                     f"| {r['train_images_per_s']:.0f} | {r['inference_images_per_s']:.0f} "
                     f"| {r['mfu_vs_fp32_matmul']:.1%} |")
    return "\n".join(lines) + "\n"


def write_choices(folder: Path) -> Path:
    """choices.md: every sweep record, newest first (each may vary other settings)."""
    parts = ["# Measured choices: our training path under each setting\n\n"
             "Generated by `python -m common.bench --sweep ...` from every sweep record in "
             "this folder, newest first; do not edit by hand.\n"]
    for path in sorted(folder.glob("sweep-*.json"), reverse=True):
        record = json.loads(path.read_text())
        parts.append(f"\n## [{path.name}]({path.name}): "
                     f"{record['versions'].get('backend')} backend\n\n"
                     f"`{record['command']}` (commit {record['commit']})\n\n"
                     f"{render_sweep(record)}")
    target = folder / "choices.md"
    write_text_atomic(target, "".join(parts))
    return target


def _timings(record: dict) -> str:
    runs = record.get("timed_runs", 1)  # records before TIMED_RUNS timed once
    statistic = record.get("statistic", "median")  # records before "statistic": median
    return f"{statistic} of {runs} timings" if runs > 1 else "one timing"


def render(record: dict) -> str:
    lines = [f"fp32 matrix-multiply rate: {record['matmul_flops_per_s'] / 1e9:.1f} GFLOP/s "
             f"({record['versions'].get('backend')} backend, {record['hardware']['cores']} "
             f"cores, {record['hardware']['cpu']}); training measured on "
             f"{record['images']} images after a warm-up epoch, "
             f"{_timings(record)}.\n",
             "| experiment | way | precision | batch | train img/s | inference img/s | MFU | "
             "train ours/slides | inference ours/slides |",
             "|---|---|---|---|---|---|---|---|---|"]
    by_key = {(r["experiment"], r["way"]): r for r in record["rows"]}
    for r in record["rows"]:
        slides = by_key.get((r["experiment"], "slides"))
        ratio = inference_ratio = ""
        if r["way"] == "ours" and slides:
            ratio = f"**{r['train_images_per_s'] / slides['train_images_per_s']:.2f}×**"
            speedup = r["inference_images_per_s"] / slides["inference_images_per_s"]
            inference_ratio = f"{speedup:.2f}×"
        lines.append(f"| {r['experiment']} | {r['way']} | {r.get('precision', 'float32')} "
                     f"| {r['batch_size']} "
                     f"| {r['train_images_per_s']:.0f} | {r['inference_images_per_s']:.0f} "
                     f"| {r['mfu']:.1%} | {ratio} | {inference_ratio} |")
    for r in record["rows"]:
        bare = by_key.get((r["experiment"], "ours, no augmentation"))
        if r["way"] == "ours" and bare:
            lines.append(f"\n{r['experiment']}: training with augmentation runs at "
                         f"**{r['train_images_per_s'] / bare['train_images_per_s']:.1%}** of "
                         f"the throughput without it.")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m common.bench",
        description="Train and evaluate the same models the slides' way and ours; report "
                    "images/s, model FLOPs utilisation and the speed-up.")
    parser.add_argument("--experiments", nargs="+", default=list(DEFAULT_EXPERIMENTS))
    parser.add_argument("--images", type=int, default=6400,
                        help="training images per timed epoch (default %(default)s)")
    parser.add_argument("--data", default=None, help=f"as for training (default ${DATA_ENV})")
    parser.add_argument("--sweep", action="store_true",
                        help="instead: our way under each --batch-sizes and --precisions")
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[32, 64, 128, 256])
    parser.add_argument("--precisions", nargs="+", default=["float32", "mixed_bfloat16"])
    parser.add_argument("--jit", action="store_true",
                        help="--sweep also with XLA compilation (jit_compile=True)")
    parser.add_argument("--data-formats", nargs="+", default=["channels_last"],
                        choices=["channels_last", "channels_first"],
                        help="--sweep: image layouts to measure (default %(default)s)")
    parser.add_argument("--batchnorms", nargs="+", default=["fused"], choices=["keras", "fused"],
                        help="--sweep: Keras' own BatchNormalization training path, or "
                             "TensorFlow's fused kernel (common/fused_batchnorm.py; "
                             "default %(default)s)")
    parser.add_argument("--dropouts", nargs="+", default=["fast"], choices=["keras", "fast"],
                        help="--sweep: Keras' Dropout, or 16 random bits per activation "
                             "(common/fast_dropout.py; default %(default)s)")
    parser.add_argument("--steps-per-execution", nargs="+", type=int, default=[None],
                        help="--sweep: training steps per call into the compiled graph "
                             f"(default: training's, {STEPS_PER_EXECUTION}; 1 on PyTorch)")
    parser.add_argument("--loaders", nargs="+", default=["ours"], choices=LOADERS,
                        help="--sweep: how the training images reach fit: ours (graph on "
                             "TensorFlow, else pydataset), graph (in-graph batches), pydataset "
                             "(Keras' PyDataset), float32 arrays, or a cached tf.data pipeline "
                             "(default %(default)s)")
    parser.add_argument("--timings", type=int, default=TIMED_RUNS,
                        help="timed epochs (and inference passes) per row, fastest "
                             "reported; more show how often a pass is slowed "
                             "(default %(default)s)")
    parser.add_argument("--threads", type=int, default=0,
                        help="TensorFlow intra/inter-op threads (default 0: one per core)")
    parser.add_argument("--report", action="store_true",
                        help="measure nothing: rewrite the tables from the records")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    folder = args.results_dir / "bench"
    set_timings(args.timings)
    if args.threads:
        set_threads(args.threads)
    if args.sweep:
        commit, started = git_commit(), time.perf_counter()
        record = {"kind": "bench-sweep", "command": command_line(), "commit": commit,
                  **sweep(args.experiments, args.batch_sizes, args.precisions, args.images,
                          args.data, (False, True) if args.jit else (False,),
                          args.data_formats, args.batchnorms, args.loaders, args.dropouts,
                          args.steps_per_execution),
                  **environment()}
        record["wall_seconds"] = round(time.perf_counter() - started, 1)
        record["finished"] = now_iso()
        path = write_record(args.results_dir, "bench", f"sweep-{stamp()}", record)
        write_choices(folder)
        print(f"\n{render_sweep(record)}\nrecorded {path}")
        return
    if args.report:
        records = sorted(folder.glob("bench-*.json"))
        if not records:
            raise SystemExit(f"error: no benchmark records in {folder}; run python -m common.bench")
        path, record = records[-1], json.loads(records[-1].read_text())
        write_choices(folder)
    else:
        commit, started = git_commit(), time.perf_counter()
        record = {"kind": "bench", "command": command_line(), "commit": commit,
                  **bench(args.experiments, args.images, args.data), **environment()}
        record["wall_seconds"] = round(time.perf_counter() - started, 1)
        record["finished"] = now_iso()
        path = write_record(args.results_dir, "bench", f"bench-{stamp()}", record)
    table = render(record)
    write_text_atomic(folder / "README.md",
                      "# Benchmark: the slides' way against ours\n\nGenerated by "
                      f"`python -m common.bench` ([{path.name}]({path.name})); do not edit "
                      f"by hand.\n\n{table}")
    print(f"\n{table}\n{'tables from' if args.report else 'recorded'} {path}")
    if args.results_dir.resolve() == RESULTS_DIR:
        replace_section(REPO_ROOT / "README.md", "bench", table)


if __name__ == "__main__":
    main()
