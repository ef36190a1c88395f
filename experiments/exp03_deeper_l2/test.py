"""Evaluate saved_models/exp03_deeper_l2.h5 on the 10,000 test images (forward pass only).

    python -m experiments.exp03_deeper_l2.test [--recipe slides] [--data PATH] [--model FILE]
"""

from pathlib import Path

from common.evaluation import evaluate_main

from .model import build_model
from .train import SETTINGS, VARIANTS

if __name__ == "__main__":
    evaluate_main(Path(__file__).parent.name, build_model, SETTINGS, variants=VARIANTS)
