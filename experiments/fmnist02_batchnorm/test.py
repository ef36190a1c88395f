"""Evaluate saved_models/fmnist02_batchnorm.h5 on its test images (forward pass only).

    python -m experiments.fmnist02_batchnorm.test [--data PATH] [--model FILE]
"""

from pathlib import Path

from common.evaluation import evaluate_main

from .model import build_model
from .train import SETTINGS

if __name__ == "__main__":
    evaluate_main(Path(__file__).parent.name, build_model, SETTINGS)
