"""Convolution and max-pooling through im2col: every window of the input becomes one row of
a matrix, so a convolution is one matrix product and pooling one max over each row.

The windows are read through strides (``as_strided``: a view, no Python loop over
positions) and copied once into the matrix; ``col2im`` adds the rows' gradients back with
one loop over the filter's offsets (9 for 3x3), never over positions.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from common.scratch.layers import Layer
from common.scratch.weights import normal, weight_std


def output_size(size: int, window: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - window) // stride + 1


def windows(x: np.ndarray, fh: int, fw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """A view (N, OH, OW, FH, FW, C) of every FH x FW window of ``x`` (N, H, W, C)."""
    if pad:
        x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    n, h, w, c = x.shape
    oh, ow = output_size(h, fh, stride, 0), output_size(w, fw, stride, 0)
    s = x.strides
    return as_strided(x, (n, oh, ow, fh, fw, c),
                      (s[0], s[1] * stride, s[2] * stride, s[1], s[2], s[3]), writeable=False)


def im2col(x: np.ndarray, fh: int, fw: int, stride: int = 1, pad: int = 0,
           out: np.ndarray | None = None) -> np.ndarray:
    """(N, H, W, C) -> (N*OH*OW, FH*FW*C): one row per output position, written into
    ``out`` where given (a buffer kept between steps: a fresh 45 MB array costs page faults)."""
    view = windows(x, fh, fw, stride, pad)
    if out is None or out.size != view.size or out.dtype != view.dtype:
        return view.reshape(-1, fh * fw * x.shape[-1])  # the one copy
    np.copyto(out.reshape(view.shape), view)
    return out.reshape(-1, fh * fw * x.shape[-1])


def col2im(col: np.ndarray, shape: tuple[int, int, int, int], fh: int, fw: int,
           stride: int = 1, pad: int = 0) -> np.ndarray:
    """The adjoint of ``im2col``: each row's values added back where its window came from."""
    n, h, w, c = shape
    oh, ow = output_size(h, fh, stride, pad), output_size(w, fw, stride, pad)
    col = col.reshape(n, oh, ow, fh, fw, c)
    x = np.zeros((n, h + 2 * pad, w + 2 * pad, c), dtype=col.dtype)
    for i in range(fh):
        for j in range(fw):
            x[:, i:i + stride * oh:stride, j:j + stride * ow:stride] += col[:, :, :, i, j]
    return x[:, pad:pad + h, pad:pad + w]


class Convolution(Layer):
    """``filters`` kernels of FH x FW over all input channels: W (FH, FW, C, filters), b.
    ``input_gradient=False`` on a network's first layer skips dL/dx, which nothing uses."""

    def __init__(self, channels: int, filters: int, size: int, init: float | str,
                 rng: np.random.Generator, stride: int = 1, pad: int = 0) -> None:
        super().__init__()
        fan_in = channels * size * size
        self.params = {"W": normal(rng, (size, size, channels, filters),
                                   weight_std(init, fan_in)),
                       "b": np.zeros(filters, dtype=np.float32)}
        self.stride, self.pad, self.input_gradient = stride, pad, True
        self.reused: dict[str, np.ndarray] = {}  # im2col's matrices, kept between steps

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        fh, fw, c, filters = self.params["W"].shape
        self.shape = x.shape
        self.col = im2col(x, fh, fw, self.stride, self.pad, self.reused.get("forward"))
        if train:
            self.reused["forward"] = self.col
        out = self.col @ self.params["W"].reshape(-1, filters)
        out += self.params["b"]
        n, h, w, _ = x.shape
        self.out_shape = (output_size(h, fh, self.stride, self.pad),
                          output_size(w, fw, self.stride, self.pad))
        return out.reshape(n, *self.out_shape, filters)

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        W = self.params["W"]
        fh, fw, _, filters = W.shape
        dout = dout.reshape(-1, filters)
        self.grads = {"W": (self.col.T @ dout).reshape(W.shape), "b": dout.sum(axis=0)}
        if not self.input_gradient:
            return None
        if self.stride == 1 and self.pad < min(fh, fw):
            # dL/dx is dL/dy convolved with the kernel turned 180 degrees, in and out
            # channels swapped: one more im2col and product, no col2im (twice as fast)
            n, (oh, ow) = self.shape[0], self.out_shape
            turned = W[::-1, ::-1].transpose(0, 1, 3, 2).reshape(-1, W.shape[2])
            col = im2col(dout.reshape(n, oh, ow, filters), fh, fw, 1, fh - 1 - self.pad,
                         self.reused.get("backward"))
            self.reused["backward"] = col
            return (col @ turned).reshape(self.shape)
        dcol = dout @ W.reshape(-1, filters).T
        return col2im(dcol, self.shape, fh, fw, self.stride, self.pad)


class MaxPooling(Layer):
    """The maximum of each ``size`` x ``size`` window (channel by channel); backward sends
    each window's gradient to the position that held its maximum."""

    def __init__(self, size: int = 2, stride: int | None = None) -> None:
        super().__init__()
        self.size, self.stride = size, stride or size

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        k = self.size
        self.quarters = k == 2 and self.stride == 2 and x.shape[1] % 2 == x.shape[2] % 2 == 0
        if self.quarters:  # the common case, by the four corners of each window: no copy
            corners = [x[:, i::2, j::2] for i in (0, 1) for j in (0, 1)]
            out = np.maximum(np.maximum(corners[0], corners[1]),
                             np.maximum(corners[2], corners[3]))
            self.shape, self.corners, self.out = x.shape, corners, out
            return out
        view = windows(x, k, k, self.stride)  # (N, OH, OW, k, k, C)
        n, oh, ow, _, _, c = view.shape
        col = view.reshape(n, oh, ow, k * k, c)
        self.shape, self.argmax = x.shape, col.argmax(axis=3)[:, :, :, None]
        return np.take_along_axis(col, self.argmax, axis=3)[:, :, :, 0]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.quarters:
            dx = np.empty(self.shape, dtype=dout.dtype)  # the four corners fill it
            taken = np.zeros(dout.shape, dtype=bool)  # a tie goes to the first corner
            for (i, j), corner in zip(((0, 0), (0, 1), (1, 0), (1, 1)), self.corners,
                                      strict=True):
                first = (corner == self.out) & ~taken
                dx[:, i::2, j::2] = dout * first
                taken |= first
            return dx
        k = self.size
        n, oh, ow, c = dout.shape
        col = np.zeros((n, oh, ow, k * k, c), dtype=dout.dtype)
        np.put_along_axis(col, self.argmax, dout[:, :, :, None], axis=3)
        return col2im(col, self.shape, k, k, self.stride)
