"""Predict the four XOR points with saved_models/xor01_numpy.npz (forward pass only).

    python -m experiments.xor01_numpy.test [--model FILE]
"""

from pathlib import Path

from common.xor import test_main

from .model import XorNetwork

if __name__ == "__main__":
    test_main(Path(__file__).parent.name,
              lambda path: lambda points: XorNetwork.load(path).forward(points)[1], ".npz")
