"""The benchmark's arithmetic: FLOP counts and the comparison table."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

import common.bench.measure as bench_module
from common.bench.measure import channels_first_copy
from common.bench.report import render, render_sweep, write_choices
from common.bench.ways import training_inputs
from common.data.loading import scale
from common.data.pipeline import EpochShuffledBatches
from common.models.flops import forward_flops
from experiments.exp01_baseline.model import build_model as build_exp01
from experiments.exp03_deeper_l2.model import build_model as build_exp03


def test_exp01_forward_flops_by_hand() -> None:
    # 2 x multiply-adds: conv1, conv2, conv3, poolhidden, output (recipes.md's table)
    by_hand = 2 * (30 * 30 * 32 * 27 + 30 * 30 * 32 * 288 + 15 * 15 * 64 * 288
                   + 3136 * 512 + 512 * 10)
    assert forward_flops(build_exp01()) == by_hand == 29_659_904


def test_table_reports_ratios_against_the_slides() -> None:
    record = {"matmul_flops_per_s": 100e9, "images": 640,
              "versions": {"backend": "tensorflow"}, "hardware": {"cores": 2, "cpu": "x"},
              "rows": [{"experiment": "e", "way": "slides", "batch_size": 32,
                        "train_images_per_s": 400.0, "inference_images_per_s": 2000.0,
                        "mfu": 0.2},
                       {"experiment": "e", "way": "ours", "batch_size": 64,
                        "precision": "mixed_bfloat16",
                        "train_images_per_s": 900.0, "inference_images_per_s": 5000.0,
                        "mfu": 0.45},
                       {"experiment": "e", "way": "ours, no augmentation", "batch_size": 64,
                        "precision": "mixed_bfloat16",
                        "train_images_per_s": 1000.0, "inference_images_per_s": 5000.0,
                        "mfu": 0.5}]}
    table = render(record)
    assert ("| e | ours | mixed_bfloat16 | 64 | 900 | 5000 | 45.0% | **2.25×** | 2.50× |"
            in table)
    assert "one timing" in table  # an old record, from before the median of three
    assert "median of 3 timings" in render(record | {"timed_runs": 3})  # before "statistic"
    assert "best of 3 timings" in render(record | {"timed_runs": 3, "statistic": "best"})
    assert "e: training with augmentation runs at 90.0% of the throughput without it" in table


def test_sweep_table_shows_each_measured_choice() -> None:
    record = {"matmul_flops_per_s": {"float32": 100e9}, "images": 640,
              "hardware": {"cores": 2, "cpu": "x"},
              "rows": [{"experiment": "e", "precision": "mixed_bfloat16", "jit_compile": True,
                        "batch_size": 64, "train_images_per_s": 800.0,
                        "inference_images_per_s": 3000.0, "mfu_vs_fp32_matmul": 0.55}]}
    record["rows"].append(record["rows"][0] | {"batchnorm": "fused", "jit_compile": False})
    table = render_sweep(record | {"threads": {"intra_op": 1, "inter_op": 1}})
    # records from before the fused kernels existed ran Keras' own BatchNormalization and
    # Dropout, fed by the PyDataset one step per call
    assert ("| e | channels_last | pydataset | keras | keras | 1 | mixed_bfloat16 | on | 64 "
            "| 800 | 3000 | 55.0% |") in table
    assert "| pydataset | fused | keras | 1 | mixed_bfloat16 | off | 64 |" in table
    assert "| graph | fused | 16-bit | 8 |" in render_sweep(
        record | {"rows": [record["rows"][1] | {"loader": "graph", "dropout": "16-bit",
                                                "steps_per_execution": 8}]})
    assert "threads intra-op 1, inter-op 1" in table


@pytest.mark.parametrize("loader", ["arrays", "tf.data", "graph"])
def test_every_loader_feeds_the_same_scaled_images_and_labels(loader: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (10, 32, 32, 3), dtype=np.uint8)
    y = np.arange(10) % 10
    batches = EpochShuffledBatches(x, y, batch_size=4, seed=0, num_classes=10)
    data = training_inputs(loader, batches)
    if loader == "arrays":
        images, labels = data["x"], data["y"]
        assert data["batch_size"] == 4
    else:
        fed = list(data["x"].as_numpy_iterator())
        assert [len(a) for a, _ in fed] == [4, 4, 2]
        images, labels = (np.concatenate(parts) for parts in zip(*fed, strict=True))
    order = labels.argmax(axis=1).argsort()  # tf.data shuffles; labels here are unique
    np.testing.assert_array_equal(images[order], scale(x))
    assert images.dtype == np.float32 and labels.shape == (10, 10)


def test_an_unknown_loader_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown loader 'disk'"):
        training_inputs("disk", EpochShuffledBatches(np.zeros((2, 32, 32, 3), np.uint8),
                                                     np.zeros(2, int), 2, seed=0, num_classes=10))


def channels_first_runs_here() -> bool:
    """TensorFlow runs NCHW convolutions on a CPU only through oneDNN, which it enables on
    CPUs with AVX-512; on AVX2-only CPUs it refuses them."""
    conv = keras.layers.Conv2D(1, 1, data_format="channels_first")
    try:
        conv(np.zeros((1, 1, 2, 2), np.float32))
    except Exception:  # tf.errors.UnimplementedError
        return False
    return True


def test_channels_first_copy_is_the_same_network_on_transposed_images() -> None:
    model = build_exp03()
    copy = channels_first_copy(model)
    assert copy.input_shape == (None, 3, 32, 32)
    assert copy.count_params() == model.count_params()
    assert forward_flops(copy) == forward_flops(model)
    copy.set_weights(model.get_weights())  # Flatten's data_format keeps the Dense order
    x = np.random.default_rng(0).random((4, 32, 32, 3), dtype=np.float32)
    if not channels_first_runs_here():
        pytest.skip("this CPU's TensorFlow build runs NHWC convolutions only (no oneDNN)")
    np.testing.assert_allclose(copy.predict(x.transpose(0, 3, 1, 2), verbose=0),
                               model.predict(x, verbose=0), rtol=1e-4, atol=1e-6)


def test_choices_list_every_sweep_newest_first(tmp_path: Path) -> None:
    for stamp, backend in (("20260101-000000", "tensorflow"), ("20260102-000000", "jax")):
        record = {"matmul_flops_per_s": {"float32": 1e11}, "images": 64, "commit": "c",
                  "command": f"sweep on {backend}", "versions": {"backend": backend},
                  "hardware": {"cores": 2, "cpu": "x"}, "rows": []}
        (tmp_path / f"sweep-{stamp}.json").write_text(json.dumps(record))
    text = write_choices(tmp_path).read_text()
    assert text.index("jax backend") < text.index("tensorflow backend")


def test_training_rate_times_epochs_inside_one_fit_call() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    x, y = np.zeros((64, 4), "float32"), np.zeros((64, 2), "float32")
    calls = []

    def fit(epochs: int, callbacks: list) -> keras.callbacks.History:
        calls.append(epochs)
        return model.fit(x, y, epochs=epochs, verbose=0, callbacks=callbacks)

    rate, each = bench_module.train_rate(fit, images=64)
    assert calls == [1 + bench_module.TIMED_RUNS]  # one call: fit's teardown is not timed
    assert len(each) == bench_module.TIMED_RUNS and rate == max(each) > 0


def test_training_rate_skips_the_first_epoch_and_keeps_the_fastest() -> None:
    def fit(epochs: int, callbacks: list) -> None:
        callbacks[0].epoch_seconds = [10.0, 1.0, 2.0, 4.0]  # warm-up, then three epochs

    rate, each = bench_module.train_rate(fit, images=100)
    assert each == [100.0, 50.0, 25.0] and rate == 100.0


def test_rate_is_the_fastest_timing_after_an_untimed_warm_up(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    clock = iter([0.0, 1.0, 1.0, 11.0, 11.0, 13.0])  # timed runs of 1 s, 10 s and 2 s
    monkeypatch.setattr(bench_module.time, "perf_counter", lambda: next(clock))
    rate, each = bench_module.best_rate(lambda: calls.append(1), images=100)
    assert len(calls) == 4  # warm-up + 3 timed
    assert each == [100.0, 10.0, 50.0] and rate == 100.0  # a slowed pass never counts


def test_timings_option_sets_how_many_epochs_are_timed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_module, "TIMED_RUNS", bench_module.TIMED_RUNS)  # restored after
    asked = []

    def fit(epochs: int, callbacks: list) -> None:
        asked.append(epochs)
        callbacks[0].epoch_seconds = [1.0] * epochs

    bench_module.set_timings(8)
    assert len(bench_module.train_rate(fit, images=10)[1]) == 8 and asked == [9]
    with pytest.raises(SystemExit, match="--timings must be at least 1, got 0"):
        bench_module.set_timings(0)


def test_backends_table_puts_backends_side_by_side(monkeypatch: pytest.MonkeyPatch) -> None:
    from common.bench import backends

    monkeypatch.setattr(backends.importlib.util, "find_spec", lambda name: None)
    record = backends.across_backends(["torch"], ["exp01_baseline"], 64, None, 1)
    assert record["rows"] == [{"experiment": "exp01_baseline", "backend": "torch",
                               "installed": False}]
    record["rows"] += [
        {"experiment": "exp01_baseline", "backend": "jax", "jit_compile": False,
         "train_images_per_s": 100.4, "inference_images_per_s": 900.0},
        {"experiment": "exp01_baseline", "backend": "tensorflow", "jit_compile": False,
         "precision": "mixed_bfloat16",
         "train_images_per_s": 500.0, "inference_images_per_s": 2000.0}]
    table = backends.render(record | {"hardware": {"cores": 2, "cpu": "x"}})
    assert ("| exp01_baseline | not installed | — | 100 (op by op) | 900 | 500 | 2000 |"
            in table)
    # the precision each backend ran in: speeds in bfloat16 and float32 are not alike
    assert "`--precision auto`: tensorflow mixed_bfloat16)" in table


def test_every_backends_record_keeps_its_own_table_newest_first(tmp_path: Path) -> None:
    from common.bench import backends

    def record(experiment: str, images: int) -> dict:
        return {"images": images, "timed_runs": 2, "hardware": {"cores": 2, "cpu": "x"},
                "rows": [{"experiment": experiment, "backend": "torch",
                          "train_images_per_s": 80.0, "inference_images_per_s": 300.0}]}

    first, second = "backends-20261129-030000.json", "backends-20261129-180000.json"
    (tmp_path / first).write_text(json.dumps(record("exp01_baseline", 3200)))
    (tmp_path / second).write_text(json.dumps(record("exp07_speedrun", 1600)))
    text = backends.render_all(tmp_path)
    newer, older = text.index(second), text.index(first)
    assert newer < older
    assert text.index("| exp07_speedrun | 80 | 300 |") < older < text.index("| exp01_baseline |")
    assert "1600 training images" in text[:older] and "3200 training images" in text[older:]


def test_curves_table_puts_each_backends_epochs_side_by_side(tmp_path: Path) -> None:
    from common.bench import backends
    from common.records.store import write_record

    for backend, accuracy in (("jax", 0.30), ("tensorflow", 0.35)):
        folder = tmp_path / backend
        write_record(folder, "exp04_augmentation", "train-x", {
            "kind": "train", "experiment": "exp04_augmentation", "model_sha256": backend,
            "command": "python -m experiments.exp04_augmentation.train --limit 10",
            "seed": 0, "commit": "abc", "data": {"train": 10}, "train_seconds": 5.0,
            "hardware": {"cpu": "x", "cores": 2}, "history_csv": "train-x.history.csv",
            "finished": "2026-11-29T00:00:00"})
        (folder / "exp04_augmentation" / "train-x.history.csv").write_text(
            f"epoch,accuracy,val_accuracy\n0,{accuracy},0.1\n1,{accuracy + 0.1},0.2\n")
        write_record(folder, "exp04_augmentation", "test-x", {
            "kind": "test", "experiment": "exp04_augmentation", "model_sha256": backend,
            "test_accuracy": accuracy + 0.05, "finished": "2026-11-29T00:01:00"})
    table = backends.render_curves(tmp_path)
    assert "| 2 | 0.4000 | 0.2000 | 0.4500 | 0.2000 |" in table
    assert "| test | 0.3500 |  | 0.4000 |  |" in table


def test_the_benchmark_times_the_path_training_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our way is set up by training's own prepare_run: the recipe's initialize runs and
    its alternating flips are in the batches (exp07's whitening and flips, transfer's
    frozen layers are timed as they train)."""
    from dataclasses import replace

    from common.bench import ways
    from experiments.exp01_baseline.train import SETTINGS

    seen: dict = {}
    real = ways.prepare_run

    def spy(network: keras.Model, settings: object, batches: EpochShuffledBatches,
            *args: object, **kwargs: object) -> object:
        seen["flips"] = batches.first_side is not None
        return real(network, settings, batches, *args, **kwargs)

    def initialize(network: keras.Model, images: np.ndarray) -> None:
        seen["initialized on"] = images.shape

    monkeypatch.setattr(ways, "prepare_run", spy)
    monkeypatch.setattr(bench_module, "TIMED_RUNS", 1)
    settings = replace(SETTINGS, batch_size=16, alternate_flips=True, initialize=initialize)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (32, 32, 32, 3), dtype=np.uint8)
    y = rng.integers(0, 10, 32)
    row = ways.our_way(build_exp01, settings, x, y, x[:16], y[:16], precision="float32")
    assert seen == {"flips": True, "initialized on": (32, 32, 32, 3)}
    assert row["train_images_per_s"] > 0 and row["steps_per_execution"] == 8
