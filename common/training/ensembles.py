"""The train entry point of an ensemble step: train its members, then save them as one.

Each member is an ordinary run of the member experiment (its own recipe, seeds ``--seed``,
``--seed`` + 1, ...), made by ``common.training.train.train``: it resumes, saves
``saved_models/<name>_members/seed<N>/<member>.h5`` and records itself under
``results/<member>/``, where it counts as one more seed of that step. A member whose file
and record are already there is reused, so an interrupted ensemble resumes member by
member; so is a run of the member step with the same seed and recipe saved elsewhere.
The ensemble (``common.models.ensemble.averaged_ensemble``) is saved as ``saved_models/<name>.h5``
(with options that differ from the recipe, ``<name>-<options>.h5``: ``Settings.file_stem``)
with a record listing its members; its training time is theirs.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import keras

from common.basics.errors import exit_on_user_error
from common.basics.files import sha256_of
from common.basics.paths import REPO_ROOT, relative
from common.basics.provenance import git_commit, stamp
from common.config.registry import find_experiment
from common.config.run_options import RunOptions, parse
from common.config.settings import Settings
from common.data.datasets import get_dataset
from common.data.loading import load
from common.data.pipeline import split
from common.models.ensemble import mirror_averaged
from common.models.flops import forward_flops, training_flops
from common.records.export import save_model, saved_file
from common.records.model_io import load_h5
from common.records.recipes import NOT_RECIPE, recipe
from common.records.store import (
    new_record,
    read_records,
    train_record,
    wall_seconds,
    write_record,
)
from common.training.budget import cpu_estimate, gpu_recipe_on_a_cpu
from common.training.train import file_stem, train


def train_ensemble_main(name: str, member: str, build_member: Callable[..., keras.Model],
                        build_ensemble: Callable[[Sequence[keras.Model]], keras.Model],
                        settings: Settings, count: int,
                        argv: Sequence[str] | None = None) -> None:
    """Command-line entry: the member's options, for every member."""
    settings, run = parse(name, settings, argv)
    exit_on_user_error(lambda: train_ensemble(name, member, build_member, build_ensemble,
                                              settings, run, count))


def member_path(name: str, member: str, seed: int, model_dir: Path) -> Path:
    return model_dir / f"{name}_members" / f"seed{seed}" / f"{member}.h5"


def finished_member(path: Path, member: str, seed: int, settings: Settings,
                    run: RunOptions) -> dict | None:
    """The train record of the member at ``path``: a run of ``member`` with this seed and
    recipe (and ``--precision`` unless auto, and ``--limit``). A member of another recipe is
    trained again; a missing one that such a run saved elsewhere (``python -m
    experiments.<member>.train --seed N`` before the ensemble) is copied to ``path``."""
    wanted = _recipe_settings(settings.describe())
    records = [r for r in reversed(read_records(run.results_dir))
               if r["kind"] == "train" and r["experiment"] == member and r["seed"] == seed
               and _recipe_settings(r["settings"]) == wanted
               and run.precision in ("auto", r["settings"].get("precision"))
               and r["data"].get("limit") == run.limit]
    if not path.is_file():
        saved = next((f for f in (REPO_ROOT / r["model_file"] for r in records)
                      if f.is_file() and sha256_of(f) in {r["model_sha256"] for r in records}),
                     None)
        if saved is None:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, path)
        print(f"{relative(saved)} is {member} with seed {seed} and this recipe: "
              f"copied to {relative(path)}")
    sha = sha256_of(path)
    return next((r for r in records if r["model_sha256"] == sha), None)


def _say_what_a_cpu_costs(name: str, settings: Settings,
                          build_member: Callable[..., keras.Model], run: RunOptions,
                          untrained: int) -> None:
    """An ensemble made for a GPU, about to train on a CPU: one line first, for all the
    members still to train (each member's own run says its part again)."""
    if untrained and gpu_recipe_on_a_cpu(settings.budget):
        batches, _ = split(load(get_dataset(settings.dataset), run.data), settings, run)
        print(cpu_estimate(name, settings.budget, build_member(),
                           len(batches.x) * settings.epochs * untrained, run.results_dir))


