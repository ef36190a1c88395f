"""The notebooks: committed without outputs, and run top to bottom on tiny data (a failure
names the cell), so they cannot rot."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.conftest import REPO, make_arrays

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks_and_none_holds_outputs() -> None:
    assert {p.name for p in NOTEBOOKS} >= {"cifar10_steps.ipynb", "from_scratch.ipynb"}
    for path in NOTEBOOKS:
        for number, cell in enumerate(nbformat.read(path, as_version=4).cells, start=1):
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (
                    f"{path.name}, cell {number}: clear its outputs before committing")


def tiny_mnist(path: Path) -> Path:
    rng = np.random.default_rng(0)
    y_train, y_test = rng.integers(0, 10, 600), rng.integers(0, 10, 200)
    np.savez(path, x_train=rng.integers(0, 255, (600, 28, 28), dtype=np.uint8),
             y_train=y_train.astype(np.uint8), x_test=rng.integers(0, 255, (200, 28, 28),
                                                                   dtype=np.uint8),
             y_test=y_test.astype(np.uint8))
    return path


def run_notebook(path: Path, parameters: dict, workdir: Path) -> None:
    """Execute ``path`` with ``parameters`` set after its parameters cell (as papermill
    does); a failing cell is named with its number and first line."""
    notebook = nbformat.read(path, as_version=4)
    [index] = [i for i, c in enumerate(notebook.cells)
               if "parameters" in c.metadata.get("tags", [])]
    injected = "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
    notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(injected))
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(REPO / "notebooks")}})
    try:
        client.execute()
    except CellExecutionError as err:
        cell = next((i for i, c in enumerate(notebook.cells, start=1) if c.get("outputs") and
                     any(o.get("output_type") == "error" for o in c.outputs)), "?")
        pytest.fail(f"{path.name}: cell {cell} failed: {str(err)[-1500:]}")


@pytest.mark.parametrize("name", ["cifar10_steps.ipynb", "from_scratch.ipynb"])
def test_a_notebook_runs_top_to_bottom_on_tiny_data(name: str, tmp_path: Path) -> None:
    if name == "cifar10_steps.ipynb":
        data = tmp_path / "cifar.npz"
        np.savez(data, **make_arrays())
        options = ["--epochs", "1", "--batch-size", "16"]
    else:
        data = tiny_mnist(tmp_path / "mnist.npz")
        options = ["--epochs", "1", "--limit", "400"]
    run_notebook(REPO / "notebooks" / name, {
        "QUICK_OPTIONS": options, "DATA": str(data), "MODEL_DIR": str(tmp_path / "models"),
        "RESULTS_DIR": str(tmp_path / "r")}, tmp_path)
    records = [json.loads(p.read_text()) for p in (tmp_path / "r").rglob("*.json")]
    assert {r["kind"] for r in records} >= {"train", "test"}
