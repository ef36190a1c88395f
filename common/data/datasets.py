"""The datasets the series trains on, each described once, as data.

A description says what the images are (class names in label order, image shape) and
where they can come from: the Keras download, an offline copy beside the repository, or
whatever the environment variable or ``--data`` points at (a folder or archive of images
by class, an ``.npz``). Loading, caching, evaluation, prediction captions and the results
table all read it from here; an experiment's ``Settings.dataset`` names it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from common.basics.paths import SHARED_DATASETS


@dataclass(frozen=True)
class Dataset:
    """One image-classification dataset and the places its data can come from."""

    name: str  # how Settings and --help name it
    title: str  # how people write it
    class_names: tuple[str, ...]  # in label order
    image_shape: tuple[int, int, int]  # height, width, channels of one image
    keras_module: str  # keras.datasets.<this>.load_data() downloads it
    keras_cache: tuple[str, ...]  # files under ~/.keras/datasets once it was downloaded
    offline_copy: Path  # used by "auto" when there is no Keras cache
    data_env: str  # environment variable naming the default --data
    cache_env: str  # environment variable naming the decoded-image cache folder
    cache_name: str  # the cache folder's default name under ~/.cache
    # The background of its images, for photos given to common.predict: "dark" (MNIST's
    # white digits on black; Fashion-MNIST's garments on black) or "any".
    background: str = "any"
    # A subset of another dataset: its name, and the labels there of this one's classes
    # (in this one's label order). Loaded from the parent's sources, then filtered.
    subset_of: str | None = None
    parent_labels: tuple[int, ...] = ()

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def class_folders(self) -> tuple[str, ...]:
        """The class names as folder names in an image tree ("T-shirt/top" -> "T-shirt_top")."""
        return tuple(name.replace("/", "_") for name in self.class_names)


CIFAR10 = Dataset(
    name="cifar10",
    title="CIFAR-10",
    class_names=("airplane", "automobile", "bird", "cat", "deer",
                 "dog", "frog", "horse", "ship", "truck"),
    image_shape=(32, 32, 3),
    keras_module="cifar10",
    keras_cache=tuple(f"cifar-10-batches-py-target/cifar-10-batches-py/{name}"  # Keras 3
                      for name in ("data_batch_1", "test_batch")),
    offline_copy=SHARED_DATASETS / "cifar10-jpeg.tar.gz",
    data_env="CIFAR10_DATA",
    cache_env="CIFAR10_CACHE",
    cache_name="cifar10-steps",
)

FASHION_MNIST = Dataset(
    name="fashion_mnist",
    title="Fashion-MNIST",
    class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    image_shape=(28, 28, 1),
    keras_module="fashion_mnist",
    keras_cache=tuple(f"fashion-mnist/{name}" for name in (
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")),
    offline_copy=SHARED_DATASETS / "fashion-mnist",  # the four official IDX .gz files
    data_env="FASHION_MNIST_DATA",
    cache_env="FASHION_MNIST_CACHE",
    cache_name="fashion-mnist-steps",
    background="dark",
)

MNIST = Dataset(
    name="mnist",
    title="MNIST",
    class_names=tuple(str(digit) for digit in range(10)),
    image_shape=(28, 28, 1),
    keras_module="mnist",
    keras_cache=("mnist.npz",),
    offline_copy=SHARED_DATASETS / "mnist.npz",
    data_env="MNIST_DATA",
    cache_env="MNIST_CACHE",
    cache_name="mnist-steps",
    background="dark",
)



def subset(parent: Dataset, name: str, title: str, class_names: tuple[str, ...]) -> Dataset:
    """The images of ``parent`` whose class is one of ``class_names``, relabelled 0..n-1."""
    return replace(parent, name=name, title=title, class_names=class_names,
                   subset_of=parent.name,
                   parent_labels=tuple(parent.class_names.index(c) for c in class_names))


# Transfer learning's two halves of CIFAR-10: learn features on one, reuse them on the other
ANIMALS = subset(CIFAR10, "cifar10_animals", "CIFAR-10 animals",
                 ("bird", "cat", "deer", "dog", "frog", "horse"))
VEHICLES = subset(CIFAR10, "cifar10_vehicles", "CIFAR-10 vehicles",
                  ("airplane", "automobile", "ship", "truck"))

DATASETS: dict[str, Dataset] = {d.name: d for d in (CIFAR10, FASHION_MNIST, MNIST, ANIMALS,
                                                    VEHICLES)}


def get_dataset(name: str) -> Dataset:
    """The description called ``name``; ValueError naming the known ones otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}: use one of {sorted(DATASETS)}") from None