def _cpu_use(records: Sequence[dict]) -> dict:
    """The members' CPU seconds, the share of the cores they had over their training and
    the share other work took (``records.store.cpu_use``); {} where a member's record is
    from before they were kept."""
    if any(r.get("cpu_share") is None for r in records):
        return {}
    seconds = [r["train_seconds"] for r in records]

    def weighted(key: str) -> float:
        return round(sum(r[key] * s for r, s in zip(records, seconds, strict=True))
                     / sum(seconds), 3)
    use = {"cpu_seconds": round(sum(r["cpu_seconds"] for r in records), 1),
           "cpu_share": weighted("cpu_share")}
    if all(r.get("others_share") is not None for r in records):
        use["others_share"] = weighted("others_share")
    return use


def _recipe_settings(settings: dict) -> dict:
    """The settings that make a member's recipe, as JSON reads them back: a recipe's but the
    precision (resolved only as a run starts) and what the record adds to the settings."""
    kept = {k: v for k, v in settings.items()
            if k not in (*NOT_RECIPE, "precision", "loss", "kept")}
    return json.loads(json.dumps(kept, default=str))


def train_ensemble(name: str, member: str, build_member: Callable[..., keras.Model],
                   build_ensemble: Callable[[Sequence[keras.Model]], keras.Model],
                   settings: Settings, run: RunOptions, count: int) -> dict:
    """Train (or reuse) ``count`` members of experiment ``member`` with ``settings`` and
    save their mirror-averaged ensemble; return its record."""
    commit = git_commit()
    own = find_experiment(member).settings  # a member's record describes its own step
    member_settings = replace(settings, idea=own.idea, target=own.target,
                              target_source=own.target_source, budget=own.budget,
                              inference=own.inference)  # saved as the member step saves
    seeds = range(run.seed, run.seed + count)
    paths = [member_path(name, member, seed, run.model_dir) for seed in seeds]
    found = [finished_member(path, member, seed, member_settings, run)  # read once
             for seed, path in zip(seeds, paths, strict=True)]
    _say_what_a_cpu_costs(name, settings, build_member, run, found.count(None))
    records, members = [], []
    for i, (seed, path, record) in enumerate(zip(seeds, paths, found, strict=True), start=1):
        if record is None:
            print(f"\nmember {i} of {count}: {member} with seed {seed}")
            train(member, build_member, member_settings,
                  replace(run, seed=seed, model_dir=path.parent, recipe_default=None))
            record = finished_member(path, member, seed, member_settings, run)
        else:
            print(f"member {i} of {count}: {relative(path)} is trained "
                  f"({relative(record['_path'])})")
        records.append(record)
        trained = load_h5(path, f"python -m experiments.{name}.train")
        if member_settings.inference is not None:  # saved inside its test-time views
            trained = trained.get_layer(member)
        members.append(build_member(name=f"member{i}"))  # distinct names inside the ensemble
        members[-1].set_weights(trained.get_weights())
    started = time.perf_counter()  # the assembly: members loaded, joined and saved
    model = build_ensemble(members)
    stem = file_stem(name, settings, run)  # a quick look (--epochs 1) is named by it
    model_path = save_model(model, run.model_dir / f"{stem}.h5")
    first = records[0]
    members_seconds = round(sum(wall_seconds(r) for r in records), 1)  # the training time
    described = {**first["settings"], "members": count, "member": member,
                 "mirror_averaged": mirror_averaged(model)}
    out = write_record(run.results_dir, name, f"train-{stamp()}-seed{run.seed}", new_record(
        "train", commit, **train_record(
            experiment=name, idea=settings.idea, target=settings.target, seed=run.seed,
            data=first["data"], settings=described,
            recipe=recipe(described, first["data"], model),
            params=model.count_params(), epochs_run=first["epochs_run"],
            train_seconds=members_seconds, wall_seconds=members_seconds,
            forward_flops=forward_flops(model),  # one image, every member on both views
            train_flops=sum(training_flops(net, r["data"]["train"] * r["epochs_run"])
                            for net, r in zip(members, records, strict=True)),
            assembly_seconds=round(time.perf_counter() - started, 1), **_cpu_use(records),
            members=[{"seed": r["seed"], "model_file": relative(path),
                      "model_sha256": r["model_sha256"], "record": relative(r["_path"])}
                     for r, path in zip(records, paths, strict=True)],
            started=first["started"]), **saved_file(model_path)))
    views = "each image and its mirror image" if mirror_averaged(model) else "each image"
    print(f"\nsaved {relative(model_path)} ({count} members, {views}) and {relative(out)}")
    model_option = "" if stem == name else f" --model {relative(model_path)}"
    print(f"next: python -m experiments.{name}.test{model_option}")
    return json.loads(out.read_text())
