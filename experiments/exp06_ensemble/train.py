"""Train step 6: MEMBERS step-5 networks with different seeds, saved as one ensemble.

    python -m experiments.exp06_ensemble.train [--seed S --epochs N --data PATH]

Every member is an ordinary exp05 run (exp05's recipe and options; seeds S, S+1, ...),
recorded under results/exp05_resnet/; a member already trained is reused, so an
interrupted command resumes where it stopped. The ensemble is saved_models/exp06_ensemble.h5.
"""

from dataclasses import replace
from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.training.ensembles import train_ensemble_main
from experiments.exp05_resnet.model import build_model as build_member
from experiments.exp05_resnet.train import SETTINGS as MEMBER_SETTINGS

from .model import MEMBERS, build_model

SETTINGS = replace(MEMBER_SETTINGS, idea=f"ensemble of {MEMBERS} ResNet-9s, mirror-averaged",
                   target=0.94, target_source="the project's goal",
                   budget="2 CPU cores · 3 × 60 min")  # each member one exp05 run

if __name__ == "__main__":
    train_ensemble_main(Path(__file__).parent.name, "exp05_resnet", build_member, build_model,
                        SETTINGS, MEMBERS)
