"""What makes two runs one recipe up to the seed, and what sets two recipes apart.

A run records its recipe as it is made (``recipe``): the effective settings (without the
step's wording and the speed-only layer choices), the data's content and a hash of the
network's config. ``common.record_upgrade`` gives older records the same shape.
"""

from __future__ import annotations

import hashlib
import json

import keras

from common.data_identity import identity

# Settings that do not change what a run is: the step's wording, target and budget, and which
# BatchNormalization kernel and Dropout draw ran, which is speed, not recipe (the fused kernel
# computes what Keras' own does, tests/test_fused_batchnorm.py; 16-bit masks are other random
# masks at the same rate with the same expectation, tests/test_fast_dropout.py); and how many
# steps one compiled call takes (the same steps, common/fused_steps.py).
NOT_RECIPE = ("idea", "target", "target_source", "budget", "batchnorm", "dropout", "steps_per_call")


def model_config_sha256(model: keras.Model) -> str:
    """A hash of the network as Keras describes it (layers, shapes, initialisers, names)."""
    config = json.dumps(model.get_config(), sort_keys=True, default=str)
    return hashlib.sha256(config.encode()).hexdigest()


def with_id(parts: dict) -> dict:
    """``parts`` of a recipe and their hash, its id."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return {**parts, "id": hashlib.sha256(text.encode()).hexdigest()[:16]}


def recipe_settings(settings: dict) -> dict:
    return {k: v for k, v in settings.items() if k not in NOT_RECIPE}


def recipe(settings: dict, data: dict, model: keras.Model) -> dict:
    """The recipe of a run with the effective ``settings`` on ``data`` (a record's data
    description, ``common.data_identity.describe``) training ``model``."""
    return with_id({"settings": recipe_settings(settings), "data": identity(data),
                    "model_config_sha256": model_config_sha256(model)})


def recipe_id(train: dict | None) -> str:
    """Equal for two runs of one recipe; '' where there is no training record."""
    return "" if train is None else train["recipe"]["id"]


def differences(train: dict, current: dict) -> list[str]:
    """What sets ``train``'s recipe apart from ``current``'s: the settings that differ,
    "network" and "data". A config hash (newer records) and a model.py (older ones) do
    not compare: between the two kinds, only settings and data are told apart."""
    a, b = (r["recipe"].get("settings", recipe_settings(r["settings"])) for r in (train, current))
    differ = {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
    if "keep" in differ:
        differ.discard("kept")  # its wording
    for key in ("model_config_sha256", "model_code_sha256"):
        if key in train["recipe"] and key in current["recipe"]:
            if train["recipe"][key] != current["recipe"][key]:
                differ.add("network")
    if identity(train["data"]) != identity(current["data"]):
        differ.add("data")
    return sorted(differ)
