"""Train step 3: a deeper 32 -> 64 -> 128 network with L2 regularization (target 84%).

    python -m experiments.exp03_deeper_l2.train [--epochs N --batch-size B --data PATH --seed S]
"""

from pathlib import Path

from common.training import Settings, train_main

from .model import build_model

SETTINGS = Settings(
    idea="deeper (32-64-128) + L2",
    target=0.84,
    epochs=25,  # no augmentation: more epochs only overfit further
    batch_size=64,
    learning_rate=1e-3,
    schedule="cosine",
)

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
