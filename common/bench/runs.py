"""A benchmark run (the slides' way against ours) and a sweep (our way under each setting)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from common.bench import measure
from common.bench.measure import channels_first_copy, matmul_flops_per_second, threads
from common.bench.ways import SLIDES_BATCH, our_way, slides_way
from common.config.registry import Experiment, find_experiment
from common.data.datasets import get_dataset
from common.data.loading import Splits, load
from common.models.flops import forward_flops
from common.models.precision import resolve_precision


def _loaded(name: str, data: str | None, images: int,
            cache: dict[str, Splits]) -> tuple[Experiment, Splits, np.ndarray, np.ndarray]:
    """The experiment, its dataset (loaded once per dataset) and the timed training images."""
    experiment = find_experiment(name)
    dataset = experiment.settings.dataset
    if dataset not in cache:
        cache[dataset] = load(get_dataset(dataset), data)
    splits = cache[dataset]
    return experiment, splits, splits.x_train[:images], splits.y_train[:images]


def bench(experiments: Sequence[str], images: int, data: str | None) -> dict:
    # MFU divides by the peak of the number format the run computes in: bf16's on a CPU
    # with bf16 instructions, not float32's (which read exp03 at 140%)
    peaks = {p: matmul_flops_per_second(dtype=p.removeprefix("mixed_"))
             for p in dict.fromkeys(["float32", resolve_precision("auto")])}
    for precision, peak in peaks.items():
        print(f"{precision} matrix multiply: {peak / 1e9:.1f} GFLOP/s")
    rows, flops, loaded = [], {}, {}
    for name in experiments:
        experiment, splits, x, y = _loaded(name, data, images, loaded)
        build, settings = experiment.build_model, experiment.settings
        train_flops = flops[name] = 3 * forward_flops(build())
        ways = [("slides", settings, slides_way), ("ours", settings, our_way)]
        if settings.augmentation is not None:  # what the augmentation costs us
            ways.append(("ours, no augmentation", replace(settings, augmentation=None), our_way))
        for way, s, run in ways:
            row = {"experiment": name, "way": way,
                   "batch_size": SLIDES_BATCH if way == "slides" else s.batch_size,
                   "precision": "float32" if way == "slides" else resolve_precision("auto"),
                   "augmentation": s.augmentation is not None,
                   **(run(build, s, x, y, splits.x_test) if way == "slides" else
                      run(build, s, x, y, splits.x_test, splits.y_test))}
            row["mfu"] = row["train_images_per_s"] * train_flops / peaks[row["precision"]]
            rows.append(row)
            print(f"{name:20s} {way:22s} train {row['train_images_per_s']:7.0f} img/s  "
                  f"inference {row['inference_images_per_s']:7.0f} img/s  "
                  f"MFU {row['mfu']:.1%}")
    return {"matmul_flops_per_s": peaks["float32"], "matmul_flops_per_s_by_precision": peaks,
            "images": images, "rows": rows,
            "train_flops_per_image": flops, "threads": threads(),
            "timed_runs": measure.TIMED_RUNS,
            "statistic": "best"}


def sweep(experiments: Sequence[str], batch_sizes: Sequence[int], precisions: Sequence[str],
          images: int, data: str | None, jit_compiles: Sequence[bool] = (False,),
          data_formats: Sequence[str] = ("channels_last",),
          batchnorms: Sequence[str] = ("fused",),
          loaders: Sequence[str] = ("ours",), dropouts: Sequence[str] = ("fast",),
          steps_per_executions: Sequence[int | None] = (None,)) -> dict:
    """Our training path under each setting: the measured choices."""
    loaded: dict[str, Splits] = {}
    to_first = (0, 3, 1, 2)  # NHWC -> NCHW
    rates = {p: matmul_flops_per_second(dtype=p.removeprefix("mixed_"))  # each format's peak
             for p in dict.fromkeys(["float32", *precisions])}
    rows = []
    for name in experiments:
        experiment, splits, x, y = _loaded(name, data, images, loaded)
        build, settings = experiment.build_model, experiment.settings
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
                              splits.x_test, splits.y_test, precision, jit, bn == "fused", loader,
                              drop == "fast", spe)
            else:
                row = our_way(lambda b=build: channels_first_copy(b()),
                              replace(settings, batch_size=batch_size),
                              x.transpose(to_first), y, splits.x_test.transpose(to_first),
                              splits.y_test, precision, jit, bn == "fused", loader,
                              drop == "fast", spe)
            row |= {"experiment": name, "precision": precision, "batch_size": batch_size,
                    "data_format": fmt,
                    "mfu_vs_fp32_matmul": row["train_images_per_s"] * train_flops
                    / rates["float32"],
                    "mfu": row["train_images_per_s"] * train_flops / rates[precision]}
            rows.append(row)
            print(f"{name:20s} {fmt:14s} {row['loader']:9s} BN {row['batchnorm']:5s} "
                  f"Dropout {row['dropout']:6s} steps/execution {row['steps_per_execution']:2d} "
                  f"{precision:15s} "
                  f"XLA {row['jit_compile']!s:5s} "
                  f"batch {batch_size:4d}  train "
                  f"{row['train_images_per_s']:6.0f} img/s  inference "
                  f"{row['inference_images_per_s']:6.0f} img/s")
    return {"matmul_flops_per_s": rates, "images": images, "rows": rows,
            "threads": threads(), "timed_runs": measure.TIMED_RUNS,
            "statistic": "best"}


