"""Compare every experiment that has records.

    python -m common.results

Prints the table and writes it to ``results/README.md`` with a chart of the steps
(``results/steps.png``). Test accuracy comes from the test entry point's records; each is
joined to the training run that produced the evaluated .h5 (by its SHA-256), so runs
with several seeds show their mean and spread. A row holds only the runs of the
experiment's latest recipe (same settings, any seed); runs of earlier recipes are listed
below it, so what was tried stays visible without blending into the mean.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from common.basics.paths import REPO_ROOT, RESULTS_DIR
from common.config.registry import experiment_names
from common.reports.collect import collect
from common.reports.devices import render_devices, rounds_in
from common.reports.recipes import ours
from common.reports.report import render_datasets, update_project_readme, write_readme


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m common.results",
        description="Print the comparison of every experiment with records; rewrite "
                    "results/README.md, the results section of README.md and the charts "
                    "(results/steps*.png, results/validation_curves.png).")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR,
                        help="where the run records are (default %(default)s)")
    args = parser.parse_args(argv)
    rows = collect(args.results_dir)
    if not rows:
        name = (experiment_names() or ["<experiment>"])[0]
        print(f"no evaluated experiments under {args.results_dir}: train one, then test it, "
              f"e.g. python -m experiments.{name}.train && python -m experiments.{name}.test")
        return
    devices = render_devices(ours(rows), {d.name: collect(d) for d in rounds_in(args.results_dir)})
    print(render_datasets(rows, charts="results/", devices=devices))  # as README.md has it
    print(f"wrote {write_readme(rows, args.results_dir, devices)}")
    if args.results_dir.resolve() == RESULTS_DIR:
        update_project_readme(rows, REPO_ROOT / "README.md", devices)


if __name__ == "__main__":
    main()
