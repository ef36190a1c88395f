"""Train step 4's network on the four vehicle classes from scratch, with few labels.

    python -m experiments.transfer02_scratch.train [--labels-per-class 25|100|400]

The baseline transfer learning is measured against. The label budgets: 25, 100 and 400
images a class (the same images for every method and seed: the first of each class in
the fixed split), the rest of the vehicles unused but for a 2% validation curve (the last
epoch is kept, so no labels beyond the budget choose anything). Test: the 4,000 vehicle
test images. Step 4's recipe otherwise, 60 epochs over the labelled images.
"""

from dataclasses import replace
from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.training.train import train_main
from experiments.exp04_augmentation.train import SETTINGS as STEP4

from .model import build_model

LABEL_BUDGETS = (25, 100, 400)  # images a class; transfer02-04 run each (README)

SETTINGS = replace(STEP4, idea="from scratch", target=None, dataset="cifar10_vehicles",
                   labels_per_class=100, epochs=60, batch_size=32, val_fraction=0.02,
                   budget=None)  # epochs over the few labels, not a time budget

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
