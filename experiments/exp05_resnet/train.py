"""Train step 5: a residual network (ResNet-9, quarter width) on step 4's augmented images.

    python -m experiments.exp05_resnet.train [--epochs N --batch-size B --data PATH]

The issue's budget is 60 minutes of training on a 2-core CPU, so the recipe is a short
one, Page's for ResNet-9: SGD with Nesterov momentum at a high rate on large batches,
warmed up over the first fifth of the steps and decayed to 0 (README).
"""

from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: python experiments/<step>/train.py
    import sys

    sys.path[0] = str(Path(__file__).resolve().parents[2])
    __package__ = f"experiments.{Path(__file__).parent.name}"

from keras.optimizers.schedules import CosineDecay

from common.config.settings import Settings
from common.training.train import train_main
from experiments.exp04_augmentation.train import augmentation

from .model import build_model


def warmup_cosine(learning_rate: float, total_steps: int) -> CosineDecay:
    # up from 0 over the first fifth of the steps (Page's 5 of 24 epochs), then cosine to 0
    warmup = total_steps // 5
    return CosineDecay(0.0, decay_steps=max(total_steps - warmup, 1),
                       warmup_target=learning_rate, warmup_steps=warmup)


SETTINGS = Settings(
    idea="residual network (ResNet-9, quarter width)",
    target=0.92,
    target_source="Keras' ResNet-20 example",
    dataset="cifar10",
    epochs=35,  # what 60 minutes of a 2-core CPU hold in bf16 (README)
    batch_size=512,
    optimizer="sgd",  # Nesterov momentum 0.9
    learning_rate=0.4,  # Page's, for a mean loss at batch 512
    schedule=warmup_cosine,
    label_smoothing=0.1,
    val_fraction=0.02,
    keep="last",
    augmentation=augmentation,  # step 4's, unchanged: one idea per step
    budget="2 CPU cores · 60 min",
)

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
