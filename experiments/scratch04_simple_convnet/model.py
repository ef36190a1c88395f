"""The book's SimpleConvNet in NumPy: conv 30@5x5 (stride 1, no padding) -> ReLU -> 2x2
max-pool -> Affine 100 -> ReLU -> Affine 10, initial weights drawn with std 0.01."""

from common.scratch.models import Builder
from common.scratch.network import Network


def build_model(seed: int = 0, input_shape: tuple[int, int, int] = (28, 28, 1),
                classes: int = 10) -> Network:
    b = Builder(input_shape, seed)
    b.conv(30, 5, 0.01).activation("relu").pool(2)
    b.affine(100, 0.01).activation("relu")
    return b.affine(classes, 0.01).network()
