"""Train step 8: a network and recipe made for one GPU's two minutes (airbench96's).

    python -m experiments.exp08_wide_residual.train [--epochs N --data PATH]

Step 7's recipe, scaled up the way the public 96% run scales it: the wider residual
network (model.py), 31 epochs (step 7: 10), 4-pixel translations (2) and a 12x12 cutout in
every image, a linear warm-up then a linear decay to 0, lookahead from the first step,
airbench96's rate and decay in Keras' terms. On a CPU it says first how long it would take.
"""

import functools
from dataclasses import replace
from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

import keras

from common.layers.augmentation import SquareCutout, WholePixelTranslation
from common.layers.lookahead import Lookahead
from common.layers.optim import SGDFastShifts, WarmupLinearDecay
from common.training.train import train_main
from experiments.exp07_speedrun.model import flip_and_moves_averaged, initialize
from experiments.exp07_speedrun.train import SETTINGS as STEP7
from experiments.exp07_speedrun.train import in_keras_terms

from .model import build_model

# airbench96's published hyperparameters (KellerJordan/cifar10-airbench, 06/2024 update),
# for its summed loss and PyTorch's SGD
AIRBENCH96 = {"batch_size": 1024, "lr": 9.0, "momentum": 0.85, "weight_decay": 0.012,
              "bias_scaler": 64.0, "epochs": 31, "translate": 4, "cutout": 12}
LEARNING_RATE, WEIGHT_DECAY = in_keras_terms(AIRBENCH96)
MEAN_COLOUR = (0.4914, 0.4822, 0.4465)  # CIFAR-10's: what airbench's normalized 0 is


def augmentation() -> list[keras.layers.Layer]:
    shift = (AIRBENCH96["translate"] + 0.5) / 32  # each of -4..4 pixels a ninth of the time
    return [WholePixelTranslation(shift, shift),
            SquareCutout(AIRBENCH96["cutout"], fill_value=MEAN_COLOUR)]


def warmup_linear(learning_rate: float, total_steps: int) -> WarmupLinearDecay:
    # from 20% up to the full rate over the first 10% of steps, then down to 0
    return WarmupLinearDecay(learning_rate, total_steps, warmup=0.1, start=0.2)


SETTINGS = replace(
    STEP7,
    idea="made for a GPU: wider, residual, 31 epochs (airbench96)",
    target=0.93,
    target_source="the project's goal",
    budget="one GPU · 2 min",
    epochs=AIRBENCH96["epochs"],
    learning_rate=LEARNING_RATE,
    optimizer=functools.partial(SGDFastShifts, momentum=AIRBENCH96["momentum"], nesterov=True,
                                shift_lr_scale=AIRBENCH96["bias_scaler"]),
    schedule=warmup_linear,
    weight_decay=WEIGHT_DECAY,
    augmentation=augmentation,
    lookahead=Lookahead(every=5, decay=0.95, power=3.0, start_epoch=0),
    initialize=initialize,
    inference=flip_and_moves_averaged,
)

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
