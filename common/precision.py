"""Which number format the network computes in: float32, or mixed precision.

Mixed precision keeps float32 weights and computes in 16 bits: float16 on a GPU (tensor
cores), bfloat16 on a CPU with bf16 matrix units (AMX). The saved .h5 is float32 either
way; ``with_policy`` gives a loaded model a mixed-precision twin for fast inference.
"""

from __future__ import annotations

from pathlib import Path

import keras

from common.records import accelerators

PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")


def resolve_precision(choice: str) -> str:
    """'auto' -> mixed_float16 on a GPU (tensor cores), mixed_bfloat16 on a CPU with
    bf16 matrix units (AMX: 1.3-2x our training throughput, results/bench/), else float32."""
    if choice != "auto":
        return choice
    if accelerators():
        return "mixed_float16"
    on_amx = keras.backend.backend() == "tensorflow" and _cpu_has_amx_bf16()  # oneDNN uses it
    return "mixed_bfloat16" if on_amx else "float32"


def _cpu_has_amx_bf16() -> bool:
    try:
        return "amx_bf16" in Path("/proc/cpuinfo").read_text()
    except OSError:  # not Linux: stay with float32
        return False


def with_policy(model: keras.Model, policy: str) -> keras.Model:
    """``model`` itself for float32; else a copy of its functional graph whose layers compute
    in ``policy``, sharing nothing but holding the same (float32) weights.

    The output layer stays float32, so probabilities and the loss keep full precision.
    """
    if policy == "float32":
        return model
    config = model.get_config()
    # Functional: [name, 0, 0] or a list of those; Sequential: its last layer.
    outputs = config.get("output_layers") or [config["layers"][-1]["config"]["name"]]
    outputs = {outputs[0]} if isinstance(outputs[0], str) else {o[0] for o in outputs}
    for layer in config["layers"]:
        if (layer["class_name"] != "InputLayer" and "dtype" in layer["config"]
                and layer["config"]["name"] not in outputs):
            layer["config"]["dtype"] = policy
    twin = type(model).from_config(config)
    twin.set_weights(model.get_weights())
    return twin
