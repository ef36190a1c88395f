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
import subprocess

from common.data_identity import identity
from common.paths import REPO_ROOT
from common.recipe_identity import recipe_settings, with_id

# What runs recorded before these settings existed ran with
SETTINGS_BEFORE = {"optimizer": "adam", "keep": "best", "weight_decay": 0.0,
                   "label_smoothing": 0.0, "dataset": "cifar10"}


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
        settings.update({**SETTINGS_BEFORE, **settings})
        if str(settings["optimizer"]).lower() in ("adam", "sgd"):  # once written "Adam"
            settings["optimizer"] = str(settings["optimizer"]).lower()  # not a recipe's own
        r.setdefault("wall_seconds", r.get("train_seconds"))
        if "recipe" not in r:  # before recipes were recorded: the network is its model.py
            code = model_code(r["experiment"], str(r.get("commit", "")))
            r["recipe"] = with_id({
                "settings": recipe_settings(settings),
                "data": identity({"sha256": None, **r["data"]}),
                "model_code_sha256": hashlib.sha256(code.encode()).hexdigest()})
    return r


@functools.cache
def model_code(experiment: str, commit: str) -> str:
    """The experiment's model.py at ``commit``, without comments and docstrings, followed
    by that of every experiment whose model it imports (exp04 builds exp03's network);
    '' where git cannot show it (no repository, unknown commit)."""
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
