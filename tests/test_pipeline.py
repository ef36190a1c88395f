"""The input pipeline's alternating flips (common.data.pipeline.EpochShuffledBatches)."""

from __future__ import annotations

import numpy as np

from common.config.run_options import RunOptions
from common.config.settings import Settings
from common.data.datasets import CIFAR10
from common.data.loading import Splits
from common.data.pipeline import EpochShuffledBatches, split


def pipeline(alternate_flips: bool, seed: int = 3) -> EpochShuffledBatches:
    # image i is filled with its index in its left column and 0 elsewhere: its side shows
    x = np.zeros((40, 4, 4, 1), np.uint8)
    x[:, :, 0, 0] = np.arange(1, 41)[:, None]
    return EpochShuffledBatches(x, np.arange(40) % 10, batch_size=8, seed=seed,
                                num_classes=10, alternate_flips=alternate_flips)


def sides(batches: EpochShuffledBatches, epoch: int) -> dict[int, bool]:
    """image number -> whether it came mirrored, over one epoch."""
    batches.set_epoch(epoch)
    seen = {}
    for index in range(len(batches)):
        images, _ = batches[index]
        for image in images:
            mirrored = image[0, 0, 0] == 0
            seen[int(round(float(image[0, -1 if mirrored else 0, 0]) * 255))] = mirrored
    assert sorted(seen) == list(range(1, 41))  # every image once
    return seen


def test_every_image_shows_its_other_side_in_the_next_epoch() -> None:
    batches = pipeline(alternate_flips=True)
    epochs = [sides(batches, epoch) for epoch in range(4)]
    for before, after in zip(epochs[:-1], epochs[1:], strict=True):
        assert all(before[i] != after[i] for i in before)
    assert 10 <= sum(epochs[0].values()) <= 30  # each image starts on a random side


def test_the_sides_are_the_seeds_not_the_runs() -> None:
    assert sides(pipeline(True), 5) == sides(pipeline(True), 5)  # a resumed run: the same
    assert sides(pipeline(True, seed=3), 0) != sides(pipeline(True, seed=4), 0)


def test_without_alternate_flips_nothing_is_mirrored() -> None:
    batches = pipeline(alternate_flips=False)
    assert not any(sides(batches, 0).values()) and not any(sides(batches, 1).values())


def test_a_recipe_asks_for_them_and_its_record_says_so(arrays: dict) -> None:
    settings = Settings(idea="x", target=0.5, dataset="cifar10", epochs=1, batch_size=8,
                        alternate_flips=True)
    data = Splits(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"],
                  "test arrays", CIFAR10)
    batches, _ = split(data, settings, RunOptions())
    assert batches.first_side is not None
    assert settings.describe()["alternate_flips"] is True
    plain = Settings(idea="x", target=0.5, dataset="cifar10", epochs=1, batch_size=8)
    assert "alternate_flips" not in plain.describe()  # old recipes keep their identity
    assert split(data, plain, RunOptions())[0].first_side is None
