"""Compare every experiment that has records.

    python -m common.results

Prints the table and writes it to ``results/README.md`` with a chart of the steps
(``results/steps.png``). Test accuracy comes from the test entry point's records; each is
joined to the training run that produced the evaluated .h5 (by its SHA-256), so runs
with several seeds show their mean and spread. A row holds only the runs of the
experiment's latest recipe (same settings, any seed); runs of earlier recipes are listed
below it, so what was tried stays visible without blending into the mean.
"""

from __future__ import annotations

import argparse
import ast
import functools
import json
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from common.export import NOT_RECIPE
from common.records import REPO_ROOT, RESULTS_DIR, read_history, read_records
from common.registry import EXPERIMENTS_DIR, experiment_names, find_experiment
from common.results_report import (
    machine,
    optimizer_name,
    platform,
    render,
    update_project_readme,
    wall_seconds,
    write_readme,
)


@dataclass
class Row:
    experiment: str
    idea: str
    target: float | None
    accuracies: list[float]  # one per distinct trained model
    params: int | None
    epochs: list[int]
    train_seconds: list[float]
    data: str
    date: str
    backlinks: list[str]  # records the row was built from, relative to results/
    per_class: dict[str, float]  # latest evaluation's accuracy per class
    val_curve: list[float]  # latest training run's validation accuracy per epoch
    earlier: list[tuple[float, dict]]  # (test accuracy, train record) of earlier recipes
    machines: list[str] = field(default_factory=list)  # where its runs trained
    platforms: list[str] = field(default_factory=list)  # 'backend · device' of its runs
    latest: tuple[float, str] | None = None  # newest run's training seconds and machine
    dataset: str = "cifar10"  # records from before datasets were named: all CIFAR-10
    # what the source reported, from experiments/<name>/reference.json where there is one
    reference: dict | None = None

    @property
    def mean(self) -> float:
        return statistics.fmean(self.accuracies)

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.mean >= self.target


def _described(experiment: str, runs: list[dict], key: str, default: object) -> object:
    """The step's idea or target as its recipe states it now; from its newest run's record
    where the experiment is not in this checkout."""
    if experiment in experiment_names():
        return getattr(find_experiment(experiment).settings, key)
    return runs[-1][key] if runs else default


def collect(results_dir: Path = RESULTS_DIR) -> list[Row]:
    """One row per experiment: latest evaluation of each trained model, joined to its run."""
    records = read_records(results_dir)
    trains = {r["model_sha256"]: r for r in records if r["kind"] == "train"}
    shown: dict[tuple[str, str], dict] = {}  # the evaluation each model is shown by
    evaluated_at: dict[tuple[str, str], str] = {}  # when each model was last evaluated
    for r in records:  # oldest first, so later evaluations of a model win
        if r["kind"] == "test":
            key = (r["experiment"], r["model_sha256"])
            evaluated_at[key] = r["finished"]
            # float32 is plain load_model's forward pass; a bf16 one only stands in for it
            # (records from before the precision option ran in float32)
            if _float32(r) or key not in shown or not _float32(shown[key]):
                shown[key] = r
    by_experiment: dict[str, list[tuple[dict, dict | None]]] = {}
    for (experiment, sha), test in shown.items():
        by_experiment.setdefault(experiment, []).append((test, trains.get(sha)))

    rows = []
    for experiment, all_pairs in sorted(by_experiment.items()):
        # The row's recipe is that of the latest evaluated model: the one in saved_models/.
        evaluated = [(test, train) for test, train in all_pairs if train]
        latest = max(evaluated, key=lambda pair: evaluated_at[
            (experiment, pair[0]["model_sha256"])])[1] if evaluated else None
        pairs = [(t, r) for t, r in all_pairs if r is None or _recipe(r) == _recipe(latest)]
        earlier = sorted(((t["test_accuracy"], {**r, "_differs": differences(r, latest)})
                          for t, r in all_pairs
                          if r is not None and _recipe(r) != _recipe(latest)),
                         key=lambda pair: pair[1]["finished"])
        runs = sorted((train for _, train in pairs if train), key=lambda r: r["finished"])
        last_test = max((test for test, _ in pairs), key=lambda t: t["finished"])
        rows.append(Row(
            experiment=experiment,
            idea=_described(experiment, runs, "idea", ""),
            target=_described(experiment, runs, "target", None),
            accuracies=[test["test_accuracy"] for test, _ in pairs],
            params=last_test.get("params"),
            epochs=sorted({r["epochs_run"] for r in runs}),
            train_seconds=[wall_seconds(r) for r in runs],
            data=Path(last_test["data"]["source"]).name,
            date=last_test["finished"][:10],
            backlinks=[p["_path"].relative_to(results_dir).as_posix()
                       for test, train in pairs for p in (test, train) if p],
            per_class=last_test.get("per_class_accuracy", {}),
            val_curve=_val_curve(runs[-1]) if runs else [],
            earlier=earlier,
            machines=sorted({machine(r) for r in runs}),
            platforms=sorted({platform(r) for r in runs}),
            latest=(wall_seconds(runs[-1]), machine(runs[-1])) if runs else None,
            dataset=last_test.get("data", {}).get("dataset", "cifar10"),
            reference=_reference(experiment),
        ))
    return rows


