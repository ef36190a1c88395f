"""The decks' deep network in NumPy (the book's DeepConvNet; mnist02_vgg is it in Keras):
3x3 convolutions 16, 16, 32, 32, 64, 64 with padding 1 (the fourth 2), ReLU after each,
2x2 max-pool after each pair, Affine 50 -> ReLU -> Dropout 0.5 -> Affine 10 -> Dropout 0.5;
He initial weights."""

from common.scratch.models import Builder
from common.scratch.network import Network


def build_model(seed: int = 0, input_shape: tuple[int, int, int] = (28, 28, 1),
                classes: int = 10) -> Network:
    b = Builder(input_shape, seed)
    for filters, pads in ((16, (1, 1)), (32, (1, 2)), (64, (1, 1))):
        for pad in pads:
            b.conv(filters, 3, "he", pad=pad).activation("relu")
        b.pool(2)
    b.affine(50, "he").activation("relu").dropout(0.5)
    return b.affine(classes, "he").dropout(0.5).network()
