"""Numerical gradients by central differences: the slow, sure way to check backward."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """d f / d x by (f(x + h) - f(x - h)) / 2h, one element at a time; ``f`` reads ``x``
    (changed in place and restored), so it may be a network's loss and ``x`` its weight."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        kept = x[i]
        x[i] = kept + h
        up = f()
        x[i] = kept - h
        down = f()
        x[i] = kept
        grad[i] = (up - down) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(|a|, |b|) over all elements (0 when both are 0)."""
    scale = max(float(np.abs(a).max()), float(np.abs(b).max()), 1e-12)
    return float(np.abs(a - b).max()) / scale
