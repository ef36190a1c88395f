"""Train the MobileNet-style network for the architectures' equal budget (arch01_vgg's recipe).

    python -m experiments.arch04_mobilenet.train [--epochs N --data PATH]
"""

from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.training.train import train_main
from experiments.arch01_vgg.train import equal_budget

from .model import build_model

# what BUDGET holds: 110 s an epoch on 2 cores in bf16 (a 6,400-image probe, README)
EPOCHS = 8
SETTINGS = equal_budget("depthwise-separable (MobileNet)", epochs=EPOCHS)

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
