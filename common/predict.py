"""Classify your own images with a trained experiment.

    python -m common.predict --model saved_models/exp04_augmentation.h5 cat.jpg dog.png
    python -m common.predict --model saved_models/exp01_baseline.h5 photos/*.jpg \
        --out outputs/grid.png

Any size and mode (JPEG, PNG, grayscale, RGBA, palette) is read, converted to the model's
dataset's image shape (CIFAR-10: RGB, 32x32; "image2pixel" in the slides) and captioned
with its class names. The dataset is the one of the experiment the file is named after
(saved_models/<experiment>.h5), else the one whose image shape and class count the model
has, else ``--dataset``. A file that cannot be read is reported on one line; the others
are still classified, and the exit status is 1.

Datasets of light objects on black (MNIST's digits, Fashion-MNIST's garments) need a photo
of a dark object on white paper inverted: a grayscale image whose border is brighter on
average than mid-grey is taken to have a light background and is inverted, and the output
says so.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from common.basics.errors import UserError, exit_on_user_error
from common.data.datasets import DATASETS, Dataset
from common.data.loading import scale


def image_to_pixels(path: Path, shape: tuple[int, int, int]) -> np.ndarray:
    """Read any image file as uint8 ``shape`` (height, width, 1 or 3 channels); raise
    UserError if it is not an image."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)  # phone photos store rotation in EXIF
            if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
                background = Image.new("RGB", img.size, "white")  # transparent -> white
                background.paste(img.convert("RGBA"), mask=img.convert("RGBA").getchannel("A"))
                img = background
            height, width, channels = shape
            img = img.convert("RGB" if channels == 3 else "L")
            img = img.resize((width, height), Image.Resampling.BOX)
            return np.asarray(img, dtype=np.uint8).reshape(shape)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
        raise UserError(f"{path}: not a readable image ({err})") from None


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m common.predict",
        description="Print the top classes of each image according to a saved experiment.")
    parser.add_argument("images", nargs="+", type=Path, help="image files (any size/mode)")
    parser.add_argument("--model", type=Path, required=True,
                        help="a saved experiment, e.g. saved_models/exp04_augmentation.h5")
    parser.add_argument("--top", type=int, default=3, metavar="K",
                        help="how many classes to print per image (default 3)")
    parser.add_argument("--dataset", choices=sorted(DATASETS),
                        help="the dataset the model was trained on (default: found from the "
                             "experiment name or the model's shapes)")
    parser.add_argument("--out", type=Path, help="also write a captioned grid to this PNG "
                        "(e.g. outputs/grid.png: outputs/ is ignored by git)")
    args = parser.parse_args(argv)
    exit_on_user_error(lambda: sys.exit(predict(args)))


def predict(args: argparse.Namespace) -> int:
    """Classify ``args.images``; return the exit status (1 if any file failed)."""
    from common.config.registry import experiment_for
    from common.records.model_io import load_h5

    experiment = experiment_for(args.model.stem)
    model = load_h5(args.model, f"python -m experiments.{experiment}.train" if experiment
                    else "an experiment's train command (python -m experiments.<name>.train)")
    dataset = dataset_of(model, args.model, args.dataset)
    classes = dataset.class_names
    if not 1 <= args.top <= len(classes):
        raise UserError(f"--top must be between 1 and {len(classes)}, got {args.top}")
    pixels, names, failed = [], [], 0
    for path in args.images:
        try:
            image = image_to_pixels(path, dataset.image_shape)
            if dataset.background == "dark" and has_light_background(image):
                image = 255 - image
                print(f"{path}: light background, inverted to match {dataset.title}")
            pixels.append(image)
            names.append(path)
        except UserError as err:
            print(f"error: {err}", file=sys.stderr)
            failed += 1
    if not pixels:
        raise UserError("none of the images could be read")
    probs = model.predict(scale(np.stack(pixels)), verbose=0)
    captions, colors = [], []
    for path, p in zip(names, probs, strict=True):
        top = np.argsort(p)[::-1][:args.top]
        print(f"{path}: " + ", ".join(f"{classes[k]} {p[k]:.1%}" for k in top))
        caption, color = grid_caption(classes[top[0]], float(p[top[0]]),
                                      class_in_name(path, classes), path.name)
        captions.append(caption)
        colors.append(color)
    if args.out:
        from common.basics import plots

        plots.image_grid(np.stack(pixels), captions, args.out, colors=colors,
                         title=f"{args.model.stem}: predicted (true class, where the file "
                               "name gives it)", columns=min(8, len(pixels)))
        print(f"wrote {args.out}")
    return 1 if failed else 0


def class_in_name(path: Path, classes: Sequence[str]) -> str | None:
    """The one class a file name names as a word ("cifar10-6369-frog.png": frog), else None."""
    words = set(re.split(r"[^a-z0-9]+", path.stem.lower()))
    named = [c for c in classes if re.sub(r"[^a-z0-9]+", "", c.lower()) in words
             or set(re.split(r"[^a-z0-9]+", c.lower())) <= words]
    return named[0] if len(named) == 1 else None


def grid_caption(predicted: str, probability: float, true: str | None,
                 file_name: str) -> tuple[str, str]:
    """A grid caption as the slides' grids have it, "predicted (true)" in green or red, and
    the probability; the whole file name, wrapped, where the name gives no class."""
    if true is None:
        wrapped = "\n".join(textwrap.wrap(file_name, 18, break_on_hyphens=False)[:3])
        return f"{predicted} {probability:.0%}\n{wrapped}", "black"
    color = "tab:green" if predicted == true else "tab:red"
    return f"{predicted} ({true})\n{probability:.0%}", color


def has_light_background(pixels: np.ndarray) -> bool:
    """Whether the one-pixel border of a uint8 image is brighter than mid-grey on average."""
    border = np.concatenate([pixels[0].ravel(), pixels[-1].ravel(),
                             pixels[:, 0].ravel(), pixels[:, -1].ravel()])
    return float(border.mean()) > 127.5


def dataset_of(model: keras.Model, path: Path, name: str | None) -> Dataset:
    """The dataset ``model`` classifies: named, or its experiment's, or the one whose image
    shape and class count it has; UserError if none fits."""
    from common.config.registry import experiment_names, find_experiment

    if name is None and path.stem in experiment_names():
        name = find_experiment(path.stem).settings.dataset
    shape, classes = tuple(model.input_shape[1:]), model.output_shape[-1]
    fits = [d for d in DATASETS.values() if (d.image_shape, d.num_classes) == (shape, classes)]
    if name is not None:
        dataset = DATASETS[name]
        if dataset not in fits:
            raise UserError(f"{path} takes {shape} images into {classes} classes; "
                            f"{dataset.title} has {dataset.image_shape} into "
                            f"{dataset.num_classes}")
        return dataset
    if len(fits) != 1:
        raise UserError(f"{path} takes {shape} images into {classes} classes: say which "
                        f"dataset it was trained on with --dataset "
                        f"({', '.join(sorted(DATASETS))})")
    return fits[0]


if __name__ == "__main__":
    main()
