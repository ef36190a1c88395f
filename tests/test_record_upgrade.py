"""Older records read as today's: upgraded() fills what a record lacks with what those runs
had, and leaves what it has alone."""

from __future__ import annotations

from common.records.upgrade import upgraded


def test_a_record_from_before_every_field_reads_as_todays() -> None:
    old = {"kind": "train", "experiment": "exp01_baseline", "commit": "unknown",
           "settings": {"optimizer": "Adam", "epochs": 20}, "train_seconds": 600.0,
           "data": {"source": "cifar10-jpeg.tar.gz", "sha256": "abc"}}
    new = upgraded(old)
    assert new["versions"]["backend"] == "tensorflow" and new["hardware"]["gpus"] == []
    assert new["settings"] | {"epochs": 20} == new["settings"]
    assert {k: new["settings"][k] for k in ("optimizer", "keep", "weight_decay",
                                             "label_smoothing", "dataset")} == {
        "optimizer": "adam", "keep": "best", "weight_decay": 0.0, "label_smoothing": 0.0,
        "dataset": "cifar10"}
    assert new["wall_seconds"] == 600.0 and new["data"]["dataset"] == "cifar10"
    recipe = new["recipe"]  # made before recipes were recorded, at a commit git does not
    # know: its network is named by its model.py (there: none), never taken for today's
    assert recipe["data"] == {"dataset": "cifar10", "sha256": "abc"}
    assert recipe["network"].startswith("model.py ") and len(recipe["id"]) == 16
    assert old["settings"]["optimizer"] == "Adam" and "recipe" not in old  # a copy


def test_what_a_record_has_is_kept_and_a_test_defaults_to_float32() -> None:
    test = upgraded({"kind": "test", "data": {"dataset": "mnist"}, "precision": "bf16",
                     "versions": {"backend": "jax"}})
    assert (test["precision"], test["data"]["dataset"], test["versions"]["backend"]) == (
        "bf16", "mnist", "jax")
    assert upgraded({"kind": "test"})["precision"] == "float32"  # before the option
