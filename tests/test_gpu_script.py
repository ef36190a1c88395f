"""The prepared GPU run (.ci/gpu-series.sh), checked on this CPU: it trains and tests each
step through the series command and leaves in $OUT what the device tool brings back."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_the_gpu_script_leaves_the_series_and_its_logs_in_out(tmp_path: Path,
                                                              npz_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        ["bash", ".ci/gpu-series.sh", "--experiments", "exp01_baseline", "--",
         "--data", str(npz_path), "--epochs", "1", "--batch-size", "16"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**os.environ, "OUT": str(out), "BACKEND": "tensorflow", "PYTHON": sys.executable})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (out / "gpu.txt").read_text().strip()  # the GPU's name, or "no GPU"
    assert "series: 1 steps" in (out / "series.log").read_text()
    with tarfile.open(out / "series.tar.gz") as tar:
        names = tar.getnames()
    assert "results/series.md" in names  # and the model, named by the options it ran with
    assert any(n.startswith("saved_models/exp01_baseline-epochs1-") for n in names)
    assert any(n.startswith("results/series-") and n.endswith(".json") for n in names)


def test_the_gpu_round_runs_each_part_and_brings_back_at_most_8_files(
        tmp_path: Path, npz_path: Path) -> None:
    if importlib.util.find_spec("jax") is None:
        pytest.skip("the round is JAX's (pip install -r requirements-backends.txt)")
    out = tmp_path / "out"
    done = subprocess.run(
        ["bash", ".ci/gpu-round.sh"], cwd=REPO, capture_output=True, text=True, timeout=1500,
        env={**os.environ, "OUT": str(out), "PYTHON": sys.executable, "ROUND_TINY": "1",
             "ROUND_DATA": str(npz_path), "PROJECT_COMMIT": "1234567890ab",
             "ROUND_GPU_S": "900"})  # exp08's 12.7M weights, 4 runs: minutes on a CPU
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    files = sorted(p.name for p in out.iterdir())
    assert len(files) <= 8 and all((out / f).stat().st_size < 16 << 20 for f in files)
    assert {"summary.md", "round.log", "gpu.txt", "dmon.txt", "results.tar.gz",
            "profile.tar.gz"} <= set(files)
    summary = (out / "summary.md").read_text()
    for part in ("series", "exp07", "gpu-recipes", "bench", "profile"):
        assert f"| {part} | 0 |" in summary, summary  # each part ran and ended well
    # exp08's .h5 (~49 MiB at any data size) would not come back: its checksum does
    assert "models.tar.gz" not in files  # (named by the round's quick options)
    assert re.search(r"- exp08_wide_residual(-[^ :]*)?\.h5: 4", summary), summary
    assert "exp08_wide_residual with seed 0 and this recipe: copied" in (
        out / "round.log").read_text()  # exp09 reused exp08's run as its first member
    assert "Commit 1234567890ab" in summary and "ms a step" in summary
    assert "| exp01_baseline | " in summary and "| exp07_speedrun | " in summary
    assert re.search(r"\| exp08_wide_residual \|.* \d+ G \| — \|", summary)  # FLOP/s
    with tarfile.open(out / "results.tar.gz") as tar:
        names = tar.getnames()
        record = next(n for n in names if n.startswith("results/exp07_speedrun/train-")
                      and n.endswith(".json"))
        train = json.loads(tar.extractfile(record).read())
    assert train["commit"] == "1234567890ab"  # the caller's commit, not a guess
    assert any(n.startswith("results/bench/steps-") for n in names)
    assert any(n.startswith("results/series-") for n in names)
    assert any(n.startswith("results/exp09_gpu_ensemble/test-") for n in names)
    with tarfile.open(out / "profile.tar.gz") as tar:
        assert any(n.endswith(".xplane.pb") for n in tar.getnames())
