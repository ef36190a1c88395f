"""The comparison table joins evaluations to their training runs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from common import recipe_identity, results
from common import results_backends as by_backend
from common import results_report as report
from common.records import REPO_ROOT, read_records, write_record


def train_record(experiment: str, sha: str, seed: int, target: float = 0.74) -> dict:
    return {"kind": "train", "experiment": experiment, "idea": f"idea of {experiment}",
            "target": target, "model_sha256": sha, "seed": seed, "epochs_run": 20,
            "train_seconds": 600.0 + seed * 60, "finished": f"2026-11-2{seed}T10:00:00"}


def eval_record(experiment: str, sha: str, accuracy: float, when: str) -> dict:
    per_class = {"airplane": accuracy, "cat": accuracy - 0.2}
    return {"kind": "test", "experiment": experiment, "model_sha256": sha,
            "test_accuracy": accuracy, "params": 1000, "finished": when,
            "per_class_accuracy": per_class,
            "data": {"source": "../shared/datasets/cifar10-jpeg.tar.gz"}}


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    write_record(tmp_path, "exp01_baseline", "train-a", train_record("exp01_baseline", "a", 1))
    write_record(tmp_path, "exp01_baseline", "train-b", train_record("exp01_baseline", "b", 2))
    # model a evaluated twice: only the later evaluation counts
    write_record(tmp_path, "exp01_baseline", "test-1",
                 eval_record("exp01_baseline", "a", 0.50, "2026-11-21T11:00:00"))
    write_record(tmp_path, "exp01_baseline", "test-2",
                 eval_record("exp01_baseline", "a", 0.74, "2026-11-21T12:00:00"))
    write_record(tmp_path, "exp01_baseline", "test-3",
                 eval_record("exp01_baseline", "b", 0.76, "2026-11-22T12:00:00"))
    write_record(tmp_path, "exp02_batchnorm", "train-c",
                 train_record("exp02_batchnorm", "c", 1, target=0.79)
                 | {"history_csv": "train-c.history.csv"})
    (tmp_path / "exp02_batchnorm" / "train-c.history.csv").write_text(
        "epoch,val_accuracy\n0,0.5\n1,0.7\n")
    write_record(tmp_path, "exp02_batchnorm", "test-1",
                 eval_record("exp02_batchnorm", "c", 0.78, "2026-11-22T13:00:00"))
    return tmp_path


def test_rows_average_seeds_and_flag_targets(filled: Path) -> None:
    exp01, exp02 = results.collect(filled)
    assert sorted(exp01.accuracies) == [0.74, 0.76]
    assert exp01.mean == pytest.approx(0.75) and exp01.met is True
    assert exp01.epochs == [20] and exp01.train_seconds == [660.0, 720.0]
    assert exp02.met is False and exp02.target == 0.79
    table = report.render([exp01, exp02])
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
    assert report.series_minutes([exp01, exp02]) == pytest.approx((690 + 660) / 60)
    results.main(["--results-dir", str(filled)])
    readme = (filled / "README.md").read_text()
    assert "## Earlier recipes" in readme and "Whole series" in readme


def test_series_line_names_every_machine_its_runs_trained_on(filled: Path) -> None:
    for name, seed, cpu in (("intel", 5, "Intel Xeon"), ("amd", 6, "AMD EPYC")):
        record = train_record("exp01_baseline", name, seed) | {
            "hardware": {"cpu": cpu, "cores": 2, "gpus": []}}
        write_record(filled, "exp01_baseline", f"train-{name}", record)
        write_record(filled, "exp01_baseline", f"test-{name}",
                     eval_record("exp01_baseline", name, 0.75, f"2026-11-2{seed}T12:00:00"))
    rows = results.collect(filled)
    assert rows[0].machines == ["AMD EPYC, 2 cores", "Intel Xeon, 2 cores", "unknown CPU, ? cores"]
    line = report.series_line(rows)
    assert "seeds (on AMD EPYC, 2 cores; Intel Xeon, 2 cores; unknown CPU, ? cores)." in line
    # the newest run of each step: exp01's on the AMD (960 s), exp02's only run (660 s)
    assert rows[0].latest == (960, "AMD EPYC, 2 cores")
    assert line.endswith("The newest run of each step: **27.0 min** (on AMD EPYC, 2 cores; "
                         "unknown CPU, ? cores).")


def add_exp03_run(results_dir: Path, name: str, seed: int, settings: dict) -> None:
    """A trained and tested exp03 run: model, commit and record names all ``name``."""
    write_record(results_dir, "exp03_deeper_l2", f"train-{name}",
                 train_record("exp03_deeper_l2", name, seed) | {"settings": settings,
                                                                "commit": name})
    write_record(results_dir, "exp03_deeper_l2", f"test-{name}",
                 eval_record("exp03_deeper_l2", name, 0.8, f"2026-11-2{seed}T12:00:00"))


def test_optimizer_splits_recipes_whatever_its_spelling(filled: Path) -> None:
    # Older records wrote "Adam", newer ones the recipe's "adam": one recipe, two seeds.
    for name, seed, optimizer in (("z", 3, "sgd"), ("x", 4, "Adam"), ("y", 5, "adam")):
        add_exp03_run(filled, name, seed, {"batch_size": 64, "optimizer": optimizer})
    exp03 = results.collect(filled)[2]
    assert len(exp03.accuracies) == 2  # x and y: the latest recipe, two seeds
    assert [r["commit"] for _, r in exp03.earlier] == ["z"]
    assert "| 64 | sgd | — | 0.0 |" in report.render_earlier([exp03])  # no smoothing recorded


@pytest.mark.parametrize("key, kernels", [("batchnorm", ("fused", "keras")),
                                          ("dropout", ("16-bit", "keras"))])
def test_the_batchnorm_or_dropout_kernel_does_not_split_a_recipe(
        filled: Path, key: str, kernels: tuple[str, str]) -> None:
    # Records before the fast kernels did not name one; the kernel changes speed only.
    for name, seed, kernel in (("k", 3, None), ("f", 4, kernels[0]), ("e", 5, kernels[1])):
        add_exp03_run(filled, name, seed, {"batch_size": 64} | ({key: kernel} if kernel else {}))
    exp03 = results.collect(filled)[2]
    assert len(exp03.accuracies) == 3 and exp03.earlier == []


@pytest.mark.parametrize("key, columns", [
    ("label_smoothing", "| — | 0.2 | 0.0 | — |"),  # learning rate, smoothing, decay, precision
    ("weight_decay", "| — | 0.0 | 0.2 | — |"),
])
def test_earlier_recipes_show_the_setting_they_differ_by(filled: Path, key: str,
                                                         columns: str) -> None:
    for name, seed, value in (("p", 3, 0.2), ("q", 4, 0.1)):
        add_exp03_run(filled, name, seed, {key: value})
    exp03 = results.collect(filled)[2]
    assert [r["commit"] for _, r in exp03.earlier] == ["p"]
    assert columns in report.render_earlier([exp03])


@pytest.mark.parametrize("retest_precision", [None, "float32", "mixed_bfloat16"])
def test_row_follows_the_model_evaluated_last_not_the_run_trained_last(
        filled: Path, retest_precision: str | None) -> None:
    # A newer recipe was trained and tested, then the older model was restored and retested
    # (in any precision: a bf16 retest marks it as the latest as much as a float32 one).
    newer = train_record("exp01_baseline", "new", 3) | {"settings": {"batch_size": 128},
                                                        "commit": "new"}
    newer["finished"] = "2026-11-29T10:00:00"
    write_record(filled, "exp01_baseline", "train-new", newer)
    write_record(filled, "exp01_baseline", "test-new",
                 eval_record("exp01_baseline", "new", 0.70, "2026-11-29T11:00:00"))
    retest = eval_record("exp01_baseline", "b", 0.76, "2026-11-29T12:00:00")
    if retest_precision:
        retest["precision"] = retest_precision
    write_record(filled, "exp01_baseline", "test-again", retest)
    exp01 = results.collect(filled)[0]
    assert sorted(exp01.accuracies) == [0.74, 0.76]
    assert [r["commit"] for _, r in exp01.earlier] == ["new"]


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


def test_commit_is_dirty_for_code_changes_not_for_run_outputs(tmp_path: Path,
                                                             monkeypatch) -> None:
    import subprocess

    from common import records

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       cwd=tmp_path, check=True, capture_output=True)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "README.md").write_text("table\n")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "first")
    monkeypatch.setattr(records, "REPO_ROOT", tmp_path)
    assert not records.git_commit().endswith("+dirty")
    (tmp_path / "results" / "README.md").write_text("a new table\n")  # a run's output
    assert not records.git_commit().endswith("+dirty")
    (tmp_path / "code.py").write_text("x = 2\n")
    assert records.git_commit().endswith("+dirty")


def test_a_changed_network_is_another_recipe_a_changed_docstring_is_not() -> None:
    if subprocess.run(["git", "cat-file", "-e", "4bfa06b"], cwd=REPO_ROOT,
                      capture_output=True).returncode:
        pytest.skip("needs the project's git history")
    full_dropout = recipe_identity.model_code("exp04_augmentation", "4bfa06b")
    block3_only = recipe_identity.model_code("exp04_augmentation", "6fce997")
    block3_redocumented = recipe_identity.model_code("exp04_augmentation", "471c27c+dirty")
    assert full_dropout and block3_only and full_dropout != block3_only
    assert block3_redocumented == block3_only
    assert recipe_identity.model_code("exp04_augmentation", "unknown") == ""


def test_a_change_to_an_imported_experiments_network_is_another_recipe(tmp_path: Path,
                                                                       monkeypatch) -> None:
    def commit(base_code: str) -> str:
        for name, code in (("exp_base", base_code),
                           ("exp_user", "from experiments.exp_base.model import build\n")):
            (tmp_path / "experiments" / name).mkdir(parents=True, exist_ok=True)
            (tmp_path / "experiments" / name / "model.py").write_text(code)
        for args in (("add", "."), ("commit", "-qm", "c"), ("rev-parse", "HEAD")):
            out = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                                 cwd=tmp_path, check=True, capture_output=True, text=True)
        return out.stdout.strip()

    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    monkeypatch.setattr(recipe_identity, "REPO_ROOT", tmp_path)
    narrow = commit("def build():\n    return 32\n")
    renamed_doc = commit('def build():\n    """Docs."""\n    return 32\n')
    wide = commit("def build():\n    return 48\n")
    code = recipe_identity.model_code
    assert code("exp_user", narrow) == code("exp_user", renamed_doc)
    assert code("exp_user", narrow) != code("exp_user", wide)


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
    monkeypatch.setattr(results, "EXPERIMENTS_DIR", tmp_path / "experiments")
    rows = results.collect(filled)
    assert rows[0].reference["test_accuracy"] == 0.62 and rows[1].reference is None
    text = report.render_references(rows)
    assert "### exp01_baseline against the deck" in text
    assert "| **all** | 62.0% | 75.00% | +13.0 |" in text
    assert "| airplane | 69% | 76.0% | +7.0 |" in text  # the latest evaluation: model b
    assert "| ship | 75% | — | — |" in text
    assert "## Against the source" in report.write_readme(rows, filled).read_text()


def test_targets_keep_the_digits_the_source_gives() -> None:
    assert [report.percent(t) for t in (0.74, 0.9905, 0.994, 0.62)] == [
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
    assert row.platforms == ["jax · NVIDIA H200", "tensorflow · CPU", "torch · CPU"]
    assert "| jax · NVIDIA H200; tensorflow · CPU; torch · CPU |" in report.render([row])


def test_earlier_recipes_say_what_differs_from_the_current_one(filled: Path) -> None:
    def run(name: str, seed: int, settings: dict, network: str, data: str) -> None:
        record = train_record("exp03_deeper_l2", name, seed) | {
            "settings": settings, "commit": name, "data": {"source": data},
            "recipe": {"id": name, "settings": settings, "model_config_sha256": network}}
        write_record(filled, "exp03_deeper_l2", f"train-{name}", record)
        write_record(filled, "exp03_deeper_l2", f"test-{name}",
                     eval_record("exp03_deeper_l2", name, 0.8, f"2026-11-2{seed}T12:00:00"))

    current = {"epochs": 10, "keep": "last", "kept": "last epoch"}
    run("u", 3, {**current, "epochs": 5, "keep": "best", "kept": "best"}, "n1", "jpeg")
    run("v", 4, {**current, "not_decayed": []}, "n2", "png")
    run("w", 5, current, "n1", "jpeg")
    exp03 = results.collect(filled)[2]
    assert [r["_differs"] for _, r in exp03.earlier] == [["epochs", "keep"],
                                                        ["data", "network", "not_decayed"]]
    assert "| epochs, keep |" in report.render_earlier([exp03])


def test_an_older_record_differs_in_its_settings_not_in_its_wording(filled: Path) -> None:
    """Records made before recipes were recorded kept the idea, the target and no dataset
    in their settings: none of that sets them apart from a newer run."""
    older = {"epochs": 10, "idea": "old words", "target": 0.8, "augmentation": ["shift"]}
    write_record(filled, "exp03_deeper_l2", "train-old",
                 train_record("exp03_deeper_l2", "old", 3) | {"settings": older})
    write_record(filled, "exp03_deeper_l2", "test-old",
                 eval_record("exp03_deeper_l2", "old", 0.8, "2026-11-23T12:00:00"))
    newer = {"epochs": 10, "dataset": "cifar10", "augmentation": ["gather shift"],
             "keep": "best", "weight_decay": 0.0, "optimizer": "adam"}  # older defaults
    write_record(filled, "exp03_deeper_l2", "train-new", train_record("exp03_deeper_l2", "new", 4)
                 | {"recipe": {"id": "new", "settings": newer, "model_config_sha256": "n"}})
    write_record(filled, "exp03_deeper_l2", "test-new",
                 eval_record("exp03_deeper_l2", "new", 0.8, "2026-11-24T12:00:00"))
    exp03 = results.collect(filled)[2]
    assert [r["_differs"] for _, r in exp03.earlier] == [["augmentation"]]


def test_an_ensemble_of_two_recipes_says_what_differs(filled: Path) -> None:
    """An ensemble's record names its recipe by id only; its settings tell it apart."""
    for name, seed, precision in [("e1", 3, "float32"), ("e2", 4, "mixed_bfloat16")]:
        settings = {"epochs": 12, "members": 2, "precision": precision}
        write_record(filled, "exp06_ensemble", f"train-{name}",
                     train_record("exp06_ensemble", name, seed)
                     | {"settings": settings,
                        "recipe": {"id": f"2x{name}", "model_config_sha256": "n"}})
        write_record(filled, "exp06_ensemble", f"test-{name}",
                     eval_record("exp06_ensemble", name, 0.84, f"2026-11-2{seed}T12:00:00"))
    exp06 = results.collect(filled)[-1]
    assert [r["_differs"] for _, r in exp06.earlier] == [["precision"]]


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
    run("f", 5, "tensorflow", "float32")  # the row's backend in another precision: not either
    run("k", 6, "tensorflow", "mixed_bfloat16")
    run("l", 7, "tensorflow", "mixed_bfloat16")  # evaluated last: the row's recipe
    exp01, exp02, exp03 = results.collect(filled)
    assert by_backend.accuracies_by_platform(exp03) == {
        "tensorflow · CPU": pytest.approx([0.76, 0.77]), "jax · CPU": pytest.approx([0.73])}
    table = report.render_by_backend([exp01, exp02, exp03])
    assert table.splitlines()[0] == "| experiment | jax · CPU | tensorflow · CPU |"
    assert "| exp03_deeper_l2 | 73.00% | 76.50% ± 0.71% (n=2) |" in table
    assert "exp01_baseline" not in table  # one backend only
    assert report.render_by_backend([exp01, exp02]) == ""
    results.main(["--results-dir", str(filled)])
    assert "## By backend" in (filled / "README.md").read_text()
