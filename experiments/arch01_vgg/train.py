"""Train the VGG-style network (step 4's) for the architectures' equal budget.

    python -m experiments.arch01_vgg.train [--epochs N --data PATH]

Four architectures, one recipe: step 4's augmentation, optimizer and schedule, and the
same CPU time each (BUDGET). Only the epochs differ: as many as the budget holds at each
network's own training speed on 2 cores (the folder READMEs give the measurements).
"""

from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.config.settings import Settings
from common.training.train import train_main
from experiments.exp04_augmentation.train import SETTINGS as STEP4

from .model import build_model

BUDGET = "2 CPU cores · 15 min"  # each network's training time; four fit one session


def equal_budget(idea: str, epochs: int) -> Settings:
    """Step 4's recipe for ``epochs`` epochs: what BUDGET holds for one network."""
    return Settings(idea=idea, target=STEP4.target, target_source="step 4 (its full recipe)",
                    dataset="cifar10", epochs=epochs, batch_size=STEP4.batch_size,
                    learning_rate=STEP4.learning_rate, schedule=STEP4.schedule,
                    label_smoothing=STEP4.label_smoothing, val_fraction=STEP4.val_fraction,
                    keep=STEP4.keep, augmentation=STEP4.augmentation, budget=BUDGET)


# what BUDGET holds: 55 s an epoch on 2 cores in bf16 (a 6,400-image probe, README)
EPOCHS = 16
SETTINGS = equal_budget("VGG: 3x3 stacks (step 4's network)", epochs=EPOCHS)

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
