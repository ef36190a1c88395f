"""Train step 2: the baseline plus BatchNormalization (target 79%).

    python -m experiments.exp02_batchnorm.train [--epochs N --batch-size B --data PATH --seed S]
"""

from pathlib import Path

from common.training import Settings, train_main

from .model import build_model

SETTINGS = Settings(
    idea="+ BatchNormalization",
    target=0.79,
    epochs=20,
    batch_size=128,  # as exp01, so the step changes one thing
    learning_rate=2e-3,  # BN tolerates a higher rate; its noise also regularizes
    schedule="cosine",
    label_smoothing=0.1,
)

if __name__ == "__main__":
    train_main(Path(__file__).parent.name, build_model, SETTINGS)
