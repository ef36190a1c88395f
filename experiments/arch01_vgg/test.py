"""Evaluate saved_models/arch01_vgg.h5 on the 10,000 test images (forward pass only).

    python -m experiments.arch01_vgg.test [--data PATH] [--model FILE]
"""

from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/test.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.evaluation.evaluate import evaluate_main

from .model import build_model
from .train import SETTINGS

if __name__ == "__main__":
    evaluate_main(Path(__file__).parent.name, build_model, SETTINGS)
