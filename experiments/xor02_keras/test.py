"""Predict the four XOR points with saved_models/xor02_keras.h5 (forward pass only).

    python -m experiments.xor02_keras.test [--model FILE]
"""

from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/test.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.records.model_io import load_h5
from common.training.xor import test_main

if __name__ == "__main__":
    name = Path(__file__).parent.name
    test_main(name, lambda path: load_h5(path, f"python -m experiments.{name}.train").predict,
              ".h5")
