"""The prepared GPU run (.ci/gpu-series.sh), checked on this CPU: it trains and tests each
step through the series command and leaves in $OUT what the device tool brings back."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

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
    assert {"saved_models/exp01_baseline.h5", "results/series.md"} <= set(names)
    assert any(n.startswith("results/series-") and n.endswith(".json") for n in names)
