"""Each experiment's network matches its recipe (recipes.md)."""

from __future__ import annotations

import keras
import numpy as np

from experiments.exp01_baseline.model import build_model as build_exp01
from experiments.exp02_batchnorm.model import build_model as build_exp02
from experiments.exp03_deeper_l2.model import build_model as build_exp03
from experiments.exp04_augmentation.model import build_model as build_exp04
from experiments.exp04_augmentation.train import augmentation as exp04_augmentation

# recipes.md, step 1: (layer, output shape without batch, parameters)
EXP01_TABLE = [
    ("input", (32, 32, 3), 0), ("conv1", (30, 30, 32), 896), ("dropout_1", (30, 30, 32), 0),
    ("conv2", (30, 30, 32), 9248), ("pool1", (15, 15, 32), 0), ("conv3", (15, 15, 64), 18496),
    ("pool2", (7, 7, 64), 0), ("flatten", (3136,), 0), ("dropout_2", (3136,), 0),
    ("poolhidden", (512,), 1606144), ("dropout_3", (512,), 0), ("output", (10,), 5130),
]


def table(model: keras.Model) -> list[tuple[str, tuple, int]]:
    return [(layer.name, tuple(layer.output.shape[1:]), layer.count_params())
            for layer in model.layers]


def test_exp01_is_the_slides_baseline() -> None:
    model = build_exp01()
    assert table(model) == EXP01_TABLE
    assert model.count_params() == 1_639_914


def test_exp02_adds_batchnorm_before_each_convolution() -> None:
    names = [layer.name for layer in build_exp02().layers]
    for bn, conv in (("bn_input", "conv1"), ("bn_conv2", "conv2"), ("bn_conv3", "conv3")):
        assert names.index(conv) == names.index(bn) + 1
    assert names.index("bn_conv2") == names.index("dropout_1") + 1
    assert names.index("bn_conv3") == names.index("pool1") + 1
    # everything else is exp01's: same layers once the BN layers are removed
    without_bn = [row for row in table(build_exp02()) if not row[0].startswith("bn_")]
    assert without_bn == EXP01_TABLE
    # BN adds 4 parameters per channel: 3 + 32 + 32 channels
    assert build_exp02().count_params() == 1_639_914 + 4 * (3 + 32 + 32)


def test_exp03_is_deeper_with_l2_on_every_kernel() -> None:
    model = build_exp03()
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [32, 32, 64, 64, 128, 128, 128]
    weighted = [layer for layer in model.layers if hasattr(layer, "kernel")]
    assert all(layer.kernel_regularizer is not None for layer in weighted)
    assert model.output.shape[1:] == (10,)
    assert model.count_params() == 308_842 + 128 * 128 * 9 + 4 * 128  # + block3_conv3, bn3


def test_exp04_trains_exp03s_network_without_dropout() -> None:
    def weighted(model: keras.Model) -> list:
        return [row for row in table(model) if row[2]]

    assert weighted(build_exp04()) == weighted(build_exp03())  # same layers, same weights
    rates = {layer.name: layer.rate for layer in build_exp04().layers
             if isinstance(layer, keras.layers.Dropout)}
    assert rates == {}  # augmentation, random erasing included, regularizes instead
    assert build_exp04().name == "exp04_augmentation"


def test_exp04_augmentation_keeps_images_in_range_and_is_off_at_inference() -> None:
    images = keras.random.uniform((64, 32, 32, 3), seed=1)
    augment = keras.Sequential(exp04_augmentation())
    trained_on = keras.ops.convert_to_numpy(augment(images, training=True))
    assert trained_on.shape == (64, 32, 32, 3)
    assert trained_on.min() >= 0.0 and trained_on.max() <= 1.0  # erasing fills in [0, 1]
    assert not np.allclose(trained_on, keras.ops.convert_to_numpy(images))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(augment(images, training=False)),
                                  keras.ops.convert_to_numpy(images))


# ------------------------------------------------------------------ the slides' other networks

def test_fashion_mnist_cnn_is_the_slides_412778_parameter_network() -> None:
    from experiments.fmnist01_cnn.model import build_model

    model = build_model()
    assert model.count_params() == 412_778  # 320 + 8,224 + 401,664 + 2,570
    assert [(n, s) for n, s, _ in table(model)][-4:] == [
        ("flatten", (1568,)), ("dense", (256,)), ("dropout_3", (256,)), ("output", (10,))]


