"""Classify your own images with a trained experiment.

    python -m common.predict --model saved_models/exp04_augmentation.h5 cat.jpg dog.png
    python -m common.predict --model saved_models/exp01_baseline.h5 photos/*.jpg --out grid.png

Any size and mode (JPEG, PNG, grayscale, RGBA, palette) is read, made RGB and resized to
32x32 ("image2pixel" in the slides). A file that cannot be read is reported on one line;
the others are still classified, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from common.data import CLASS_NAMES, scale
from common.errors import UserError, exit_on_user_error


def image_to_pixels(path: Path) -> np.ndarray:
    """Read any image file as uint8 (32, 32, 3); raise UserError if it is not an image."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)  # phone photos store rotation in EXIF
            if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
                background = Image.new("RGB", img.size, "white")  # transparent -> white
                background.paste(img.convert("RGBA"), mask=img.convert("RGBA").getchannel("A"))
                img = background
            img = img.convert("RGB").resize((32, 32), Image.Resampling.BOX)
            return np.asarray(img, dtype=np.uint8)
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
    parser.add_argument("--top", type=int, default=3, choices=range(1, 11), metavar="K",
                        help="how many classes to print per image (default 3)")
    parser.add_argument("--out", type=Path, help="also write a captioned grid to this PNG")
    args = parser.parse_args(argv)
    exit_on_user_error(lambda: sys.exit(predict(args)))


def predict(args: argparse.Namespace) -> int:
    """Classify ``args.images``; return the exit status (1 if any file failed)."""
    from common.model_io import load_h5

    pixels, names, failed = [], [], 0
    for path in args.images:  # read first: a bad file costs nothing
        try:
            pixels.append(image_to_pixels(path))
            names.append(path)
        except UserError as err:
            print(f"error: {err}", file=sys.stderr)
            failed += 1
    if not pixels:
        raise UserError("none of the images could be read")
    model = load_h5(args.model, f"python -m experiments.{args.model.stem}.train")
    if model.output.shape[-1] != len(CLASS_NAMES):
        raise UserError(f"{args.model} does not output the 10 CIFAR-10 classes")
    probs = model.predict(scale(np.stack(pixels)), verbose=0)
    captions = []
    for path, p in zip(names, probs, strict=True):
        top = np.argsort(p)[::-1][:args.top]
        print(f"{path}: " + ", ".join(f"{CLASS_NAMES[k]} {p[k]:.1%}" for k in top))
        captions.append(f"{CLASS_NAMES[top[0]]} {p[top[0]]:.0%}\n{path.name[:18]}")
    if args.out:
        from common import plots

        plots.image_grid(np.stack(pixels), captions, args.out,
                         title=f"{args.model.stem}: top prediction",
                         columns=min(8, len(pixels)))
        print(f"wrote {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    main()
