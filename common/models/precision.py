"""Which number format the network computes in: float32, or mixed precision.

Mixed precision keeps float32 weights and computes in 16 bits: float16 on a GPU (tensor
cores), bfloat16 on a CPU with bf16 instructions (Intel AMX, AVX-512 BF16). The saved .h5
is float32 either way; ``common.models.training_copy`` makes the copies that compute in 16 bits.
"""

from __future__ import annotations

from pathlib import Path

import keras

from common.basics.errors import UserError
from common.basics.hardware import accelerators

PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")


# CPU flags of bf16 arithmetic that oneDNN uses: Intel's AMX tiles; AVX-512 BF16 (AMD EPYC)
BF16_FLAGS = ("amx_bf16", "avx512_bf16")


def resolve_precision(choice: str) -> str:
    """'auto' -> mixed_float16 on a GPU (tensor cores), mixed_bfloat16 on a CPU with bf16
    instructions (faster training on both CPUs here, results/bench/), else float32."""
    if choice == "mixed_float16" and not accelerators():
        raise UserError(f"--precision mixed_float16 needs a GPU ({keras.backend.backend()} "
                        "sees none): a CPU emulates float16 in software, far slower than float32; "
                        "use --precision auto, float32 or mixed_bfloat16")
    if choice != "auto":
        return choice
    if accelerators():
        return "mixed_float16"
    bf16 = keras.backend.backend() == "tensorflow" and any(f in _cpu_flags() for f in BF16_FLAGS)
    return "mixed_bfloat16" if bf16 else "float32"


def _cpu_flags() -> set[str]:
    try:
        return set(Path("/proc/cpuinfo").read_text().split())
    except OSError:  # not Linux: stay with float32
        return set()
