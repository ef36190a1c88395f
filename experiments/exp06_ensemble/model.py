"""Step 6 - ensemble: the slides' "AVG" of several step-5 networks, each also shown the
mirror image of the picture.

Independently trained networks make partly different mistakes, so the mean of their
predicted probabilities is right more often than each of them; averaging each image with
its mirror image (which every network saw in training) does the same within one network.
The whole ensemble is one stock-Keras model (``common.models.ensemble``).
"""

from collections.abc import Sequence

import keras

from common.models.ensemble import averaged_ensemble
from experiments.exp05_resnet.model import build_model as build_member

MEMBERS = 3  # independently trained step-5 networks (seeds --seed, --seed + 1, ...)


def build_model(members: Sequence[keras.Model] | None = None) -> keras.Model:
    """The ensemble of ``members``; fresh step-5 networks when none are given."""
    if members is None:
        members = [build_member(name=f"member{i}") for i in range(1, MEMBERS + 1)]
    return averaged_ensemble(members, name="exp06_ensemble")
