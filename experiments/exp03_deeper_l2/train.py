"""Train step 3: a deeper 32 -> 64 -> 128 network with L2 regularization (target 84%).

    python -m experiments.exp03_deeper_l2.train [--recipe slides] [--seed S ...]
"""

from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.config.settings import Settings, slides_recipe
from common.training.train import train_main

from .model import build_model

SETTINGS = Settings(
    idea="deeper (32-64-128) + L2",
    target=0.84,
    dataset="cifar10",
    epochs=30,  # 25 ended with validation still creeping up (README)
    batch_size=64,  # fastest for this network in bf16 (results/bench/)
    learning_rate=1e-3,
    schedule="cosine",
    label_smoothing=0.1,
)

# The slides' own recipe for this step (--recipe slides): what the step's README compares
SLIDES = slides_recipe(SETTINGS)
VARIANTS = (SLIDES,)

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS, variants=VARIANTS)
