"""Every accuracy a README states in bold comes from a record: one run's test accuracy, or
a row's figure as the results table gives it (mean ± standard deviation over its seeds)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from common.basics.markdown import accuracy_cell
from common.basics.paths import REPO_ROOT, RESULTS_DIR
from common.reports.devices import rounds_in
from common.results import collect

BOLD = re.compile(r"\*\*([^*]+)\*\*")
PERCENT = re.compile(r"(\d+\.\d+)%(?: ± (\d+\.\d+)%)?")


def documents() -> list[Path]:
    return [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md")),
            *sorted((REPO_ROOT / "experiments").glob("*/README.md"))]


def recorded() -> tuple[set[float], set[str]]:
    """Every test record's accuracy (in %), and every row's table figure."""
    singles = {round(json.loads(p.read_text())["test_accuracy"] * 100, 2)
               for p in RESULTS_DIR.rglob("test-*.json")}
    rows = collect(RESULTS_DIR) + [r for d in rounds_in(RESULTS_DIR) for r in collect(d)]
    return singles, {accuracy_cell(r.accuracies, span=False) for r in rows}


def test_every_bold_accuracy_in_a_readme_matches_a_record() -> None:
    singles, cells = recorded()
    wrong = []
    for path in documents():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for bold in BOLD.findall(line):
                for value, spread in PERCENT.findall(bold):
                    decimals = len(value.split(".")[1])
                    ok = (any(f"{v:.{decimals}f}" == value for v in singles) if not spread
                          else any(c.startswith(f"{value}% ± {spread}%") for c in cells))
                    if not ok:
                        wrong.append(f"{path.relative_to(REPO_ROOT)}:{number}: **{bold}**")
                    break  # the fragment's figure; what follows it qualifies it
    assert not wrong, "bold figures no record gives:\n" + "\n".join(wrong)
