"""Train step 9: MEMBERS step-8 networks with different seeds, saved as one ensemble.

    python -m experiments.exp09_gpu_ensemble.train [--seed S --epochs N --data PATH]

Every member is an ordinary exp08 run (exp08's recipe and options; seeds S, S+1, ...),
recorded under results/exp08_wide_residual/; a member already trained (exp08's own run
with that seed, too) is reused, so an interrupted command resumes where it stopped.
"""

from dataclasses import replace
from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from common.training.ensembles import train_ensemble_main
from experiments.exp08_wide_residual.model import build_model as build_member
from experiments.exp08_wide_residual.train import SETTINGS as MEMBER_SETTINGS

from .model import MEMBERS, build_model

SETTINGS = replace(MEMBER_SETTINGS, idea=f"ensemble of {MEMBERS} step-8 networks, "
                                         "flip- and shift-averaged",
                   target=0.94, target_source="the project's goal", budget="one GPU · 5 min",
                   inference=None)  # the ensemble holds its views itself (model.py)

if __name__ == "__main__":
    train_ensemble_main(Path(__file__).parent.name, "exp08_wide_residual", build_member,
                        build_model, SETTINGS, MEMBERS)
