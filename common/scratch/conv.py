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
from common.scratch.parallel import chunks, on_each, split
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


def im2col(x: np.ndarray, fh: int, fw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """(N, H, W, C) -> (N*OH*OW, FH*FW*C): one row per output position (the one copy).

    One channel (the images themselves) is built the other way round, one filter offset
    at a time, and handed over transposed: its rows are 9 or 25 numbers long, and copying
    window by window moves 4 bytes at a time."""
    if x.shape[-1] != 1:
        return windows(x, fh, fw, stride, pad).reshape(-1, fh * fw * x.shape[-1])
    if pad:
        x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    n, h, w, _ = x.shape
    oh, ow = output_size(h, fh, stride, 0), output_size(w, fw, stride, 0)
    col = np.empty((fh, fw, n, oh, ow), dtype=x.dtype)
    for i in range(fh):
        for j in range(fw):
            col[i, j] = x[:, i:i + stride * oh:stride, j:j + stride * ow:stride, 0]
    return col.reshape(fh * fw, -1).T


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
    ``input_gradient=False`` on a network's first layer skips dL/dx, which nothing uses.

    The batch goes through in chunks of images (``chunk_bytes`` of im2col's matrix each),
    the chunks shared among the cores: a chunk's matrix is still in the cache when the
    product reads it, where the whole batch's (45 MB for 16 channels at 28x28) is not, and
    the product waited on memory. Backward builds each chunk's matrix
    again from the padded input rather than keep it: a copy from cache beats a read from
    memory.
    """

    chunk_bytes = 2 << 20  # 0.5 to 4 MB timed on a 2-core EPYC (1 MB L2 a core): 2-4 best

    def __init__(self, channels: int, filters: int, size: int, init: float | str,
                 rng: np.random.Generator, stride: int = 1, pad: int = 0) -> None:
        super().__init__()
        fan_in = channels * size * size
        self.params = {"W": normal(rng, (size, size, channels, filters),
                                   weight_std(init, fan_in)),
                       "b": np.zeros(filters, dtype=np.float32)}
        self.stride, self.pad, self.input_gradient = stride, pad, True

    def _chunks(self, count: int, rows_each: int) -> list[slice]:
        """Chunks of the batch whose im2col matrices are about ``chunk_bytes`` each."""
        fh, fw, c, _ = self.params["W"].shape
        matrix_bytes = rows_each * fh * fw * c * self.params["W"].itemsize
        return chunks(count, matrix_bytes, self.chunk_bytes)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        fh, fw, c, filters = self.params["W"].shape
        n, h, w, _ = x.shape
        self.shape = x.shape
        self.out_shape = oh, ow = (output_size(h, fh, self.stride, self.pad),
                                   output_size(w, fw, self.stride, self.pad))
        self.padded = np.pad(x, ((0, 0), (self.pad,) * 2, (self.pad,) * 2, (0, 0))) \
            if self.pad else x
        kernel = self.params["W"].reshape(-1, filters)
        out = np.empty((n, oh * ow, filters), dtype=np.result_type(x, kernel))

        def convolve(part: slice) -> None:
            rows = out[part].reshape(-1, filters)
            np.matmul(im2col(self.padded[part], fh, fw, self.stride), kernel, out=rows)
            rows += self.params["b"]

        on_each(convolve, self._chunks(n, oh * ow))
        return out.reshape(n, oh, ow, filters)

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        W = self.params["W"]
        fh, fw, c, filters = W.shape
        n, (oh, ow) = self.shape[0], self.out_shape
        dout = dout.reshape(n, oh, ow, filters)
        # dL/dx is dL/dy convolved with the kernel turned 180 degrees, in and out channels
        # swapped: one im2col and product, no col2im (twice as fast), at stride 1
        turned = self.input_gradient and self.stride == 1 and self.pad < min(fh, fw)
        if turned:
            q = (fh - 1 - self.pad, fw - 1 - self.pad)
            dpadded = np.pad(dout, ((0, 0), (q[0],) * 2, (q[1],) * 2, (0, 0)))
            kernel = W[::-1, ::-1].transpose(0, 1, 3, 2).reshape(-1, c)
        dx = np.empty(self.shape, dtype=np.result_type(dout, W)) if self.input_gradient else None

        def gradients(part: slice) -> np.ndarray:
            rows = dout[part].reshape(-1, filters)
            dW = rows.T @ im2col(self.padded[part], fh, fw, self.stride)
            if turned:
                np.matmul(im2col(dpadded[part], fh, fw), kernel,
                          out=dx[part].reshape(-1, c))
            elif dx is not None:
                dx[part] = col2im(rows @ W.reshape(-1, filters).T, dx[part].shape,
                                  fh, fw, self.stride, self.pad)
            return dW

        dW = sum(on_each(gradients, self._chunks(n, oh * ow)))
        rows = dout.reshape(-1, filters)  # db: a sum over rows, 20 times faster as a product
        self.grads = {"W": dW.T.reshape(W.shape), "b": np.ones(len(rows), rows.dtype) @ rows}
        return dx


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
            self.x = x
            self.out = np.empty((x.shape[0], x.shape[1] // 2, x.shape[2] // 2, x.shape[3]),
                                dtype=x.dtype)
            on_each(self._largest_corner, split(x))
            return self.out
        view = windows(x, k, k, self.stride)  # (N, OH, OW, k, k, C)
        n, oh, ow, _, _, c = view.shape
        col = view.reshape(n, oh, ow, k * k, c)
        self.shape, self.argmax = x.shape, col.argmax(axis=3)[:, :, :, None]
        return np.take_along_axis(col, self.argmax, axis=3)[:, :, :, 0]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.quarters:
            dx = np.empty(self.x.shape, dtype=dout.dtype)  # the four corners fill it
            on_each(lambda part: self._to_largest_corner(dout[part], dx[part], part),
                    split(dx))
            return dx
        k = self.size
        n, oh, ow, c = dout.shape
        col = np.zeros((n, oh, ow, k * k, c), dtype=dout.dtype)
        np.put_along_axis(col, self.argmax, dout[:, :, :, None], axis=3)
        return col2im(col, self.shape, k, k, self.stride)

    def _largest_corner(self, part: slice) -> None:
        x = self.x[part]
        np.maximum(np.maximum(x[:, 0::2, 0::2], x[:, 0::2, 1::2]),
                   np.maximum(x[:, 1::2, 0::2], x[:, 1::2, 1::2]), out=self.out[part])

    def _to_largest_corner(self, dout: np.ndarray, dx: np.ndarray, part: slice) -> None:
        x, out = self.x[part], self.out[part]
        taken = np.zeros(dout.shape, dtype=bool)  # a tie goes to the first corner
        for i, j in ((0, 0), (0, 1), (1, 0), (1, 1)):
            first = (x[:, i::2, j::2] == out) & ~taken
            np.multiply(dout, first, out=dx[:, i::2, j::2])
            taken |= first
