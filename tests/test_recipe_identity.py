"""What makes two runs one recipe: settings that change the result split the table's rows,
spellings, kernels, wording and docstrings do not."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from common import results
from common.basics import provenance
from common.basics.paths import REPO_ROOT
from common.records import upgrade as record_upgrade
from common.records.store import write_record
from common.records.upgrade import model_code
from common.reports import report
from tests.run_records import eval_record, train_record


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


def test_commit_is_dirty_for_code_changes_not_for_run_outputs(tmp_path: Path,
                                                             monkeypatch) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       cwd=tmp_path, check=True, capture_output=True)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "README.md").write_text("table\n")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "first")
    monkeypatch.setattr(provenance, "REPO_ROOT", tmp_path)
    assert not provenance.git_commit().endswith("+dirty")
    (tmp_path / "results" / "README.md").write_text("a new table\n")  # a run's output
    assert not provenance.git_commit().endswith("+dirty")
    (tmp_path / "code.py").write_text("x = 2\n")
    assert provenance.git_commit().endswith("+dirty")


def test_a_changed_network_is_another_recipe_a_changed_docstring_is_not() -> None:
    if subprocess.run(["git", "cat-file", "-e", "4bfa06b"], cwd=REPO_ROOT,
                      capture_output=True).returncode:
        pytest.skip("needs the project's git history")
    full_dropout = model_code("exp04_augmentation", "4bfa06b")
    block3_only = model_code("exp04_augmentation", "6fce997")
    block3_redocumented = model_code("exp04_augmentation", "471c27c+dirty")
    assert full_dropout and block3_only and full_dropout != block3_only
    assert block3_redocumented == block3_only
    assert model_code("exp04_augmentation", "unknown") == ""


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
    monkeypatch.setattr(record_upgrade, "REPO_ROOT", tmp_path)
    narrow = commit("def build():\n    return 32\n")
    renamed_doc = commit('def build():\n    """Docs."""\n    return 32\n')
    wide = commit("def build():\n    return 48\n")
    code = model_code
    assert code("exp_user", narrow) == code("exp_user", renamed_doc)
    assert code("exp_user", narrow) != code("exp_user", wide)


def test_earlier_recipes_say_what_differs_from_the_current_one(filled: Path) -> None:
    def run(name: str, seed: int, settings: dict, network: str, data: str) -> None:
        record = train_record("exp03_deeper_l2", name, seed) | {
            "settings": settings, "commit": name,
            "data": {"dataset": "cifar10", "source": data, "sha256": data},
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
             "keep": "best", "weight_decay": 0.0, "optimizer": "adam",
             "label_smoothing": 0.0}  # what older runs ran with
    write_record(filled, "exp03_deeper_l2", "train-new", train_record("exp03_deeper_l2", "new", 4)
                 | {"settings": newer, "recipe": {"model_config_sha256": "n"}})
    write_record(filled, "exp03_deeper_l2", "test-new",
                 eval_record("exp03_deeper_l2", "new", 0.8, "2026-11-24T12:00:00"))
    exp03 = results.collect(filled)[2]
    assert [r["_differs"] for _, r in exp03.earlier] == [["augmentation"]]


def test_an_ensemble_of_two_recipes_says_what_differs(filled: Path) -> None:
    """An ensemble's record names its recipe by id only; its settings tell it apart."""
    for name, seed, epochs in [("e1", 3, 12), ("e2", 4, 16)]:
        settings = {"epochs": epochs, "members": 2, "precision": "float32"}
        write_record(filled, "exp06_ensemble", f"train-{name}",
                     train_record("exp06_ensemble", name, seed)
                     | {"settings": settings,
                        "recipe": {"id": f"2x{name}", "model_config_sha256": "n"}})
        write_record(filled, "exp06_ensemble", f"test-{name}",
                     eval_record("exp06_ensemble", name, 0.84, f"2026-11-2{seed}T12:00:00"))
    exp06 = results.collect(filled)[-1]
    assert [r["_differs"] for _, r in exp06.earlier] == [["epochs"]]



def test_a_default_run_today_joins_every_committed_row() -> None:
    """For every experiment, the recipe a default run records today (its SETTINGS, the
    committed data, build_model()) is that of its row in the committed results, whatever
    the age of the records pooled there: a newcomer's run joins the row, nothing trained."""
    from common.basics.paths import RESULTS_DIR
    from common.config.registry import experiment_names
    from common.records.recipes import default_recipe

    checked, earlier = [], []
    for row in results.collect(RESULTS_DIR):
        experiment = row.experiment.split("-")[0]
        if experiment not in experiment_names() or row.recipe is None:
            continue  # XOR names its own recipe
        today = default_recipe(experiment, row.recipe["data"], row.variant,
                               row.labels_per_class)
        assert (today["id"] == row.recipe["id"]) == row.todays_recipe, row.experiment
        (checked if row.todays_recipe else earlier).append(experiment)
    assert {"exp01_baseline", "exp03_deeper_l2", "exp06_ensemble", "arch01_vgg"} <= set(checked)
    # the one row whose recipe changed since its only run (fmnist01's settings, which it
    # shares, moved to 30 epochs on 98% of the images): the table says so
    assert earlier == ["fmnist02_batchnorm"]


def test_names_from_before_common_was_split_read_as_todays() -> None:
    """Records and commits from before common/ had packages name common.optim and import
    common.whitening: the same function, the same network, so the same recipe."""
    settings = {"optimizer": "common.optim.SGDFastShifts(momentum=0.85, nesterov=True)",
                "initialize": "common.transfer.reuse_features", "schedule": "cosine"}
    record = record_upgrade.upgraded({"kind": "train", "experiment": "xor02_keras",
                                      "settings": settings, "data": {}, "recipe": {}})
    assert record["settings"]["optimizer"] == ("common.layers.optim.SGDFastShifts("
                                               "momentum=0.85, nesterov=True)")
    assert record["settings"]["initialize"] == "common.training.transfer.reuse_features"
    assert record_upgrade.today_name(record["settings"]["initialize"]) == (
        "common.training.transfer.reuse_features")  # today's names stay as they are
    if subprocess.run(["git", "cat-file", "-e", "c05adb5"], cwd=REPO_ROOT,
                      capture_output=True).returncode:
        pytest.skip("needs the project's git history")
    assert "common.whitening" in record_upgrade._source("exp07_speedrun", "c05adb5")
    assert model_code("exp07_speedrun", "c05adb5") == model_code("exp07_speedrun", "")
    assert record_upgrade.network_at("exp07_speedrun", "c05adb5") is not None
