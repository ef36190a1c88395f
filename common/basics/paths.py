"""Where the project's own folders are, and how records name a path portably."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]  # common/basics/paths.py
MODELS_DIR = REPO_ROOT / "saved_models"
RESULTS_DIR = REPO_ROOT / "results"
SHARED_DATASETS = REPO_ROOT.parent / "shared" / "datasets"  # the offline copies, if present


def relative_inside(path: Path) -> str | None:
    """``path`` relative to the repository, or None where it lies outside it."""
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return None


def relative(path: Path) -> str:
    """``path`` relative to the repository (``../shared/...`` beside it), never absolute:
    records and messages do not carry the layout of the machine that wrote them."""
    inside = relative_inside(path)
    if inside is not None:
        return inside
    return Path(os.path.relpath(Path(path).resolve(), REPO_ROOT)).as_posix()
