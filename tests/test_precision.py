"""Which precision the network computes in."""

from __future__ import annotations

import pytest

from common import precision
from common.precision import resolve_precision


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
