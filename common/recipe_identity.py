"""Which recorded runs are the same recipe up to the seed, and what sets two apart.

Runs record their recipe as they are made (``common.export.recipe``: the effective
settings, the data and a hash of the network's config). Records from before that are
compared as they always were: their settings, their data, and the experiment's model.py at
their commit (read with ``git show``).
"""

from __future__ import annotations

import ast
import functools
import json
import subprocess

from common.export import NOT_RECIPE
from common.records import REPO_ROOT, optimizer_name


def recipe_id(train: dict | None) -> str:
    """Equal for two runs of one recipe: the recorded id, or (older records) their settings,
    data and model.py together; '' where there is no training record."""
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
