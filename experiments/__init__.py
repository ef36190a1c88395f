"""The experiments, one folder each: model.py, train.py (SETTINGS), test.py, README.md."""

import common  # noqa: F401  # first: it imports Keras quietly, before any experiment does
