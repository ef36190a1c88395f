"""The lessons' results: the architectures' table, transfer learning as a method-by-budget
table and chart, XOR with its curves, each under its own heading."""

from __future__ import annotations

from pathlib import Path

import pytest

from common import results
from common.records.store import write_record
from common.reports import lessons as results_lessons
from common.reports import report as results_report
from common.reports.sections import SECTIONS, by_section
from tests.run_records import eval_record, train_record


def add_run(folder: Path, experiment: str, sha: str, accuracy: float, dataset: str = "cifar10",
            budget: int | None = None, **train_fields: object) -> None:
    train = train_record(experiment, sha, 1) | {"data": {"dataset": dataset, "train": 1000},
                                                **train_fields}
    if budget:
        train["settings"] = {"labels_per_class": budget}
    write_record(folder, experiment, f"train-{sha}", train)
    write_record(folder, experiment, f"test-{sha}", eval_record(experiment, sha, accuracy,
                                                                "2026-11-22T12:00:00")
                 | {"data": {"dataset": dataset, "source": "x"}})


def test_each_label_budget_is_a_row_and_the_transfer_table_crosses_method_and_budget(
        tmp_path: Path) -> None:
    add_run(tmp_path, "transfer01_animals", "s", 0.85, "cifar10_animals")
    for sha, (method, budget, accuracy) in enumerate([
            ("transfer02_scratch", 25, 0.50), ("transfer02_scratch", 100, 0.60),
            ("transfer03_frozen", 25, 0.70)]):
        add_run(tmp_path, method, str(sha), accuracy, "cifar10_vehicles", budget)
    rows = results.collect(tmp_path)
    assert [r.experiment for r in rows] == ["transfer01_animals", "transfer02_scratch-100",
                                            "transfer02_scratch-25", "transfer03_frozen-25"]
    text = results_report.render_datasets(rows)
    assert text.count("### ") == 1 and "Transfer learning" in text  # one section
    assert "| transfer02_scratch | from scratch | 50.00% | 60.00% |" in text
    assert "| transfer03_frozen | frozen animal features + new classifier | 70.00% | — |" in text
    assert "The source, transfer01_animals" in text and "85.00%" in text
    lines = results_lessons.methods(rows)  # the chart's: in budget order, not name order
    assert [r.labels_per_class for r in lines["transfer02_scratch"]] == [25, 100]
    results_report.write_readme(rows, tmp_path)
    assert (tmp_path / "transfer.png").stat().st_size > 0


def test_the_architectures_table_shows_cost_and_speed_beside_accuracy(tmp_path: Path) -> None:
    add_run(tmp_path, "arch02_inception", "i", 0.8, forward_flops=163_091_456,
            train_seconds=100.0, epochs_run=6)
    add_run(tmp_path, "exp01_baseline", "e", 0.74)
    sections = {section.key: group
                for section, group in by_section(results.collect(tmp_path))}
    assert [r.experiment for r in sections["arch"]] == ["arch02_inception"]
    assert [r.experiment for r in sections["cifar10"]] == ["exp01_baseline"]  # not the steps
    text = results_report.render_datasets(results.collect(tmp_path))
    assert "| arch02_inception | Inception modules (GoogLeNet) | 1,000 | 163 M | 60 | 6 |" in text
    assert text.index("### CIFAR-10") < text.index("### The classic architectures")


def test_xor_rows_link_their_loss_curves(tmp_path: Path) -> None:
    add_run(tmp_path, "xor01_numpy", "x", 1.0, "xor", target=1.0)
    text = results_report.render_datasets(results.collect(tmp_path), charts="results/")
    assert "### XOR from scratch" in text
    assert "![xor01_numpy](results/xor01_numpy/train-x.curves.png)" in text


def test_a_gpu_round_is_compared_only_with_the_table_it_trained_in(tmp_path: Path) -> None:
    from common.reports.devices import render_devices

    add_run(tmp_path / "main", "exp01_baseline", "a", 0.75)
    add_run(tmp_path / "main", "arch01_vgg", "b", 0.85)  # CIFAR-10 too, but a lesson's row
    add_run(tmp_path / "round", "exp01_baseline", "c", 0.76)
    text = render_devices(results.collect(tmp_path / "main"),
                          {"round": results.collect(tmp_path / "round")})
    assert "| exp01_baseline |" in text and "76.00%" in text
    assert "arch01_vgg" not in text


def test_a_tables_experiments_without_runs_are_named_under_it(tmp_path: Path) -> None:
    add_run(tmp_path, "exp01_baseline", "a", 0.75)
    add_run(tmp_path, "transfer02_scratch", "b", 0.6, "cifar10_vehicles", 25)
    rows = results.collect(tmp_path)
    waiting = results_report.not_run_yet(SECTIONS["cifar10"], rows)
    assert "`exp08_wide_residual` (one GPU · 2 min)" in waiting
    assert "exp01_baseline" not in waiting and "arch01_vgg" not in waiting  # run; a lesson
    assert "`transfer05_imagenet`" in results_report.not_run_yet(SECTIONS["transfer"], rows)
    assert "transfer02_scratch" not in results_report.not_run_yet(SECTIONS["transfer"], rows)


def test_a_lesson_is_one_section_declared_in_one_place(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A new lesson's rows get their own table from its Section alone: no report code
    names it."""
    from common.reports import sections
    from common.reports.section import Section
    from common.reports.steps import render

    lesson = Section("toy", "A toy lesson", render,
                     lambda rows, charts, devices: "(its charts)\n", family="exp",
                     per_class=False, curves=False)
    monkeypatch.setitem(sections.SECTIONS, "toy", lesson)
    add_run(tmp_path, "exp01_baseline", "e", 0.74)
    text = results_report.render_datasets(results.collect(tmp_path))
    assert "### A toy lesson" in text and "(its charts)" in text
    assert "### CIFAR-10" not in text  # the lesson claimed the row


def test_a_numpy_networks_time_is_its_newest_runs(tmp_path: Path) -> None:
    """The library's code gets faster; an older run of the recipe timed older code: the
    row's time and images/s are the newest run's, while its accuracy keeps every seed."""
    for sha, seed, seconds in (("old", 1, 1500.0), ("new", 2, 800.0)):
        add_run(tmp_path, "scratch05_deep_convnet", sha, 0.99, "mnist", seed=seed,
                train_seconds=seconds, wall_seconds=seconds, finished=f"2026-12-0{seed}T10:00",
                data={"dataset": "mnist", "train": 60000})
    [row] = results.collect(tmp_path)
    line = next(line for line in results_lessons.render_scratch([row]).splitlines()
                if line.startswith("| scratch05"))
    assert "| 13.3 min | 1,500 |" in line and "n=2" in line
