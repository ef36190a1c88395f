"""Predict the four XOR points with saved_models/xor01_numpy.npz (forward pass only).

    python -m experiments.xor01_numpy.test [--model FILE]
"""

from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/test.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.training.xor import test_main

from .model import XorNetwork

if __name__ == "__main__":
    test_main(Path(__file__).parent.name,
              lambda path: lambda points: XorNetwork.load(path).forward(points)[1], ".npz")
