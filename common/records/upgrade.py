"""Older run records, read as today's: the one place that knows what records lacked.

Fields came one at a time (the backend, the optimizer, weight decay, the dataset's name,
the recipe, ...). ``read_records`` passes every record through ``upgraded``, which fills
each missing field with the value those runs had, so every reader sees one shape.
"""

from __future__ import annotations

import ast
import copy
import functools
import hashlib
import importlib
import re
import subprocess
import sys
import types

from common.basics.paths import REPO_ROOT
from common.config.settings import earlier_values
from common.records.recipes import network_identity, recipe

# common/'s modules as they were named before it was split into packages (2026-12-07): the
# names older records give a recipe's own optimizer or function, and the imports of the
# model.py files of older commits
MOVED_MODULES = {
    "common.errors": "common.basics.errors",
    "common.files": "common.basics.files",
    "common.paths": "common.basics.paths",
    "common.options": "common.basics.options",
    "common.markdown": "common.basics.markdown",
    "common.plots": "common.basics.plots",
    "common.provenance": "common.basics.provenance",
    "common.hardware": "common.basics.hardware",
    "common.datasets": "common.data.datasets",
    "common.data_sources": "common.data.sources",
    "common.data": "common.data.loading",
    "common.data_identity": "common.data.identity",
    "common.pipeline": "common.data.pipeline",
    "common.augmentation": "common.layers.augmentation",
    "common.fast_dropout": "common.layers.fast_dropout",
    "common.fused_batchnorm": "common.layers.fused_batchnorm",
    "common.lookahead": "common.layers.lookahead",
    "common.whitening": "common.layers.whitening",
    "common.optim": "common.layers.optim",
    "common.ensemble": "common.models.ensemble",
    "common.training_copy": "common.models.training_copy",
    "common.flops": "common.models.flops",
    "common.precision": "common.models.precision",
    "common.devices": "common.models.devices",
    "common.settings": "common.config.settings",
    "common.registry": "common.config.registry",
    "common.records": "common.records.store",
    "common.record_upgrade": "common.records.upgrade",
    "common.recipe_identity": "common.records.recipes",
    "common.export": "common.records.export",
    "common.model_io": "common.records.model_io",
    "common.training": "common.training.train",
    "common.checkpoints": "common.training.checkpoints",
    "common.callbacks": "common.training.callbacks",
    "common.fused_steps": "common.training.fused_steps",
    "common.budget": "common.training.budget",
    "common.ensemble_training": "common.training.ensembles",
    "common.transfer": "common.training.transfer",
    "common.xor": "common.training.xor",
    "common.evaluation": "common.evaluation.evaluate",
    "common.result_row": "common.reports.row",
    "common.results_backends": "common.reports.backends",
    "common.results_details": "common.reports.details",
    "common.results_devices": "common.reports.devices",
    "common.results_lessons": "common.reports.lessons",
    "common.results_recipes": "common.reports.recipes",
    "common.results_report": "common.reports.report",
    "common.results_runs": "common.reports.runs",
    "common.series_report": "common.reports.series",
}
_DOTTED = re.compile(r"(?<![\w.])common(?:\.\w+)+")


def today_name(name: str) -> str:
    """``name`` with every dotted name in it that an older record or commit wrote
    (``common.optim.SGDFastShifts``) under today's modules (``common.layers.optim...``)."""
    def renamed(match: re.Match) -> str:
        dotted = match.group(0)
        if any(dotted.startswith(f"{new}.") for new in MOVED_MODULES.values()):
            return dotted  # today's already
        for old, new in MOVED_MODULES.items():
            if dotted.startswith(f"{old}."):
                return new + dotted.removeprefix(old)
        return dotted
    return _DOTTED.sub(renamed, name)


def upgraded(record: dict) -> dict:
    """A copy of ``record`` with every field today's records have (train and test)."""
    r = copy.deepcopy(record)
    r.setdefault("versions", {}).setdefault("backend", "tensorflow")  # before JAX and PyTorch
    hardware = r.setdefault("hardware", {})
    hardware.setdefault("gpus", [])
    hardware.setdefault("cpu", "unknown CPU")
    hardware.setdefault("cores", "?")
    r.setdefault("data", {}).setdefault("dataset", "cifar10")  # before datasets were named
    if r.get("kind") == "test":
        r.setdefault("precision", "float32")  # before the option: plain Keras' float32
    if r.get("kind") == "train":
        settings = r.setdefault("settings", {})
        if r.get("experiment") not in _own_settings():  # a Settings run's, as written then
            settings.update({**earlier_values(), **settings})  # Settings fields' ``before``
            if str(settings["optimizer"]).lower() in ("adam", "sgd"):  # once written "Adam"
                settings["optimizer"] = str(settings["optimizer"]).lower()  # not its own
        settings.update({k: today_name(v) for k, v in settings.items() if isinstance(v, str)})
        r.setdefault("wall_seconds", r.get("train_seconds"))
        r["recipe"] = _recipe(r)
    return r


