"""Train step 5: a residual network (ResNet-20) on step 4's augmented images.

    python -m experiments.exp05_resnet.train [--epochs N --batch-size B --data PATH]

The issue's budget is 60 minutes of training on a 2-core CPU, so the recipe is a short
one: SGD with Nesterov momentum at a high rate, warmed up and decayed to 0 (README).
"""

from pathlib import Path

from common.settings import Settings
from common.training import train_main
from experiments.exp04_augmentation.train import augmentation

from .model import build_model

SETTINGS = Settings(
    idea="residual network (ResNet-20)",
    target=0.92,
    dataset="cifar10",
    epochs=56,  # 60 minutes at ~59 s an epoch in bf16 on an AVX-512 BF16 2-core CPU (README)
    batch_size=128,
    optimizer="sgd",  # Nesterov momentum 0.9
    learning_rate=0.1,
    schedule="warmup_cosine",
    label_smoothing=0.1,
    val_fraction=0.02,
    keep="last",
    augmentation=augmentation,  # step 4's, unchanged: one idea per step
)

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
