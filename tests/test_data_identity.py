"""Data named by what it is: a run's record and recipe depend on the data's content, never
on where the files sit (issue 47: a newcomer's run joins the table's row)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from common import results
from common.basics.paths import REPO_ROOT, RESULTS_DIR
from common.data.datasets import CIFAR10, FASHION_MNIST
from common.data.identity import content_sha256, describe
from common.records.store import read_records
from tests.conftest import saved_h5


def test_a_file_is_named_by_its_content_not_its_place(tmp_path: Path, npz_path: Path) -> None:
    copy = tmp_path / "elsewhere" / "other-name.npz"
    copy.parent.mkdir()
    shutil.copyfile(npz_path, copy)
    here, there = describe(str(npz_path), CIFAR10), describe(str(copy), CIFAR10)
    assert here["sha256"] == there["sha256"] and here["source"] == "tiny.npz"
    assert here["path"] is None  # outside the repository: no path at all
    assert not any(str(tmp_path) in str(v) for v in here.values())
    with open(copy, "ab") as f:
        f.write(b"\0")
    assert content_sha256(copy) != here["sha256"]


def test_a_folder_is_named_by_its_files_not_its_checksum_lists(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "train-images-idx3-ubyte.gz").write_bytes(b"images")
    (tmp_path / "b" / "SHA256SUMS").write_text("whatever\n")
    assert content_sha256(tmp_path / "a") == content_sha256(tmp_path / "b")
    (tmp_path / "b" / "t10k-images-idx3-ubyte.gz").write_bytes(b"more")
    assert content_sha256(tmp_path / "a") != content_sha256(tmp_path / "b")


def test_the_offline_copies_are_named_by_their_published_checksums() -> None:
    if not CIFAR10.offline_copy.is_file():
        return  # no ../shared beside this checkout
    sums = dict(line.split()[::-1] for line in
                (CIFAR10.offline_copy.parent / "SHA256SUMS").read_text().splitlines())
    assert describe(str(CIFAR10.offline_copy), CIFAR10)["sha256"] == sums[
        CIFAR10.offline_copy.name]
    assert describe(str(FASHION_MNIST.offline_copy), FASHION_MNIST)["source"] == "fashion-mnist"


def test_a_quick_check_on_a_few_images_is_another_recipe() -> None:
    from common.data.identity import identity

    full = {"dataset": "cifar10", "sha256": "abc", "limit": None, "train": 45000}
    assert identity(full) == identity({**full, "train": 44000, "source": "x.tar.gz"})
    assert identity(full) != identity({**full, "limit": 512})


def test_no_committed_record_holds_an_absolute_path() -> None:
    for path in sorted(RESULTS_DIR.glob("**/*.json")):
        text = path.read_text()
        assert '": "/' not in text and " /work/" not in text, path
        record = json.loads(text)
        if isinstance(record, dict) and record.get("kind") in ("train", "test"):
            assert len(record["data"]["sha256"]) == 64, path  # named by content


def test_committed_recipe_ids_are_their_parts_hash() -> None:
    from common.records.recipes import with_id

    for record in read_records(RESULTS_DIR):
        recipe = record.get("recipe", {})
        if "data" in recipe:
            assert with_id({k: v for k, v in recipe.items() if k != "id"}) == recipe, \
                record["_path"]


def _checkout(root: Path) -> Path:
    """A copy of this repository's code at ``root``: another user's checkout."""
    for part in ("common", "experiments"):
        shutil.copytree(REPO_ROOT / part, root / part,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _train_and_test(checkout: Path, data: Path, results_dir: Path, seed: int) -> None:
    args = ["--data", str(data), "--results-dir", str(results_dir)]
    for step in (["train", "--limit", "60", "--epochs", "1", "--batch-size", "16",
                  "--seed", str(seed), "--model-dir", str(checkout / "saved_models")],
                 ["test", "--model", None]):
        if step[-1] is None:  # the file the run saved, named by its options
            step[-1] = str(saved_h5(checkout / "saved_models", "exp00_tutorial"))
        done = subprocess.run([sys.executable, "-m", f"experiments.exp00_tutorial.{step[0]}",
                               *step[1:], *args], cwd=checkout, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]


def test_one_recipe_from_two_checkouts_pools_into_one_row(tmp_path: Path, arrays: dict) -> None:
    """The newcomer's case: the same recipe trained in two checkouts, on copies of the data
    at two paths, is one row of two seeds; the same recipe on other data is not."""
    results_dir = tmp_path / "results"
    for user, seed in (("ann", 1), ("bob", 2)):
        data = tmp_path / user / "downloads" / f"{user}-cifar.npz"
        data.parent.mkdir(parents=True)
        np.savez(data, **arrays)
        _train_and_test(_checkout(tmp_path / user / "repo"), data, results_dir, seed)
    row = results.collect(results_dir)[0]
    assert len(row.accuracies) == 2 and row.earlier == []

    other = {**arrays, "y_train": np.roll(arrays["y_train"], 1)}  # other labels
    np.savez(tmp_path / "other.npz", **other)
    _train_and_test(tmp_path / "ann" / "repo", tmp_path / "other.npz", results_dir, 3)
    row = results.collect(results_dir)[0]
    assert len(row.accuracies) == 1  # the newest run's data: its own recipe
    assert [r["_differs"] for _, r in row.earlier] == [["data"], ["data"]]
    assert str(tmp_path) not in "".join(p.read_text() for p in results_dir.glob("*/*.json"))


def test_the_committed_tables_are_what_the_committed_records_say(tmp_path: Path) -> None:
    """Read the new way, the rewritten records give results/README.md as committed."""
    from common.reports.devices import render_devices, rounds_in
    from common.reports.recipes import ours
    from common.reports.report import write_readme

    rows = results.collect(RESULTS_DIR)
    devices = render_devices(ours(rows), {d.name: results.collect(d)
                                          for d in rounds_in(RESULTS_DIR)})
    written = write_readme(rows, tmp_path, devices)
    assert written.read_text() == (RESULTS_DIR / "README.md").read_text()
