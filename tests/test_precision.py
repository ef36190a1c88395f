"""Which precision the network computes in, and mixed-precision twins of loaded models."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from common import precision
from common.precision import resolve_precision, with_policy
from experiments.exp03_deeper_l2.model import build_model as build_exp03


def test_float32_is_the_model_itself() -> None:
    model = build_exp03()
    assert with_policy(model, "float32") is model


def test_bfloat16_twin_computes_in_bf16_with_the_same_weights_and_a_float32_output() -> None:
    model = build_exp03()
    twin = with_policy(model, "mixed_bfloat16")
    assert twin is not model and twin.count_params() == model.count_params()
    assert twin.get_layer("block1_conv1").compute_dtype == "bfloat16"
    assert twin.get_layer("output").compute_dtype == "float32"
    assert all(layer.compute_dtype == "float32" for layer in model.layers)  # left alone
    for mine, theirs in zip(twin.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)

    x = keras.random.uniform((64, 32, 32, 3), seed=0)  # [0, 1] float32 in, as for the .h5
    fast, exact = twin.predict(x, verbose=0), model.predict(x, verbose=0)
    assert fast.dtype == np.float32 and fast.shape == exact.shape == (64, 10)
    np.testing.assert_allclose(fast, exact, atol=0.05)
    assert not np.array_equal(fast, exact)  # it did compute in bf16


def test_explicit_precision_is_kept_auto_picks_one() -> None:
    assert resolve_precision("float32") == "float32"
    assert resolve_precision("auto") in ("float32", "mixed_float16", "mixed_bfloat16")


@pytest.mark.parametrize("flags, expected", [
    ({"avx2", "amx_bf16"}, "mixed_bfloat16"),  # Intel Xeon with AMX
    ({"avx512f", "avx512_bf16"}, "mixed_bfloat16"),  # AMD EPYC
    ({"avx2", "avx512f"}, "float32"),
])
def test_auto_computes_in_bf16_on_cpus_with_bf16_instructions(
        monkeypatch: pytest.MonkeyPatch, flags: set[str], expected: str) -> None:
    monkeypatch.setattr(precision, "accelerators", lambda: [])
    monkeypatch.setattr(precision, "_cpu_flags", lambda: flags)
    assert resolve_precision("auto") == expected


def test_a_sequential_model_gets_a_twin_too() -> None:  # what a user's exp05 might build
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3),
                              keras.layers.Flatten(), keras.layers.Dense(10)])
    twin = with_policy(model, "mixed_bfloat16")
    assert isinstance(twin, keras.Sequential)
    assert [layer.compute_dtype for layer in twin.layers] == ["bfloat16", "bfloat16", "float32"]
    np.testing.assert_allclose(twin.predict(np.ones((2, 32, 32, 3)), verbose=0),
                               model.predict(np.ones((2, 32, 32, 3)), verbose=0), atol=0.1)