def _recipe(train: dict) -> dict:
    """One identity whatever the record's age: every recipe is made again from its parts
    by today's rule (``records.recipes.recipe``). Its network is the identity it recorded
    (``network``; ``model_config_sha256`` before 2026-12-07, when an ensemble's recipe was
    also its members' id times their count and NumPy's and XOR's recipes were written
    apart); an image classifier's record from before recipes names its model.py, which is
    today's network where that code (and that of the models it imports) is unchanged
    since."""
    name, old = train["experiment"], train.get("recipe") or {}
    network = old.get("network", old.get("model_config_sha256"))
    if network is None and name in _classifiers():
        commit = str(train.get("commit") or "unknown").removesuffix("+dirty")
        code = model_code(name, commit)
        network = (network_identity(name) if code and code == model_code(name, "")
                   else network_at(name, commit)
                   or "model.py " + hashlib.sha256(code.encode()).hexdigest())
    return recipe(train["settings"], {"sha256": None, **train["data"]}, network or "")


@functools.cache
def network_at(experiment: str, commit: str) -> str | None:
    """The identity of the network ``experiment``'s model.py built at ``commit`` (and the
    model.py files of that commit it imports), built with today's ``common``; None where
    that code no longer builds or cannot be read."""
    import keras  # the experiments' code is read on demand, as is Keras

    from common.records.recipes import model_config_sha256
    try:
        modules = _modules_at(experiment, commit, {})
        saved = {name: sys.modules.get(name) for name in modules}
        sys.modules.update(modules)
        try:
            return model_config_sha256(modules[_module(experiment)].build_model())
        finally:
            for name, module in saved.items():
                sys.modules.pop(name) if module is None else sys.modules.update({name: module})
            keras.backend.clear_session()
    except Exception:  # noqa: BLE001 - old code that no longer builds: told by its code
        return None


def _module(experiment: str) -> str:
    return f"experiments.{experiment}.model"


def _modules_at(experiment: str, commit: str, made: dict) -> dict:
    """experiments.<name>.model as of ``commit`` for ``experiment`` and what it imports."""
    source = _source(experiment, commit)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if (len(parts) == 3 and parts[0] == "experiments" and parts[2] == "model"
                    and _module(parts[1]) not in made):
                _modules_at(parts[1], commit, made)
    module = types.ModuleType(_module(experiment))
    moved = {old: importlib.import_module(new) for old, new in MOVED_MODULES.items()
             if f"from {old} import" in source or f"import {old}" in source}
    saved = {name: sys.modules.get(name) for name in {**made, **moved}}
    sys.modules.update(made)  # its imports of other models find theirs of that commit
    sys.modules.update(moved)  # and the modules of common/ under their names of then
    try:
        exec(compile(source, f"{commit}:experiments/{experiment}/model.py", "exec"),
             module.__dict__)
    finally:
        for name, old in saved.items():
            sys.modules.pop(name) if old is None else sys.modules.update({name: old})
    made[_module(experiment)] = module
    return made


@functools.cache
def _classifiers() -> frozenset[str]:
    from common.config.registry import experiment_names  # the experiments' code, read on demand
    return frozenset(experiment_names())


@functools.cache
def _own_settings() -> frozenset[str]:
    """The experiments whose settings are their own, not ``Settings`` (the NumPy networks,
    XOR): what ``Settings`` fields ran with before they existed is nothing of theirs."""
    from common.config.registry import EXPERIMENTS_DIR
    return frozenset(p.parent.name for p in EXPERIMENTS_DIR.glob("*/train.py")) - _classifiers()


@functools.cache
def model_code(experiment: str, commit: str) -> str:
    """The experiment's model.py at ``commit`` ('': as the working tree has it now),
    without comments and docstrings, its imports sorted and named as today, followed by
    that of every experiment whose model it imports (exp04 builds exp03's network); ''
    where it cannot be read (no repository, unknown commit)."""
    try:
        tree = ast.parse(_source(experiment, commit))
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
            node.module = MOVED_MODULES.get(node.module, node.module)
            parts = node.module.split(".")
            if len(parts) == 3 and parts[0] == "experiments" and parts[2] == "model":
                imported.append(parts[1])
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    tree.body = sorted(imports, key=ast.dump) + [n for n in tree.body if n not in imports]
    return "\n".join([ast.dump(tree), *(model_code(name, commit) for name in imported
                                         if name != experiment)])


@functools.cache
def _source(experiment: str, commit: str) -> str:
    """experiments/<experiment>/model.py at ``commit``, or in the working tree ('')."""
    relative_path = f"experiments/{experiment}/model.py"
    if not commit:
        return (REPO_ROOT / relative_path).read_text()
    return subprocess.run(["git", "show", f"{commit.removesuffix('+dirty')}:{relative_path}"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=10,
                          check=True).stdout
