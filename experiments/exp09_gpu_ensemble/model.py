"""Step 9 - the ensemble that reaches 94%: step 8's networks averaged, as step 6 averages
step 5's, each also shown the mirror image and both moved by a pixel (step 8's own
test-time views). One stock-Keras model (``common.models.ensemble``).
"""

from collections.abc import Sequence

import keras

from common.models.ensemble import averaged_ensemble
from experiments.exp08_wide_residual.model import build_model as build_member

MEMBERS = 3  # independently trained step-8 networks (seeds --seed, --seed + 1, ...)


def build_model(members: Sequence[keras.Model] | None = None) -> keras.Model:
    """The ensemble of ``members``; fresh step-8 networks when none are given."""
    if members is None:
        members = [build_member(name=f"member{i}") for i in range(1, MEMBERS + 1)]
    return averaged_ensemble(members, name="exp09_gpu_ensemble", moved_too=True)
