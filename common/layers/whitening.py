"""A first convolution that whitens image patches, fitted to the training images.

The speed-run recipes start with a fixed 2x2 convolution whose filters are the principal
directions of the 2x2 patches, each divided by the square root of its variance (and the
same filters negated, so a ReLU-like activation after it keeps both signs). Its outputs are
uncorrelated with unit variance, which the next layers learn from much faster than from
raw, strongly correlated pixels. The layer is a stock ``Conv2D``; only its values are fitted.
"""

from __future__ import annotations

import numpy as np


def patches(images: np.ndarray, size: int) -> np.ndarray:
    """Every ``size`` x ``size`` patch of ``images`` (n, h, w, c) flattened in the order of
    a Conv2D kernel (row, column, channel): (n * (h - size + 1) * (w - size + 1), size²c)."""
    windows = np.lib.stride_tricks.sliding_window_view(images, (size, size), axis=(1, 2))
    # (n, h', w', c, size, size) -> (n, h', w', size, size, c)
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, size * size * images.shape[-1])


def whitening_weights(images: np.ndarray, size: int = 2, eps: float = 5e-4
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Kernel (size, size, c, 2 size²c) and bias of a valid Conv2D that maps each patch of
    ``images`` to its whitened coordinates and their negatives. ``eps`` (relative to the mean
    variance) keeps the faintest directions from being amplified without bound."""
    flat = patches(images.astype(np.float64), size)
    mean = flat.mean(axis=0)
    covariance = np.cov(flat, rowvar=False)
    variances, directions = np.linalg.eigh(covariance)  # ascending
    variances, directions = variances[::-1], directions[:, ::-1]  # the strongest first
    scaled = directions / np.sqrt(variances + eps * variances.mean())
    kernel = np.concatenate([scaled, -scaled], axis=1)
    bias = -mean @ kernel  # centred: a patch equal to the mean maps to 0
    channels = images.shape[-1]
    return (kernel.reshape(size, size, channels, -1).astype(np.float32),
            bias.astype(np.float32))
