"""The comparison table joins evaluations to their training runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import common.reports.collect as collecting
from common import results
from common.records.store import platform, read_records, write_record
from common.reports import backends as by_backend
from common.reports import report, steps
from tests.run_records import eval_record, today_record, train_record


def test_rows_average_seeds_and_flag_targets(filled: Path) -> None:
    exp01, exp02 = results.collect(filled)
    assert sorted(exp01.accuracies) == [0.74, 0.76]
    assert exp01.mean == pytest.approx(0.75) and exp01.met is True
    assert exp01.epochs == [20] and exp01.train_seconds == [660.0, 720.0]
    assert exp02.met is False and exp02.target == 0.79
    table = steps.render([exp01, exp02])
    assert "75.00% ± 1.41% (n=2" in table and "**no**" in table


def test_a_rows_idea_and_target_are_its_recipes_whatever_a_record_says(filled: Path) -> None:
    # exp06's first members recorded the ensemble's idea and target as their own (a bug)
    write_record(filled, "exp01_baseline", "train-z", train_record("exp01_baseline", "z", 3)
                 | {"idea": "ensemble of 2", "target": 0.94})
    write_record(filled, "exp01_baseline", "test-z",
                 eval_record("exp01_baseline", "z", 0.75, "2026-11-23T12:00:00"))
    exp01 = results.collect(filled)[0]
    assert (exp01.idea, exp01.target) == ("baseline CNN", 0.74)
    assert len(exp01.accuracies) == 3  # the run itself still counts
    # an experiment this checkout does not have keeps its records' description
    write_record(filled, "exp99_gone", "train-y", train_record("exp99_gone", "y", 1))
    write_record(filled, "exp99_gone", "test-y",
                 eval_record("exp99_gone", "y", 0.5, "2026-11-23T12:00:00"))
    assert results.collect(filled)[-1].idea == "idea of exp99_gone"


def test_readme_and_charts_are_written(filled: Path) -> None:
    results.main(["--results-dir", str(filled)])
    readme = (filled / "README.md").read_text()
    assert "exp02_batchnorm" in readme and "steps.png" in readme
    assert "validation_curves.png" in readme
    for png in ("steps.png", "validation_curves.png"):
        assert (filled / png).stat().st_size > 0


def test_per_class_table_shows_what_each_step_changed(filled: Path) -> None:
    rows = results.collect(filled)
    assert rows[1].val_curve == [0.5, 0.7]
    table = report.render_per_class(rows)
    # exp01's latest evaluation is model b (76%), exp02's 78%: +2 points per class
    assert "| airplane | 76.0% | 78.0% (+2.0) |" in table
    assert "| cat | 56.0% | 58.0% (+2.0) |" in table


def test_earlier_recipes_are_listed_not_averaged(filled: Path) -> None:
    old = train_record("exp01_baseline", "old", 0) | {"settings": {"batch_size": 64},
                                                      "commit": "abc123"}
    write_record(filled, "exp01_baseline", "train-old", old)
    write_record(filled, "exp01_baseline", "test-old",
                 eval_record("exp01_baseline", "old", 0.10, "2026-11-20T12:00:00"))
    exp01, exp02 = results.collect(filled)
    assert sorted(exp01.accuracies) == [0.74, 0.76]  # the latest recipe's two seeds
    assert [(accuracy, r["commit"]) for accuracy, r in exp01.earlier] == [(0.10, "abc123")]
    assert "| exp01_baseline | 10.00% | 0 | 20 | 64 |" in report.render_earlier([exp01, exp02])
    # the series: exp01's mean (660 s, 720 s) plus exp02's 660 s
    assert steps.series_minutes([exp01, exp02]) == pytest.approx((690 + 660) / 60)
    results.main(["--results-dir", str(filled)])
    readme = (filled / "README.md").read_text()
    assert "## Other recipes" in readme and "Whole series" in readme


def test_series_line_names_every_machine_its_runs_trained_on(filled: Path) -> None:
    for name, seed, cpu in (("intel", 5, "Intel Xeon"), ("amd", 6, "AMD EPYC")):
        record = train_record("exp01_baseline", name, seed) | {
            "hardware": {"cpu": cpu, "cores": 2, "gpus": []}}
        write_record(filled, "exp01_baseline", f"train-{name}", record)
        write_record(filled, "exp01_baseline", f"test-{name}",
                     eval_record("exp01_baseline", name, 0.75, f"2026-11-2{seed}T12:00:00"))
    rows = results.collect(filled)
    assert rows[0].machines == ["AMD EPYC, 2 cores", "Intel Xeon, 2 cores", "unknown CPU, ? cores"]
    line = steps.series_line(rows)
    assert "seeds (on AMD EPYC, 2 cores; Intel Xeon, 2 cores; unknown CPU, ? cores)." in line
    # the newest run of each step: exp01's on the AMD (960 s), exp02's only run (660 s)
    assert rows[0].latest == (960, "AMD EPYC, 2 cores")
    assert line.endswith("The newest run of each step: **27.0 min** (on AMD EPYC, 2 cores; "
                         "unknown CPU, ? cores).")


def test_the_row_is_todays_recipe_not_the_run_made_last(filled: Path) -> None:
    # Two seeds of the recipe exp01's code defines today, then a newer run of another recipe
    # (other options) and a quick look (--limit), each tested after them: the row stays.
    for sha, seed in (("t1", 4), ("t2", 5)):
        write_record(filled, "exp01_baseline", f"train-{sha}",
                     today_record("exp01_baseline", sha, seed))
        write_record(filled, "exp01_baseline", f"test-{sha}",
                     eval_record("exp01_baseline", sha, 0.75, f"2026-11-2{seed}T11:00:00"))
    newer = train_record("exp01_baseline", "new", 8) | {"settings": {"batch_size": 32},
                                                        "commit": "new"}
    quick = today_record("exp01_baseline", "quick", 9, limit=512)
    for record, accuracy in ((newer, 0.70), (quick, 0.13)):
        write_record(filled, "exp01_baseline", f"train-{record['commit']}", record)
        write_record(filled, "exp01_baseline", f"test-{record['commit']}",
                     eval_record("exp01_baseline", record["commit"], accuracy,
                                 "2026-11-29T12:00:00"))
    exp01 = results.collect(filled)[0]
    assert exp01.accuracies == [0.75, 0.75]
    assert sorted(r["model_sha256"] for _, r in exp01.earlier) == ["a", "b", "new", "quick"]


def test_a_seed_run_again_is_a_replication_not_one_more_sample(filled: Path) -> None:
    for sha, seed, accuracy in (("s0", 0, 0.75), ("s1", 1, 0.77), ("r0", 0, 0.76)):
        record = today_record("exp01_baseline", sha, seed)
        record["finished"] = f"2026-11-2{len(sha) + seed}T10:0{seed}:00"
        write_record(filled, "exp01_baseline", f"train-{sha}", record)
        write_record(filled, "exp01_baseline", f"test-{sha}",
                     eval_record("exp01_baseline", sha, accuracy, f"2026-11-28T1{seed}:{sha}"))
    exp01 = results.collect(filled)[0]
    assert sorted(exp01.accuracies) == pytest.approx([0.755, 0.77])  # n counts seeds
    assert sorted(a for a, _, _ in exp01.replications[0]) == [0.75, 0.76]
    assert "| 0 | 76.00%, 75.00% |" in report.render_replications([exp01])  # oldest first


def test_float32_evaluation_is_shown_even_when_a_bf16_one_came_later(filled: Path) -> None:
    write_record(filled, "exp01_baseline", "test-f32",
                 eval_record("exp01_baseline", "b", 0.76, "2026-11-29T11:00:00")
                 | {"precision": "float32"})
    write_record(filled, "exp01_baseline", "test-bf16",
                 eval_record("exp01_baseline", "b", 0.77, "2026-11-29T12:00:00")
                 | {"precision": "mixed_bfloat16"})
    # test-1 of model c predates the precision option (float32): a bf16 retest does not
    # replace it; model e has only a bf16 evaluation, which stands in
    for sha, accuracy in (("c", 0.79), ("e", 0.75)):
        write_record(filled, "exp02_batchnorm", f"test-bf16-{sha}",
                     eval_record("exp02_batchnorm", sha, accuracy, "2026-11-29T12:00:00")
                     | {"precision": "mixed_bfloat16"})
    exp01, exp02 = results.collect(filled)
    assert sorted(exp01.accuracies) == [0.74, 0.76]
    assert sorted(exp02.accuracies) == [0.75, 0.78]


def test_same_second_records_are_both_kept(tmp_path: Path) -> None:
    first = write_record(tmp_path, "exp01_baseline", "test-x", {"kind": "test", "n": 1})
    second = write_record(tmp_path, "exp01_baseline", "test-x", {"kind": "test", "n": 2})
    assert first != second
    assert sorted(r["n"] for r in read_records(tmp_path)) == [1, 2]


def test_no_records_explains_what_to_run(tmp_path: Path, capsys) -> None:
    results.main(["--results-dir", str(tmp_path)])
    first = results.experiment_names()[0]
    assert f"python -m experiments.{first}.train" in capsys.readouterr().out


def test_each_dataset_gets_its_own_table_chart_and_class_names(filled: Path) -> None:
    write_record(filled, "fmnist01_cnn", "train-f",
                 train_record("fmnist01_cnn", "f", 1, target=0.92))
    write_record(filled, "fmnist01_cnn", "test-1",
                 eval_record("fmnist01_cnn", "f", 0.93, "2026-11-23T13:00:00")
                 | {"per_class_accuracy": {"Bag": 0.97, "Shirt": 0.7},
                    "data": {"source": "fashion-mnist", "dataset": "fashion_mnist"}})
    rows = results.collect(filled)
    assert [(r.experiment, r.dataset) for r in rows] == [
        ("exp01_baseline", "cifar10"), ("exp02_batchnorm", "cifar10"),
        ("fmnist01_cnn", "fashion_mnist")]
    text = report.render_datasets(rows)
    cifar, fashion = text.split("### Fashion-MNIST")
    assert "### CIFAR-10" in cifar and "exp01_baseline" in cifar and "fmnist01_cnn" not in cifar
    assert "fmnist01_cnn" in fashion and "93.00%" in fashion and "exp01" not in fashion
    assert "Whole series" in cifar and "Whole series" not in fashion  # the series is CIFAR-10's
    readme = report.write_readme(rows, filled).read_text()
    assert (filled / "steps.png").is_file() and (filled / "steps-fashion_mnist.png").is_file()
    assert "| Bag | 97.0% |" in readme


def test_a_reference_json_puts_the_sources_numbers_beside_ours(
        filled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "experiments" / "exp01_baseline"
    folder.mkdir(parents=True)
    (folder / "reference.json").write_text(
        '{"source": "the deck", "test_accuracy": 0.62, '
        '"per_class_accuracy": {"airplane": 0.69, "cat": 0.36, "ship": 0.75}}')
    monkeypatch.setattr(collecting, "EXPERIMENTS_DIR", tmp_path / "experiments")
    rows = results.collect(filled)
    assert rows[0].reference["test_accuracy"] == 0.62 and rows[1].reference is None
    text = report.render_references(rows)
    assert "### exp01_baseline against the deck" in text
    assert "| **all** | 62.0% | 75.00% | +13.0 |" in text
    assert "| airplane | 69% | 76.0% | +7.0 |" in text  # the latest evaluation: model b
    assert "| ship | 75% | — | — |" in text
    assert "## Against the source" in report.write_readme(rows, filled).read_text()


def test_targets_keep_the_digits_the_source_gives() -> None:
    assert [steps.percent(t) for t in (0.74, 0.9905, 0.994, 0.62)] == [
        "74%", "99.05%", "99.4%", "62%"]


def test_rows_name_the_backend_and_device_of_their_runs(tmp_path: Path) -> None:
    runs = {"a": ({"backend": "jax"}, ["NVIDIA H200"]), "b": ({"backend": "torch"}, []),
            "c": ({}, [])}  # a record from before the backend was recorded
    for seed, (sha, (versions, gpus)) in enumerate(runs.items(), start=1):
        write_record(tmp_path, "exp01_baseline", f"train-{sha}",
                     train_record("exp01_baseline", sha, seed)
                     | {"versions": versions, "hardware": {"gpus": gpus}})
        write_record(tmp_path, "exp01_baseline", f"test-{sha}",
                     eval_record("exp01_baseline", sha, 0.75, f"2026-11-2{seed}T12:00:00"))
    (row,) = results.collect(tmp_path)
    # one platform a row (the newest run's among equals); the others' runs are under it
    assert row.platforms == ["tensorflow · CPU"]
    assert sorted(platform(r) for _, r in row.earlier) == ["jax · NVIDIA H200", "torch · CPU"]
    assert "| tensorflow · CPU |" in steps.render([row])


def test_other_backends_runs_of_the_recipe_sit_beside_the_rows(filled: Path) -> None:
    def run(sha: str, seed: int, backend: str, precision: str, epochs: int = 20) -> None:
        settings = {"precision": precision, "epochs": epochs}
        write_record(filled, "exp03_deeper_l2", f"train-{sha}",
                     train_record("exp03_deeper_l2", sha, seed)
                     | {"versions": {"backend": backend}, "settings": settings, "commit": sha,
                        "recipe": {"id": f"{precision}-{epochs}", "settings": settings,
                                   "model_config_sha256": "n"}})
        write_record(filled, "exp03_deeper_l2", f"test-{sha}",
                     eval_record("exp03_deeper_l2", sha, 0.70 + seed / 100,
                                 f"2026-11-2{seed}T12:00:00"))

    run("j", 3, "jax", "float32")
    run("t", 4, "torch", "float32", epochs=5)  # another recipe: not beside the row
    run("f", 5, "tensorflow", "float32")  # precision is the machine's: the same recipe
    run("k", 6, "tensorflow", "mixed_bfloat16")
    run("l", 7, "tensorflow", "mixed_bfloat16")
    exp01, exp02, exp03 = results.collect(filled)
    assert by_backend.accuracies_by_platform(exp03) == {
        "tensorflow · CPU": pytest.approx([0.75, 0.76, 0.77]), "jax · CPU": pytest.approx([0.73])}
    table = report.render_by_backend([exp01, exp02, exp03])
    assert table.splitlines()[0] == "| experiment | jax · CPU | tensorflow · CPU |"
    assert "| exp03_deeper_l2 | 73.00% | 76.00% ± 1.00% (n=3) |" in table
    assert "exp01_baseline" not in table  # one backend only
    assert report.render_by_backend([exp01, exp02]) == ""
    results.main(["--results-dir", str(filled)])
    assert "## By backend" in (filled / "README.md").read_text()



def test_a_gpu_rounds_runs_sit_beside_the_rows_not_in_them(filled: Path) -> None:
    round_dir = filled / "gpu" / "2026-12-04-h200"
    on_gpu = {"versions": {"backend": "jax"}, "hardware": {"gpus": ["cuda:0"]}}
    write_record(round_dir, "exp01_baseline", "train-g",
                 train_record("exp01_baseline", "g", 5) | on_gpu | {"train_seconds": 30.0})
    write_record(round_dir, "exp01_baseline", "test-g",
                 eval_record("exp01_baseline", "g", 0.75, "2026-12-04T12:00:00") | on_gpu)
    results.main(["--results-dir", str(filled)])
    text = (filled / "README.md").read_text()
    assert ("| exp01_baseline | 11.5 min | 75.00% (n=2) | tensorflow · CPU | 30.0 s | 75.00% "
            "| jax · cuda:0 |") in text  # the row keeps its own two runs
    assert "| exp02_batchnorm | 11.0 min | 78.00% | tensorflow · CPU | — | — | — |" in text


def test_the_slides_recipe_sits_beside_the_step_not_in_its_table(filled: Path, capsys) -> None:
    slides = train_record("exp01_baseline", "sl", 3) | {
        "settings": {"variant": "slides", "epochs": 25}, "commit": "sl"}
    write_record(filled, "exp01_baseline", "train-sl", slides)
    write_record(filled, "exp01_baseline", "test-sl",
                 eval_record("exp01_baseline", "sl", 0.72, "2026-11-29T12:00:00"))
    rows = results.collect(filled)
    assert [r.experiment for r in rows if r.variant] == ["exp01_baseline-slides"]
    section = report.render_datasets(rows)
    table, beside = section.split("The slides' own recipe")
    assert "exp01_baseline-slides" not in table  # the steps' table is ours
    # slides' figure, epochs, time; ours; ours minus the slides' in points
    assert ("| exp01_baseline | 72.00% | 20 | 13.0 min | 75.00% ± 1.41% (n=2) | 20 | 11.5 min "
            "| +3.00 |") in beside
    results.main(["--results-dir", str(filled)])  # the terminal shows what README.md shows
    assert section.split("![")[0] in capsys.readouterr().out


def test_the_time_is_an_idle_machines_a_timing_run_stands_in_for_shared_runs(
        filled: Path) -> None:
    def run(sha: str, seed: int, share: float, epochs: int | None = None) -> None:
        record = today_record("exp01_baseline", sha, seed) | {"cpu_share": share}
        if epochs:  # a timing run: the recipe for fewer epochs
            record["settings"] = {**record["settings"], "epochs": epochs}
            record |= {"epochs_run": epochs, "train_seconds": 30.0 * epochs}
        write_record(filled, "exp01_baseline", f"train-{sha}", record)
        write_record(filled, "exp01_baseline", f"test-{sha}",
                     eval_record("exp01_baseline", sha, 0.75, f"2026-11-2{seed}T11:00:00"))

    run("s4", 4, 0.5)  # shared: 840 s
    exp01 = results.collect(filled)[0]
    assert exp01.train_seconds == [840.0] and exp01.time_note == " (shared machine)"
    run("t5", 5, 0.95, epochs=2)  # 30 s an epoch with the machine to itself
    exp01 = results.collect(filled)[0]
    assert exp01.train_seconds == [30.0 * 20] and exp01.time_note == " (2 timed epochs × 20)"
    assert exp01.accuracies == [0.75]  # the timing run is not a sample of the recipe
    run("s6", 6, 0.9)  # a full run that had the machine: its own time
    exp01 = results.collect(filled)[0]
    assert exp01.train_seconds == [960.0] and exp01.time_note == ""


def test_a_run_bound_to_one_core_had_the_machine_when_nothing_else_ran() -> None:
    """exp00 at batch 4 uses 74% of two idle cores: the machine's busy time, not the run's
    own share, tells an idle machine from a shared one."""
    from common.reports.row import had_the_machine

    assert had_the_machine({"cpu_share": 0.74, "others_share": 0.03}) is True
    assert had_the_machine({"cpu_share": 0.74, "others_share": 0.35}) is False
    assert had_the_machine({"cpu_share": 0.74}) is False  # no busy time kept: its share
    assert had_the_machine({"cpu_share": 0.9, "others_share": 0.3}) is True
    assert had_the_machine({}) is None


def test_an_epoch_keeps_what_every_process_on_the_machine_used() -> None:
    from common.basics.hardware import machine_busy_seconds
    from common.records.store import cpu_use

    if machine_busy_seconds() is None:
        pytest.skip("no /proc/stat here")
    start = machine_busy_seconds()
    sum(i * i for i in range(3_000_000))  # some work of this process
    assert machine_busy_seconds() > start
    use = cpu_use({"seconds": [2.0], "cpu_seconds": [1.0], "machine_cpu_seconds": [1.5]})
    assert use["others_share"] == pytest.approx(0.5 / (2.0 * len(os.sched_getaffinity(0))),
                                                abs=1e-3)
