"""Train the slides' Fashion-MNIST CNN with BatchNormalization (target 92%).

    python -m experiments.fmnist02_batchnorm.train [--epochs N --batch-size B --data PATH --seed S]
"""

from pathlib import Path

from common.settings import Settings
from common.training import train_main

from .model import build_model

SETTINGS = Settings(
    idea="+ BatchNormalization",
    target=0.92,
    dataset="fashion_mnist",  # fmnist01's recipe: only the network changes
    epochs=20,
    batch_size=64,  # the Keras tutorial's
    learning_rate=1e-3,  # Adam, as in the slides
    schedule="cosine",
    label_smoothing=0.1,
    val_fraction=0.1,
    keep="best",
)

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