def test_vgg_style_mnist_network_ends_in_64x4x4_features() -> None:
    from experiments.mnist02_vgg.model import build_model

    model = build_model()
    assert model.count_params() == 123_552
    assert model.get_layer("flatten").output.shape[1:] == (1024,)  # the slides' 64*4*4
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [16, 16, 32, 32, 64, 64]
    assert all(isinstance(c.kernel_initializer, keras.initializers.HeNormal) for c in convs)


def test_lenet5_and_the_tutorial_net() -> None:
    from experiments.exp00_tutorial.model import build_model as build_tutorial
    from experiments.mnist01_lenet5.model import build_model as build_lenet5

    lenet = build_lenet5()
    assert lenet.count_params() == 61_706 and lenet.get_layer("flatten").output.shape[1:] == (400,)
    tutorial = build_tutorial()
    assert tutorial.count_params() == 62_006  # 456 + 2,416 + 48,120 + 10,164 + 850
    assert tutorial.get_layer("flatten").output.shape[1:] == (400,)  # 16 * 5 * 5


def test_the_tutorial_net_starts_as_pytorch_starts_it() -> None:
    from experiments.exp00_tutorial.model import build_model

    model = build_model()
    normalize = model.get_layer("normalize")  # the tutorial's Normalize((0.5,)*3, (0.5,)*3)
    assert np.allclose(normalize(np.array([[0.0, 0.5, 1.0]])), [[-1.0, 0.0, 1.0]])
    for name, fan_in in [("conv1", 75), ("conv2", 150), ("fc1", 400), ("fc2", 120),
                         ("output", 84)]:
        bound = fan_in ** -0.5  # weights and biases uniform in ±1/√fan_in
        kernel, bias = model.get_layer(name).get_weights()
        assert 0.8 * bound < np.abs(kernel).max() <= bound, name  # Glorot's is wider
        assert 0 < np.abs(bias).max() <= bound, name  # Keras starts biases at zero


def test_a_network_takes_the_shape_and_classes_it_is_given() -> None:
    from experiments.mnist02_vgg.model import build_model

    model = build_model((28, 28, 3), 5)
    assert model.input_shape == (None, 28, 28, 3) and model.output_shape == (None, 5)


def test_fashion_mnist_step_2_adds_batchnormalization_to_step_1() -> None:
    from experiments.fmnist02_batchnorm.model import build_model

    model = build_model()
    norms = [layer for layer in model.layers
             if isinstance(layer, keras.layers.BatchNormalization)]
    assert [n.name for n in norms] == ["conv1_bn", "conv2_bn"]
    assert model.count_params() == 412_778 - 64 - 32 + 4 * (64 + 32)  # no conv biases


def test_every_committed_model_loads_in_plain_keras_as_its_experiments_network() -> None:
    from common.basics.paths import MODELS_DIR
    from common.config.registry import experiment_for, find_experiment
    from experiments.xor02_keras.model import build_model as build_xor02

    saved = sorted(MODELS_DIR.glob("*.h5"))
    assert saved, "saved_models/ holds the trained networks"
    for path in saved:
        model = keras.models.load_model(path)  # no project code, no custom objects
        if path.stem == "xor02_keras":  # the XOR lesson's: no image recipe (common.training.xor)
            expected = build_xor02()
        elif path.stem.startswith("scratch"):  # a NumPy network, saved as the same in Keras
            import importlib

            from common.scratch.keras_io import to_keras
            step = importlib.import_module(f"experiments.{path.stem.split('-')[0]}.train")
            named = {None: step.SETTINGS, **{v.variant: v for v in step.VARIANTS}}
            variant = path.stem.split("-")[1] if "-" in path.stem else None
            build = importlib.import_module(f"experiments.{path.stem.split('-')[0]}.model")
            expected = to_keras(build.build_model(**named[variant].network_options), "x")
        else:
            assert experiment_for(path.stem), path
            experiment = find_experiment(experiment_for(path.stem))  # as the recipe saves it
            expected = experiment.settings.saved_model(experiment.build_model())
        assert model.count_params() == expected.count_params(), path
        assert [type(layer) for layer in model.layers] == [type(layer) for layer in
                                                            expected.layers], path
        assert model.loss is not None  # compiled: the slides' test script can evaluate()
