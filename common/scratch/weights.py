"""Initial weights: a fixed standard deviation, Xavier (sigmoid, tanh) or He (ReLU)."""

from __future__ import annotations

import numpy as np

INITS = ("xavier", "he")


def weight_std(init: float | str, fan_in: int) -> float:
    """The standard deviation of a layer's initial weights: ``init`` itself when a number
    (the decks' 0.01, 1), else sqrt(1/fan_in) (Xavier) or sqrt(2/fan_in) (He); ``fan_in``
    is the inputs one unit sees (C*FH*FW for a convolution)."""
    if isinstance(init, str):
        if init not in INITS:
            raise ValueError(f"initial weights: a number, 'xavier' or 'he', not {init!r}")
        return float(np.sqrt((1.0 if init == "xavier" else 2.0) / fan_in))
    return float(init)


def normal(rng: np.random.Generator, shape: tuple[int, ...], std: float) -> np.ndarray:
    return (rng.standard_normal(shape, dtype=np.float32) * np.float32(std))
