"""Evaluate saved_models/scratch01_softmax.h5 on the 10,000 MNIST test images:
the forward pass in NumPy, on the weights read from the .h5.

    python -m experiments.scratch01_softmax.test [--recipe R] [--model FILE] [--data PATH]
"""

from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/test.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.scratch.training import evaluate_main

from .train import SETTINGS, VARIANTS

if __name__ == "__main__":
    evaluate_main(Path(__file__).parent.name, SETTINGS, VARIANTS)
