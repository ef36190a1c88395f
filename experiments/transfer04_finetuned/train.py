"""Fine-tune transfer01's last block with a new classifier, with few vehicle labels.

    python -m experiments.transfer04_finetuned.train [--labels-per-class 25|100|400]

Needs saved_models/transfer01_animals.h5. Blocks 1 and 2 stay fixed (edges, textures:
what animals and vehicles share); block 3 and the new classifier learn, at a third of
the learning rate, so the first steps of a random classifier do not wreck the features.
"""

from dataclasses import replace
from functools import partial
from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.training.train import train_main
from common.training.transfer import reuse_features
from experiments.transfer02_scratch.train import SETTINGS as SCRATCH

from .model import build_model

SETTINGS = replace(SCRATCH, idea="fine-tuned: animal features, last block trained",
                   learning_rate=SCRATCH.learning_rate / 3,
                   initialize=partial(reuse_features, source="transfer01_animals",
                                      train_from="block3_conv1"))

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
