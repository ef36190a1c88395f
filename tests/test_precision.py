"""Which precision the network computes in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keras
import pytest

from common.basics.errors import UserError
from common.models import precision
from common.models.precision import resolve_precision
from tests.conftest import REPO


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


def test_float16_without_a_gpu_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precision, "accelerators", lambda: [])
    with pytest.raises(UserError, match="mixed_float16 needs a GPU"):
        resolve_precision("mixed_float16")
    monkeypatch.setattr(precision, "accelerators", lambda: ["NVIDIA H200"])
    assert resolve_precision("mixed_float16") == "mixed_float16"


def test_train_refuses_float16_on_a_cpu_in_one_line_and_keeps_the_saved_model(
        tmp_path: Path) -> None:
    if precision.accelerators():
        pytest.skip("this machine has a GPU")
    tmp_path = tmp_path / "models"
    tmp_path.mkdir()
    saved = tmp_path / "exp01_baseline.h5"
    saved.write_bytes(b"an earlier good model")
    done = subprocess.run([sys.executable, "-m", "experiments.exp01_baseline.train",
                           "--precision", "mixed_float16", "--model-dir", str(tmp_path),
                           "--results-dir", str(tmp_path / "results")],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "mixed_float16 needs a GPU" in done.stderr
    assert saved.read_bytes() == b"an earlier good model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp01_baseline.h5"]


def test_training_copy_keeps_the_output_layer_in_float32_and_scales_float16_losses() -> None:
    from common.config.registry import find_experiment
    from common.training.setup import training_model

    exp = find_experiment("exp04_augmentation")
    trained, core, _ = training_model(exp.build_model(), exp.settings, "mixed_float16", 10)
    policies = {layer.name: layer.dtype_policy.name for layer in core.layers
                if not isinstance(layer, keras.layers.InputLayer)}
    assert policies.pop("output") == "float32"
    assert set(policies.values()) == {"mixed_float16"}
    assert isinstance(trained.optimizer, keras.optimizers.LossScaleOptimizer)
    trained, _, _ = training_model(exp.build_model(), exp.settings, "mixed_bfloat16", 10)
    assert not isinstance(trained.optimizer, keras.optimizers.LossScaleOptimizer)
