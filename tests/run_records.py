"""Train and test records as the experiments write them, for the results tests."""

from __future__ import annotations

from pathlib import Path

from common.records.store import write_record

JPEG = "22d987794f157fee4d2923df2eb9839b84490484c35b9d553042cae78478c587"  # its SHA256SUMS


def train_record(experiment: str, sha: str, seed: int, target: float = 0.74) -> dict:
    """A training run of model ``sha``, finished on day 2``seed`` of November."""
    return {"kind": "train", "experiment": experiment, "idea": f"idea of {experiment}",
            "target": target, "model_sha256": sha, "seed": seed, "epochs_run": 20,
            "train_seconds": 600.0 + seed * 60, "finished": f"2026-11-2{seed}T10:00:00",
            "data": {"dataset": "cifar10", "source": "cifar10-jpeg.tar.gz", "sha256": JPEG}}


def today_record(experiment: str, sha: str, seed: int, **data: object) -> dict:
    """A training run of the recipe ``experiment``'s code defines today (its SETTINGS and
    network, as a default run records them), seed ``seed``; ``data`` adds to its data."""
    from common.config.registry import find_experiment
    from common.records.recipes import network_identity, recorded_settings
    settings = recorded_settings(find_experiment(experiment).settings, "float32")
    record = train_record(experiment, sha, seed)
    return record | {"settings": settings, "commit": sha, "data": {**record["data"], **data},
                     "recipe": {"network": network_identity(experiment)}}


def eval_record(experiment: str, sha: str, accuracy: float, when: str) -> dict:
    """A test of model ``sha`` at ``when``, with two classes' accuracies."""
    per_class = {"airplane": accuracy, "cat": accuracy - 0.2}
    return {"kind": "test", "experiment": experiment, "model_sha256": sha,
            "test_accuracy": accuracy, "params": 1000, "finished": when,
            "per_class_accuracy": per_class,
            "data": {"dataset": "cifar10", "source": "cifar10-jpeg.tar.gz", "sha256": JPEG}}


def fill_records(tmp_path: Path) -> Path:
    """Two CIFAR-10 steps' records: exp01 trained twice (model a tested twice, only
    the later evaluation counts) and exp02 once, with a validation curve."""
    write_record(tmp_path, "exp01_baseline", "train-a", train_record("exp01_baseline", "a", 1))
    write_record(tmp_path, "exp01_baseline", "train-b", train_record("exp01_baseline", "b", 2))
    write_record(tmp_path, "exp01_baseline", "test-1",
                 eval_record("exp01_baseline", "a", 0.50, "2026-11-21T11:00:00"))
    write_record(tmp_path, "exp01_baseline", "test-2",
                 eval_record("exp01_baseline", "a", 0.74, "2026-11-21T12:00:00"))
    write_record(tmp_path, "exp01_baseline", "test-3",
                 eval_record("exp01_baseline", "b", 0.76, "2026-11-22T12:00:00"))
    write_record(tmp_path, "exp02_batchnorm", "train-c",
                 train_record("exp02_batchnorm", "c", 1, target=0.79)
                 | {"history_csv": "train-c.history.csv"})
    (tmp_path / "exp02_batchnorm" / "train-c.history.csv").write_text(
        "epoch,val_accuracy\n0,0.5\n1,0.7\n")
    write_record(tmp_path, "exp02_batchnorm", "test-1",
                 eval_record("exp02_batchnorm", "c", 0.78, "2026-11-22T13:00:00"))
    return tmp_path
