"""The rows of the results table, read from the run records: each experiment's current
recipe with its runs (test records joined to the train run that made the evaluated .h5, by
its SHA-256), and the runs of other recipes listed under it."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from common.basics.paths import RESULTS_DIR
from common.config.registry import EXPERIMENTS_DIR, experiment_names, find_experiment
from common.records.recipes import default_recipe, differences, recipe_id
from common.records.store import (
    by_model,
    machine,
    platform,
    read_history,
    read_records,
    wall_seconds,
)
from common.reports.row import Row, had_the_machine


def _described(experiment: str, runs: list[dict], key: str, default: object) -> object:
    """The step's (or its variant's) idea or target as its recipe states it now; from its
    newest run's record where the experiment is not in this checkout."""
    if experiment in experiment_names():
        variant = runs[-1]["settings"].get("variant") if runs else None
        try:
            return getattr(find_experiment(experiment).recipe(variant), key)
        except ValueError:  # a variant the code no longer has
            pass
    return runs[-1].get(key, default) if runs else default


def collect(results_dir: Path = RESULTS_DIR) -> list[Row]:
    """One row per experiment (and per named variant and label budget): the runs of the
    recipe its code defines today, a seed counted once (the mean of its runs)."""
    records = read_records(results_dir)
    trains = by_model(records)
    shown: dict[tuple[str, str], dict] = {}  # the evaluation each model is shown by
    for r in records:  # oldest first, so later evaluations of a model win
        if r["kind"] == "test":
            key = (r["experiment"], r["model_sha256"])
            # float32 is plain load_model's forward pass; a bf16 one only stands in for it
            if _float32(r) or key not in shown or not _float32(shown[key]):
                shown[key] = r
    by_row: dict[tuple[str, str], list[tuple[dict, dict | None]]] = {}
    for (experiment, sha), test in shown.items():
        train = trains.get(sha)
        by_row.setdefault((experiment, row_name(experiment, train)), []).append((test, train))

    rows = []
    for (experiment, name), all_pairs in sorted(by_row.items()):
        current, todays = _row_recipe(experiment, all_pairs)
        pairs, others = [], []
        for test, train in all_pairs:
            same = train is None or recipe_id(train) == recipe_id(current)
            (pairs if same else others).append((test, train))
        # one platform a row (its times and figures are that platform's); the recipe's runs
        # on the others are listed under it ("By backend" sets them side by side)
        home = _home_platform([train for _, train in pairs if train])
        elsewhere = [(t, r) for t, r in pairs if r and platform(r) != home]
        pairs = [pair for pair in pairs if pair not in elsewhere]
        earlier = sorted([*((t["test_accuracy"], {**r, "_differs": differences(r, current)})
                            for t, r in others),
                          *((t["test_accuracy"], {**r, "_differs": ["backend"]})
                            for t, r in elsewhere)], key=lambda pair: pair[1]["finished"])
        runs = sorted((train for _, train in pairs if train), key=lambda r: r["finished"])
        seconds, timed_by = training_time(runs, [r for _, r in others if r], current)
        last_test = max((test for test, _ in pairs), key=lambda t: t["finished"])
        seeds = by_seed(pairs)
        rows.append(Row(
            experiment=name, step=experiment,
            idea=_described(experiment, runs, "idea", ""),
            target=_described(experiment, runs, "target", None),
            target_source=_described(experiment, runs, "target_source", "the slides"),
            accuracies=[statistics.fmean(a for a, _, _ in seed) for seed in seeds.values()],
            params=last_test.get("params"),
            epochs=sorted({r["epochs_run"] for r in runs}),
            train_seconds=seconds,
            timed_by=timed_by,
            loss_curve=(runs[-1]["loss_curve"]["every"], runs[-1]["loss_curve"]["loss"])
            if runs and "loss_curve" in runs[-1] else None,
            data=last_test["data"]["source"],
            date=last_test["finished"][:10],
            backlinks=[p["_path"].relative_to(results_dir).as_posix()
                       for test, train in pairs for p in (test, train) if p],
            per_class=last_test.get("per_class_accuracy", {}),
            val_curve=_val_curve(runs[-1]) if runs else [],
            earlier=earlier,
            machines=sorted({machine(r) for r in runs}),
            platforms=sorted({platform(r) for r in runs}),
            latest=(wall_seconds(runs[-1]), machine(runs[-1])) if runs else None,
            dataset=last_test["data"]["dataset"],
            reference=_reference(experiment),
            forward_flops=current.get("forward_flops") if current else None,
            images_per_second=_training_rate(runs[-1] if runs else None),
            labels_per_class=current["settings"].get("labels_per_class") if current else None,
            budget=_described(experiment, runs, "budget", None),
            replications={seed: runs_of for seed, runs_of in seeds.items() if len(runs_of) > 1},
            variant=current["settings"].get("variant") if current else None,
            test_precisions=sorted({t["precision"] for t, _ in pairs}),
            recipe=current["recipe"] if current else None,
            todays_recipe=todays,
            had_machine=[had_the_machine(r) for r in runs],
        ))
    return rows


