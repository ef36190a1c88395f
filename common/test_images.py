"""Take a few images of a dataset's test set as PNG files: pictures to try
``common.predict`` on when you have none of your own.

    python -m common.test_images --count 2
    python -m common.predict --model saved_models/exp03_deeper_l2.h5 test_images/*.png
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from common.basics.errors import exit_on_user_error
from common.data.datasets import DATASETS, get_dataset
from common.data.loading import load


def write_test_images(dataset_name: str, count: int, out_dir: Path, seed: int = 0,
                      data: str | None = None) -> list[Path]:
    """Write ``count`` random test images of ``dataset_name`` as
    ``out_dir/<dataset>-<index>-<true class>.png``; return their paths."""
    from PIL import Image

    data_set = load(get_dataset(dataset_name), data)
    total = len(data_set.x_test)
    chosen = np.random.default_rng(seed).choice(total, size=min(count, total), replace=False)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in sorted(chosen):
        label = data_set.dataset.class_folders[data_set.y_test[i]]
        pixels = data_set.x_test[i]
        path = out_dir / f"{dataset_name}-{i}-{label}.png"
        Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(path)
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m common.test_images",
        description="Write a few random test-set images as PNG files named "
                    "<dataset>-<index>-<true class>.png, to try common.predict on.")
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="cifar10",
                        help="whose test set (default %(default)s)")
    parser.add_argument("--count", type=int, default=2, help="how many (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="which ones (default %(default)s)")
    parser.add_argument("--data", default=None,
                        help="as for training (default: the dataset's environment variable, "
                             "else auto)")
    parser.add_argument("--out-dir", type=Path, default=Path("test_images"),
                        help="where to write them (default %(default)s)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error(f"--count must be at least 1, got {args.count}")

    def run() -> None:
        for path in write_test_images(args.dataset, args.count, args.out_dir, args.seed,
                                      args.data):
            print(f"wrote {path}")
    exit_on_user_error(run)


if __name__ == "__main__":
    main()
