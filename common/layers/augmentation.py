"""Augmentation layers that compile on every backend.

Keras 3.15's ``RandomTranslation`` moves images with ``affine_transform`` and declares
``supports_jit = False``. ``compile(jit_compile="auto")`` then turns compilation off for the
whole model: on JAX every training step of exp04 ran op by op, one compilation per
operation (``../shared/reference/gpu.md`` has the measurements).

``WholePixelTranslation`` is the same layer, drawing the same random shifts from the same
seeds, for the case the recipes use (``interpolation="nearest"``, ``fill_mode="reflect"``):
a nearest-pixel shift is a whole-pixel shift, so it moves rows and columns with an index
gather (``take_along_axis``) instead of a resampling, and that compiles (``jax.jit``, XLA).
It is the usual pad-with-reflection-and-crop, one image at a time.

``SquareCutout`` is the speed runs' cutout (a fixed-size square of one colour), which
``RandomErasing`` (random rectangles) is not.
"""

from __future__ import annotations

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="common")
class WholePixelTranslation(layers.RandomTranslation):
    """``RandomTranslation(..., fill_mode="reflect", interpolation="nearest")`` that
    compiles: the same random draw, applied as row and column gathers."""

    def __init__(self, height_factor, width_factor, fill_mode: str = "reflect",
                 interpolation: str = "nearest", **kwargs) -> None:
        if fill_mode != "reflect" or interpolation != "nearest":
            raise ValueError("WholePixelTranslation shifts by whole pixels with reflected "
                             "edges: it needs fill_mode='reflect' and interpolation="
                             f"'nearest' (got {fill_mode!r}, {interpolation!r}); use "
                             "keras.layers.RandomTranslation for the others")
        super().__init__(height_factor, width_factor, fill_mode=fill_mode,
                         interpolation=interpolation, **kwargs)
        self.supports_jit = True

    def transform_images(self, images, transformation, training=True):
        """The public hook of Keras' image augmentation layers: the draw's shifts as
        gathers (labels, boxes and masks keep RandomTranslation's own handling)."""
        inputs = self.backend.cast(images, self.compute_dtype)
        if not training or transformation is None:
            return inputs
        np_ = self.backend.numpy
        unbatched = len(self.backend.shape(inputs)) == 3
        if unbatched:
            inputs = np_.expand_dims(inputs, axis=0)
        rows, cols = (1, 2) if self.data_format == "channels_last" else (2, 3)
        # translations: (batch, 2) pixel offsets (dx, dy), what affine_transform would move by
        shifts = self.backend.cast(np_.round(transformation["translations"]), "int32")
        outputs = self._shift(inputs, shifts[:, 1], rows)
        outputs = self._shift(outputs, shifts[:, 0], cols)
        if unbatched:
            outputs = np_.squeeze(outputs, axis=0)
        return outputs

    def _shift(self, images, shift, axis: int):
        """images[b, ..., i, ...] = images[b, ..., reflect(i - shift[b]), ...] along axis."""
        np_ = self.backend.numpy
        size = self.backend.shape(images)[axis]
        source = np_.expand_dims(np_.arange(size, dtype="int32"), 0) - np_.expand_dims(shift, 1)
        # Keras' "reflect" mirrors about the edge pixel's outer side: -1 -> 0, size -> size-1
        source = np_.where(source < 0, -source - 1, source)
        source = np_.where(source >= size, 2 * size - source - 1, source)
        index_shape = [-1, 1, 1, 1]
        index_shape[axis] = size
        index = np_.broadcast_to(np_.reshape(source, index_shape), self.backend.shape(images))
        return np_.take_along_axis(images, index, axis=axis)


@keras.saving.register_keras_serializable(package="common")
class SquareCutout(layers.Layer):
    """Cutout as the speed runs do it (airbench96): in every training image, one
    ``size`` x ``size`` square placed uniformly inside the image is set to ``fill_value``
    (a colour: the data's mean is what a normalized 0 is). Off at inference. Keras'
    ``RandomErasing`` draws rectangles of random area and shape instead."""

    def __init__(self, size: int, fill_value: tuple[float, ...], seed: int | None = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.size, self.fill_value, self.seed = size, tuple(fill_value), seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        ops = keras.ops
        batch, height, width = ops.shape(images)[0], ops.shape(images)[1], ops.shape(images)[2]
        top = keras.random.randint((batch, 1, 1, 1), 0, height - self.size + 1,
                                   seed=self.generator)
        left = keras.random.randint((batch, 1, 1, 1), 0, width - self.size + 1,
                                    seed=self.generator)
        rows = ops.reshape(ops.arange(height), (1, -1, 1, 1))
        cols = ops.reshape(ops.arange(width), (1, 1, -1, 1))
        inside = ((rows >= top) & (rows < top + self.size)
                  & (cols >= left) & (cols < left + self.size))
        fill = ops.cast(ops.convert_to_tensor(self.fill_value), images.dtype)
        return ops.where(inside, fill, images)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size, "fill_value": list(self.fill_value),
                "seed": self.seed}
