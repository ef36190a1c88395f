"""The training input pipeline: batches reshuffled every epoch in an order keyed on
(seed, epoch), so a resumed run sees exactly the batches the uninterrupted one would.

``split`` makes them, and the validation set, from a dataset and a recipe. Optionally
they flip the images themselves, alternately (airbench's "alternating flip"): each image
starts on a random side, fixed for the run, and every other epoch shows every image
mirrored. Over any two epochs a network sees both sides of every image, which random
flips (``RandomFlip``) leave to chance; a recipe uses it in place of ``RandomFlip``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import keras
import numpy as np

from common.data.loading import Splits, labelled_per_class, one_hot, scale, train_val_split

if TYPE_CHECKING:  # for annotations only: TensorFlow is imported where it is used
    import tensorflow as tf

    from common.config.run_options import RunOptions
    from common.config.settings import Settings


FLIP_KEY = 2**32 - 1  # the random key of the images' first sides (epochs count from 0)


class EpochShuffledBatches(keras.utils.PyDataset):
    """Training batches (pixels scaled to [0, 1], one-hot labels), reshuffled every epoch.

    The order is drawn from (seed, epoch), not from a running random state, so a resumed
    run sees exactly the batches the uninterrupted run would have seen.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int,
                 num_classes: int, multiple_of: int = 1, shard: tuple[int, int] = (0, 1),
                 alternate_flips: bool = False) -> None:
        super().__init__()
        self.x, self.y, self.batch_size, self.seed = x, y, batch_size, seed
        # each image's side in even epochs (odd ones show the other): drawn from a key no
        # epoch's order uses; None: the pipeline flips nothing
        self.first_side = (np.random.default_rng([seed, FLIP_KEY]).random(len(x)) < 0.5
                           if alternate_flips else None)
        self.num_classes = num_classes
        # (i, n): this is process i of n training together; it feeds the i-th n-th of
        # every batch, and the processes' shares make up the batch of one process
        self.shard = shard
        # a batch split over N devices on JAX must hold a multiple of N images: the last,
        # short batch of an epoch leaves out its remainder (at most N - 1 images)
        self.multiple_of = multiple_of
        self._order_variable = None  # the order as tf_dataset() reads it
        self._flipped_variable = None  # and which images it mirrors
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        self.order = np.random.default_rng([self.seed, epoch]).permutation(len(self.x))
        self.flipped = (np.zeros(len(self.x), bool) if self.first_side is None
                        else self.first_side ^ bool(epoch % 2))
        if self._order_variable is not None:
            self._order_variable.assign(self.order)
            self._flipped_variable.assign(self.flipped)

    def tf_dataset(self) -> tf.data.Dataset:
        """The same batches, in the same order, as an in-graph tf.data pipeline.

        TensorFlow backend only. Keras feeds a PyDataset (and arrays) through an autotuned
        tf.data pipeline, and on these CPUs some epochs ran at about 60% speed
        (results/bench/sweep-20261124-014546.json: 2 and 5 of 8 epochs; none here). The
        images stay uint8 in memory, each batch is gathered, scaled and one-hot encoded in
        the graph, and autotuning is off.
        """
        import tensorflow as tf

        if self._order_variable is None:
            self._order_variable = tf.Variable(self.order, trainable=False, name="order")
            self._flipped_variable = tf.Variable(self.flipped, trainable=False, name="flipped")
        order, flipped = self._order_variable, self._flipped_variable
        size, classes = self.batch_size, self.num_classes
        images = tf.constant(self.x)
        labels = tf.constant(self.y.reshape(-1).astype(np.int32))

        def batch(index: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            picked = order[index * size:(index + 1) * size]
            x = tf.gather(images, picked)
            if self.first_side is not None:
                x = tf.where(tf.gather(flipped, picked)[:, None, None, None],
                             tf.reverse(x, axis=[2]), x)
            return (tf.cast(x, tf.float32) / 255.0,
                    tf.one_hot(tf.gather(labels, picked), classes))

        options = tf.data.Options()
        options.autotune.enabled = False
        return (tf.data.Dataset.range(len(self)).map(batch).prefetch(2)
                .with_options(options))

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        batch = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        batch = batch[:len(batch) - len(batch) % self.multiple_of]
        index, count = self.shard
        share = len(batch) // count  # multiple_of is a multiple of count
        batch = batch[index * share:(index + 1) * share]
        x = self.x[batch]
        if self.first_side is not None:
            x = np.where(self.flipped[batch][:, None, None, None], x[:, :, ::-1], x)
        return scale(x), one_hot(self.y[batch], self.num_classes)


def stacked_batches(batches: EpochShuffledBatches, first: int, count: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Full batches ``first`` .. ``first + count - 1`` as (count, batch, ...) arrays, in one
    gather: ``np.stack([batches[i] ...])``, for one process on one device."""
    size = batches.batch_size
    picked = batches.order[first * size:(first + count) * size]
    x = batches.x[picked]
    if batches.first_side is not None:
        x = np.where(batches.flipped[picked][:, None, None, None], x[:, :, ::-1], x)
    x, y = scale(x), one_hot(batches.y[picked], batches.num_classes)
    return x.reshape(count, size, *x.shape[1:]), y.reshape(count, size, -1)


def fit_inputs(batches: EpochShuffledBatches) -> EpochShuffledBatches | tf.data.Dataset:
    """What ``fit`` trains on: the in-graph pipeline on TensorFlow, else the PyDataset."""
    return batches.tf_dataset() if keras.backend.backend() == "tensorflow" else batches


def recipe_batches(x: np.ndarray, y: np.ndarray, settings: Settings, seed: int,
                   num_classes: int, multiple_of: int = 1, shard: tuple[int, int] = (0, 1)
                   ) -> EpochShuffledBatches:
    """The batches ``settings`` trains on (its batch size, its alternating flips), for
    training and every benchmark alike."""
    return EpochShuffledBatches(x, y, settings.batch_size, seed, num_classes, multiple_of,
                                shard, settings.alternate_flips)


def split(data: Splits, settings: Settings, run: RunOptions, multiple_of: int = 1,
          shard: tuple[int, int] = (0, 1)
          ) -> tuple[EpochShuffledBatches, tuple[np.ndarray, np.ndarray]]:
    """Training batches and the (scaled, one-hot) validation set, class-balanced; every
    batch of either a multiple of ``multiple_of`` images (devices on JAX). Process i of
    n training together (``shard``) gets the i-th n-th of each batch and of validation."""
    classes = data.dataset.num_classes
    train_idx, val_idx = train_val_split(data.y_train, settings.val_fraction)
    if settings.labels_per_class:
        train_idx = labelled_per_class(train_idx, data.y_train, settings.labels_per_class)
    if run.limit:
        train_idx, val_idx = train_idx[:run.limit], val_idx[:max(run.limit // 9, 10)]
    val_idx = val_idx[:len(val_idx) - len(val_idx) % multiple_of]
    index, count = shard
    val_idx = np.array_split(val_idx, count)[index]  # equal shares: multiple_of % count == 0
    batches = recipe_batches(data.x_train[train_idx], data.y_train[train_idx], settings,
                             run.seed, classes, multiple_of, shard)
    return batches, (scale(data.x_train[val_idx]), one_hot(data.y_train[val_idx], classes))
