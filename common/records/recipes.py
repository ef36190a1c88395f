"""What makes two runs one recipe up to the seed, and what sets two recipes apart.

A run records its recipe as it is made, by one function (``recipe``) whatever trained it —
a Keras step, an ensemble, a NumPy network, XOR: the effective settings (without the step's
wording and the machine's arithmetic), the data's content and the network's identity (a
hash of a Keras network's config; a NumPy network's name). ``common.records.upgrade``
makes every older record's recipe again by the same function, so a run of an unchanged
recipe joins its row whatever the records' age; ``default_recipe`` is the recipe a default
run of an experiment would record today.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import fields, replace

import keras
import numpy as np

from common.config.settings import KEPT, Settings, recipe_fields
from common.data.identity import identity

# Settings that do not change what a run is: the step's wording, target and budget, and which
# BatchNormalization kernel and Dropout draw ran, which is speed, not recipe (the fused kernel
# computes what Keras' own does, tests/test_fused_batchnorm.py; 16-bit masks are other random
# masks at the same rate with the same expectation, tests/test_fast_dropout.py); and how many
# steps one compiled call takes (the same steps, common/training/fused_steps.py). The precision is
# the machine's arithmetic, as the backend is: the same command trains in float32 or bf16
# by what the CPU offers (the record keeps which). A variant's name and an ensemble's
# members are told by its settings and network.
NOT_RECIPE = (*(f.name for f in fields(Settings) if f.name not in recipe_fields()),
              # what a record adds: the run's speed choices, its precision, an ensemble's
              "batchnorm", "dropout", "steps_per_call", "precision", "members", "member",
              "mirror_averaged")


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


def recipe(settings: dict, data: dict, network: keras.Model | str) -> dict:
    """The recipe of a run with the effective ``settings`` (as its record writes them) on
    ``data`` (a record's data description, ``common.data.identity.describe``) training
    ``network``: a Keras model, or the network's identity (a Keras config's
    ``model_config_sha256``, a NumPy network's name)."""
    described = json.loads(json.dumps(recipe_settings(settings), default=str))  # as read back
    return with_id({"settings": described, "data": identity(data),
                    "network": network if isinstance(network, str)
                    else model_config_sha256(network)})


def recorded_settings(settings: Settings, precision: str, speedups: dict | None = None) -> dict:
    """The settings a train record writes for a run of ``settings``."""
    return {**settings.describe(), "precision": precision, **(speedups or {}),
            "loss": "categorical_crossentropy", "kept": KEPT[settings.keep]}


@functools.cache
def network_identity(experiment: str) -> str:
    """The identity of the network experiment ``experiment``'s code builds today, as its
    recipe's ``initialize`` leaves it (frozen layers are part of a network's config)."""
    from common.config.registry import find_experiment  # the experiments' code, read on demand
    found = find_experiment(experiment)
    network = found.build_model()
    if found.settings.initialize is not None:
        try:  # on stand-in images: what it sets in the config does not depend on them
            found.settings.initialize(network, np.zeros((8, *network.input_shape[1:]),
                                                        "float32"))
        except Exception:  # noqa: BLE001 - e.g. ImageNet weights offline: the built network
            network = found.build_model()
    return model_config_sha256(network)


def default_recipe(experiment: str, data: dict, variant: str | None = None,
                   labels_per_class: int | None = None) -> dict:
    """The recipe a default run of ``experiment`` (or of its named ``variant``, with a
    label budget) records on ``data``: its ``Settings`` and network as the code is now."""
    from common.config.registry import find_experiment
    settings = find_experiment(experiment).recipe(variant)
    if labels_per_class is not None:
        settings = replace(settings, labels_per_class=labels_per_class)
    return recipe(recorded_settings(settings, "float32"), data, network_identity(experiment))


def recipe_id(train: dict | None) -> str:
    """Equal for two runs of one recipe; '' where there is no training record."""
    return "" if train is None else train["recipe"]["id"]


def differences(train: dict, current: dict) -> list[str]:
    """What sets ``train``'s recipe apart from ``current``'s: the settings that differ,
    "network" and "data". A network known only by an older model.py (``records.upgrade``)
    and one known by its config do not compare: between the two, only settings and data
    are told apart."""
    a, b = (json.loads(json.dumps(recipe_settings(r["settings"]), default=str))
            for r in (train, current))
    differ = {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
    if "keep" in differ:
        differ.discard("kept")  # its wording
    networks = [r["recipe"]["network"] for r in (train, current)]
    by_code = [n.startswith("model.py ") for n in networks]
    if networks[0] != networks[1] and by_code[0] == by_code[1]:
        differ.add("network")
    if identity(train["data"]) != identity(current["data"]):
        differ.add("data")
    return sorted(differ)
