"""Command line of the benchmark: ``python -m common.bench``."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from common.basics.files import write_text_atomic
from common.basics.paths import REPO_ROOT, RESULTS_DIR
from common.basics.provenance import git_commit, stamp
from common.bench import measure, report
from common.bench.backends import across_backends, render_all, render_curves
from common.bench.backends import render as render_backends
from common.bench.fusion import render as render_steps
from common.bench.fusion import steps_per_call_rows
from common.bench.runs import bench, sweep
from common.bench.ways import LOADERS
from common.config.registry import experiment_names
from common.records.store import new_record, write_record
from common.reports.report import replace_section
from common.training.setup import STEPS_PER_EXECUTION


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m common.bench",
        description="Train and evaluate the same models the slides' way and ours; report "
                    "images/s, model FLOPs utilisation and the speed-up. Writes a record to "
                    "results/bench/ and rewrites results/bench/README.md and the benchmark "
                    "table of docs/speed.md. A default run took 208 s on 2 cores of an AMD "
                    "EPYC (results/bench/bench-20261124-020144.json).")
    parser.add_argument("--experiments", nargs="+", default=experiment_names(),
                        choices=experiment_names(), metavar="NAME",
                        help="experiments to measure (default: every one in experiments/)")
    parser.add_argument("--images", type=int, default=6400,
                        help="training images per timed epoch (default %(default)s)")
    parser.add_argument("--data", default=None,
                        help="as for training (default: the dataset's environment variable, "
                             "else auto)")
    parser.add_argument("--sweep", action="store_true",
                        help="instead: our way under each --batch-sizes and --precisions")
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[32, 64, 128, 256],
                        help="--sweep: images per training step (default %(default)s)")
    parser.add_argument("--precisions", nargs="+", default=["float32", "mixed_bfloat16"],
                        help="--sweep: what the layers compute in (default %(default)s)")
    parser.add_argument("--jit", action="store_true",
                        help="--sweep also with XLA compilation (jit_compile=True)")
    parser.add_argument("--data-formats", nargs="+", default=["channels_last"],
                        choices=["channels_last", "channels_first"],
                        help="--sweep: image layouts to measure (default %(default)s)")
    parser.add_argument("--batchnorms", nargs="+", default=["fused"], choices=["keras", "fused"],
                        help="--sweep: Keras' own BatchNormalization training path, or "
                             "TensorFlow's fused kernel (common/layers/fused_batchnorm.py; "
                             "default %(default)s)")
    parser.add_argument("--dropouts", nargs="+", default=["fast"], choices=["keras", "fast"],
                        help="--sweep: Keras' Dropout, or 16 random bits per activation "
                             "(common/layers/fast_dropout.py; default %(default)s)")
    parser.add_argument("--steps-per-execution", nargs="+", type=int, default=[None],
                        help="--sweep: training steps per call into the compiled graph "
                             f"(default: training's, {STEPS_PER_EXECUTION}; 1 on PyTorch)")
    parser.add_argument("--loaders", nargs="+", default=["ours"], choices=LOADERS,
                        help="--sweep: how the training images reach fit: ours (graph on "
                             "TensorFlow, else pydataset), graph (in-graph batches), pydataset "
                             "(Keras' PyDataset), float32 arrays, or a cached tf.data pipeline "
                             "(default %(default)s)")
    parser.add_argument("--timings", type=int, default=measure.TIMED_RUNS,
                        help="timed epochs (and inference passes) per row, fastest "
                             "reported; more show how often a pass is slowed "
                             "(default %(default)s)")
    parser.add_argument("--threads", type=int, default=0,
                        help="TensorFlow intra/inter-op threads (default 0: one per core)")
    parser.add_argument("--backends", nargs="+", choices=("tensorflow", "jax", "torch"),
                        help="instead: our way under each of these Keras backends, side by "
                             "side (each in its own process)")
    parser.add_argument("--steps-per-call", nargs="+", type=int, metavar="K",
                        help="instead: ms a training step with K steps per compiled call "
                             "(1: fit's path; more: the fused path, JAX), side by side; "
                             "records in results/bench/steps-*.json, table in "
                             "results/bench/steps.md")
    parser.add_argument("--curves", action="store_true",
                        help="measure nothing: tabulate the short runs under each backend "
                             "in results/backends/ (docs/speed.md says how they were made)")
    parser.add_argument("--report", action="store_true",
                        help="measure nothing: rewrite the tables from the records")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    folder = args.results_dir / "bench"
    measure.set_timings(args.timings)
    if args.threads:
        measure.set_threads(args.threads)
    if args.curves:
        folder = args.results_dir / "backends"
        table = render_curves(folder) if folder.is_dir() else ""
        if not table:
            raise SystemExit(f"error: no runs under {folder}/<backend>/; docs/speed.md says "
                             "how to make them")
        write_text_atomic(folder / "README.md",
                          "# The same short run under each backend\n\nGenerated by "
                          "`python -m common.bench --curves` from the records in each "
                          f"backend's folder; do not edit by hand.\n\n{table}")
        print(table)
        if args.results_dir.resolve() == RESULTS_DIR:
            replace_section(REPO_ROOT / "docs" / "speed.md", "curves", table)
        return
    if args.backends:
        path, record = _measured("bench-backends", "backends", args.results_dir,
                                 lambda: across_backends(args.backends, args.experiments,
                                                         args.images, args.data, args.timings))
        _write_backends_tables(folder, args.results_dir)
        print(f"\n{render_backends(record)}\nrecorded {path}")
        return
    if args.steps_per_call:
        path, record = _measured("bench-steps", "steps", args.results_dir,
                                 lambda: steps_per_call_rows(args.experiments,
                                                             args.steps_per_call, args.images,
                                                             args.data))
        print(f"\n{_write_steps_table(folder, args.results_dir)}\nrecorded {path}")
        return
    if args.sweep:
        path, record = _measured("bench-sweep", "sweep", args.results_dir, lambda: sweep(
            args.experiments, args.batch_sizes, args.precisions, args.images, args.data,
            (False, True) if args.jit else (False,), args.data_formats, args.batchnorms,
            args.loaders, args.dropouts, args.steps_per_execution))
        report.write_choices(folder)
        print(f"\n{report.render_sweep(record)}\nrecorded {path}")
        return
    if args.report:
        records = sorted(folder.glob("bench-*.json"))
        if not records:
            raise SystemExit(f"error: no benchmark records in {folder}; run python -m common.bench")
        path, record = records[-1], json.loads(records[-1].read_text())
        report.write_choices(folder)
        if any(folder.glob("backends-*.json")):
            _write_backends_tables(folder, args.results_dir)
        if any(folder.glob("steps-*.json")):
            _write_steps_table(folder, args.results_dir)
    else:
        path, record = _measured("bench", "bench", args.results_dir,
                                 lambda: bench(args.experiments, args.images, args.data))
    table = report.render(record)
    write_text_atomic(folder / "README.md",
                      "# Benchmark: the slides' way against ours\n\nGenerated by "
                      f"`python -m common.bench` ([{path.name}]({path.name})); do not edit "
                      f"by hand.\n\n{table}")
    print(f"\n{table}\n{'tables from' if args.report else 'recorded'} {path}")
    if args.results_dir.resolve() == RESULTS_DIR:
        replace_section(REPO_ROOT / "docs" / "speed.md", "bench", table)


def _write_backends_tables(folder: Path, results_dir: Path) -> None:
    """backends.md (and docs/speed.md's section): every backends record, newest first."""
    tables = render_all(folder)
    write_text_atomic(folder / "backends.md",
                      "# Benchmark: one training path, three backends\n\nGenerated by "
                      "`python -m common.bench --backends ...` (or `--report`) from its "
                      f"records, newest first; do not edit by hand.\n\n{tables}")
    if results_dir.resolve() == RESULTS_DIR:
        replace_section(REPO_ROOT / "docs" / "speed.md", "backends",
                        tables.replace("](backends-", "](../results/bench/backends-"))


def _write_steps_table(folder: Path, results_dir: Path) -> str:
    """results/bench/steps.md (and docs/speed.md's section) from the newest steps record."""
    path = sorted(folder.glob("steps-*.json"))[-1]
    table = render_steps(json.loads(path.read_text()))
    write_text_atomic(folder / "steps.md", "# Steps per compiled call\n\nGenerated by "
                      f"`python -m common.bench --steps-per-call` ([{path.name}]({path.name})); "
                      f"do not edit by hand.\n\n{table}")
    if results_dir.resolve() == RESULTS_DIR:
        replace_section(REPO_ROOT / "docs" / "speed.md", "steps", table)
    return table


def _measured(kind: str, prefix: str, results_dir: Path,
              measure_rows: Callable[[], dict]) -> tuple[Path, dict]:
    """Run a measurement and write its record (command, commit, machine, wall time) to
    ``results/bench/<prefix>-<stamp>.json``."""
    commit, started = git_commit(), time.perf_counter()
    rows = measure_rows()
    record = new_record(kind, commit, **rows,
                        wall_seconds=round(time.perf_counter() - started, 1))
    return write_record(results_dir, "bench", f"{prefix}-{stamp()}", record), record


if __name__ == "__main__":
    main()
