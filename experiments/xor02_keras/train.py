"""Train XOR's 2-2-1 network in Keras: xor01's starting weights, steps and learning rate.

    python -m experiments.xor02_keras.train [--steps N --lr RATE --seed S]

Plain SGD on the binary cross-entropy, every step on all four points; saves
saved_models/xor02_keras.h5 (a stock Keras model).
"""

from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

import keras
import numpy as np

from common.records.export import save_model
from common.training.xor import (
    LABELS,
    LOG_EVERY,
    POINTS,
    XorSettings,
    accuracy,
    initial_weights,
    train_main,
)
from experiments.xor01_numpy.train import SETTINGS as XOR01

from .model import build_model

SETTINGS = XorSettings(idea="the same network in Keras", steps=XOR01.steps,
                       learning_rate=XOR01.learning_rate)


def fit(settings: XorSettings) -> tuple[keras.Model, dict[str, list[float]]]:
    network = build_model()
    network.set_weights(initial_weights(settings.seed))
    network.compile(optimizer=keras.optimizers.SGD(settings.learning_rate),
                    loss="binary_crossentropy", steps_per_execution=LOG_EVERY)
    curve = {"step": [], "loss": [], "accuracy": []}

    def log(step: int) -> None:
        p = keras.ops.convert_to_numpy(network(POINTS))
        y = LABELS.reshape(-1, 1)
        curve["step"].append(step)
        curve["loss"].append(float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))))
        curve["accuracy"].append(accuracy(p))

    log(0)
    repeats = np.tile(POINTS, (LOG_EVERY, 1)), np.tile(LABELS, LOG_EVERY)[:, None]
    whole, rest = divmod(settings.steps, LOG_EVERY)  # an epoch: LOG_EVERY full-batch steps
    for epoch in range(whole + bool(rest)):
        steps = LOG_EVERY if epoch < whole else rest
        network.fit(repeats[0][:4 * steps], repeats[1][:4 * steps], batch_size=4,
                    shuffle=False, verbose=0)
        log(epoch * LOG_EVERY + steps)
    return network, curve


if __name__ == "__main__":
    train_main(Path(__file__).parent.name, SETTINGS, fit, save_model, ".h5")
