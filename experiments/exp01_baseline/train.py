"""Train step 1: the slides' baseline CNN (target 74%).

    python -m experiments.exp01_baseline.train [--recipe slides] [--seed S ...]
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
    idea="baseline CNN",
    target=0.74,
    dataset="cifar10",
    epochs=20,
    batch_size=128,  # with bf16, more images/s than batch 32 on these CPUs (results/bench/)
    learning_rate=1e-3,
    schedule="cosine",  # the slides' constant rate overfits after ~8 epochs
    label_smoothing=0.1,
)

# The slides' own recipe for this step (--recipe slides): what the step's README compares
SLIDES = slides_recipe(SETTINGS)
VARIANTS = (SLIDES,)

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS, variants=VARIANTS)