def training_time(runs: list[dict], others: list[dict], current: dict | None
                  ) -> tuple[list[float], str | None]:
    """The row's training times: those of its runs that had the machine (at least 80% of
    its cores), else a timing run's (the same recipe for fewer epochs, on the full data,
    with the machine to itself: its mean epoch × the recipe's epochs, said as such), else
    every run's, as recorded (marked where a run is known to have shared its cores)."""
    alone = [r for r in runs if had_the_machine(r)]
    if alone:
        return [wall_seconds(r) for r in alone], None
    timing = [r for r in others if current and had_the_machine(r)
              and not r["data"].get("limit") and differences(r, current) == ["epochs"]]
    if runs and timing:
        epochs = runs[-1]["epochs_run"]
        per_epoch = [r["train_seconds"] / r["epochs_run"] for r in timing]
        return ([statistics.fmean(per_epoch) * epochs],
                f"{' + '.join(str(r['epochs_run']) for r in timing)} timed epochs × {epochs}")
    return [wall_seconds(r) for r in runs], None


def by_seed(pairs: list[tuple[dict, dict | None]]) -> dict[object, list[tuple[float, str, str]]]:
    """The row's test accuracies by seed, each run as (accuracy, machine, date): a seed run
    again is a replication of it, not one more sample."""
    seeds: dict[object, list[tuple[float, str, str]]] = {}
    for test, train in sorted(pairs, key=lambda pair: pair[0]["finished"]):
        seed = train["seed"] if train else f"model {test['model_sha256'][:8]}"
        seeds.setdefault(seed, []).append((test["test_accuracy"],
                                           machine(train) if train else "—",
                                           (train or test)["finished"][:10]))
    return seeds


def _home_platform(runs: list[dict]) -> str | None:
    """The platform most of ``runs`` trained on (the newest run's among equals)."""
    counts: dict[str, int] = {}
    for r in sorted(runs, key=lambda r: r["finished"]):
        counts[platform(r)] = counts.get(platform(r), 0) + 1
    return max(reversed(counts), key=counts.__getitem__) if counts else None


def _row_recipe(experiment: str, pairs: list[tuple[dict, dict | None]]
                ) -> tuple[dict | None, bool]:
    """The train record whose recipe the row shows, and whether that is the recipe the
    experiment's code defines today (on the data of its newest run of it); where no run
    has it, the newest evaluated run that is not a --limit quick look; None where no run
    has a record."""
    trained = sorted((train for _, train in pairs if train), key=lambda r: r["finished"])
    if experiment in experiment_names():
        today = [r for r in trained if recipe_id(r) == recipe_id({"recipe": default_recipe(
            experiment, {"sha256": None, **r["data"], "limit": None}, r["settings"].get("variant"),
            r["settings"].get("labels_per_class"))})]
        if today:
            return today[-1], True
    full = [r for r in trained if not r["data"].get("limit")]
    return (full or trained or [None])[-1], experiment not in experiment_names()


def row_name(experiment: str, train: dict | None) -> str:
    """A row per experiment, and per named variant and label budget where it has one (as
    its .h5 is named: ``Settings.file_stem``)."""
    settings = (train or {}).get("settings", {})
    parts = [experiment, settings.get("variant"), settings.get("labels_per_class")]
    return "-".join(str(p) for p in parts if p)


def _training_rate(train: dict | None) -> float | None:
    """Training images a second over the run: images seen / the epochs' seconds."""
    if not train or not train.get("train_seconds") or "train" not in train.get("data", {}):
        return None
    return train["data"]["train"] * train["epochs_run"] / train["train_seconds"]


def _reference(experiment: str) -> dict | None:
    """The source's reported result for ``experiment`` (its folder's reference.json)."""
    path = EXPERIMENTS_DIR / experiment / "reference.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _float32(test: dict) -> bool:
    return test["precision"] == "float32"


def _val_curve(train: dict) -> list[float]:
    return read_history(train["_path"].parent / train.get("history_csv", "")).get(
        "val_accuracy", [])