def _reference(experiment: str) -> dict | None:
    """The source's reported result for ``experiment`` (its folder's reference.json)."""
    path = EXPERIMENTS_DIR / experiment / "reference.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _float32(test: dict) -> bool:
    return test.get("precision", "float32") == "float32"


def _recipe(train: dict | None) -> str:
    """What makes two runs the same experiment up to the seed: settings, data, network.

    Runs record it as they are made (``recipe``: the effective settings, the data and a
    hash of the model's config). Records from before that are compared as they always
    were: their settings, data, and the experiment's model.py at their commit.
    """
    if train is None:
        return ""
    if "recipe" in train:
        return train["recipe"]["id"]
    return json.dumps([_settings(train), train.get("data", {}).get("source"),
                       model_code(train["experiment"], str(train.get("commit", "")))],
                      sort_keys=True)


def _settings(train: dict) -> dict:
    """The settings that make a run's recipe, as recorded or (older records) as compared."""
    if "settings" in train.get("recipe", {}):  # an ensemble's recipe keeps only its id
        return train["recipe"]["settings"]
    # defaults for records written before these settings existed
    settings = {"keep": "best", "weight_decay": 0.0,
                **train.get("settings", {}), "optimizer": optimizer_name(train)}
    # Left out as common.export.recipe leaves them out: the step's wording (older records
    # kept it), and which BatchNormalization kernel and Dropout draw ran, which is speed, not
    # recipe: the fused kernel computes what Keras' own does (tests/test_fused_batchnorm.py)
    # and 16-bit masks are other random masks at the same rate (to 1/65536) with the same
    # expectation (tests/test_fast_dropout.py); the record keeps which ran.
    return {k: v for k, v in settings.items() if k not in NOT_RECIPE}


def _network(train: dict) -> tuple[str, str]:
    """The network's identity: its config's hash, or (older records) its model.py."""
    if "recipe" in train:
        return "config", train["recipe"]["model_config_sha256"]
    return "code", model_code(train["experiment"], str(train.get("commit", "")))


def differences(train: dict, current: dict) -> list[str]:
    """What sets ``train``'s recipe apart from ``current``'s: the settings that differ,
    "network" and "data". A config hash (newer records) and a model.py (older ones) do
    not compare: between the two kinds, only settings and data are told apart."""
    # records from before datasets were named are all CIFAR-10
    a, b = ({"dataset": "cifar10", **_settings(r)} for r in (train, current))
    differ = {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
    if "keep" in differ:
        differ.discard("kept")  # its wording
    (kind, network), (current_kind, current_network) = _network(train), _network(current)
    if kind == current_kind and network != current_network:
        differ.add("network")
    if train.get("data", {}).get("source") != current.get("data", {}).get("source"):
        differ.add("data")
    return sorted(differ)


@functools.cache
def model_code(experiment: str, commit: str) -> str:
    """The experiment's model.py at ``commit``, without comments and docstrings, followed
    by that of every experiment whose model it imports (exp04 builds exp03's network).

    The network lives in model.py, not in the recorded settings (exp04's dropout did);
    '' where git cannot show it (no repository, unknown commit).
    """
    spec = f"{commit.removesuffix('+dirty')}:experiments/{experiment}/model.py"
    try:
        source = subprocess.run(["git", "show", spec], cwd=REPO_ROOT, capture_output=True,
                                text=True, timeout=10, check=True).stdout
        tree = ast.parse(source)
    except (OSError, subprocess.SubprocessError, SyntaxError):
        return ""
    imported = []
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if len(parts) == 3 and parts[0] == "experiments" and parts[2] == "model":
                imported.append(parts[1])
    return "\n".join([ast.dump(tree), *(model_code(name, commit) for name in imported
                                         if name != experiment)])


def _val_curve(train: dict) -> list[float]:
    return read_history(train["_path"].parent / train.get("history_csv", "")).get(
        "val_accuracy", [])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m common.results",
        description="Print the comparison of every experiment with records and write "
                    "results/README.md and results/steps.png.")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR,
                        help="where the run records are (default %(default)s)")
    args = parser.parse_args(argv)
    rows = collect(args.results_dir)
    if not rows:
        name = (experiment_names() or ["<experiment>"])[0]
        print(f"no evaluated experiments under {args.results_dir}: train one, then test it, "
              f"e.g. python -m experiments.{name}.train && python -m experiments.{name}.test")
        return
    print(render(rows))
    print(f"wrote {write_readme(rows, args.results_dir)}")
    if args.results_dir.resolve() == RESULTS_DIR:
        update_project_readme(rows, REPO_ROOT / "README.md")


if __name__ == "__main__":
    main()
