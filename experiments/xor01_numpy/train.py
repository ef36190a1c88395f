"""Train XOR's 2-2-1 network by backpropagation written in NumPy (no Keras).

    python -m experiments.xor01_numpy.train [--steps N --lr RATE --seed S]

Full-batch gradient descent on the four points; saves saved_models/xor01_numpy.npz.
"""

from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

import numpy as np

from common.training.xor import LABELS, LOG_EVERY, POINTS, XorSettings, accuracy, train_main

from .model import XorNetwork, build_model

SETTINGS = XorSettings(idea="backpropagation in NumPy, 2-2-1 sigmoid", steps=5000,
                       learning_rate=1.0)


def fit(settings: XorSettings) -> tuple[XorNetwork, dict[str, list[float]]]:
    network = build_model(settings.seed)
    curve = {"step": [], "loss": [], "accuracy": []}
    for step in range(settings.steps + 1):
        if step % LOG_EVERY == 0 or step == settings.steps:
            _, p = network.forward(POINTS)
            y = LABELS.reshape(-1, 1)
            curve["step"].append(step)
            curve["loss"].append(float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))))
            curve["accuracy"].append(accuracy(p))
        if step < settings.steps:
            network.step(POINTS.astype(np.float64), LABELS, settings.learning_rate)
    return network, curve


if __name__ == "__main__":
    train_main(Path(__file__).parent.name, SETTINGS, fit,
               lambda network, path: network.save(path), ".npz")
