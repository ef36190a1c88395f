"""The classic architectures (arch01-04): each block is what its paper drew, and all four
train one recipe, step 4's, for the same budget."""

from __future__ import annotations

from dataclasses import asdict

import keras
import pytest

from common.config.registry import find_experiment
from common.models.flops import forward_flops
from experiments.arch02_inception.model import STAGES

ARCHITECTURES = ("arch01_vgg", "arch02_inception", "arch03_bottleneck", "arch04_mobilenet")


@pytest.mark.parametrize("name, params", [
    ("arch01_vgg", 456_810), ("arch02_inception", 428_682),
    ("arch03_bottleneck", 319_850), ("arch04_mobilenet", 549_578)])
def test_each_network_has_its_parameters_and_classifies_cifar10(name: str, params: int) -> None:
    model = find_experiment(name).build_model()
    assert model.count_params() == params
    assert model.input_shape == (None, 32, 32, 3) and model.output_shape == (None, 10)


def test_an_inception_module_concatenates_four_branches() -> None:
    model = find_experiment("arch02_inception").build_model()
    concat = model.get_layer("stage1_inception1_concat")
    branches = [tensor.shape[-1] for tensor in concat.input]
    one, (_, three), (_, five), pool = STAGES[0][0]
    assert branches == [one, three, five, pool] and concat.output.shape[-1] == sum(branches)
    assert model.get_layer("stage1_inception1_3x3reduce_conv").kernel.shape[:2] == (1, 1)
    assert model.get_layer("stage1_inception1_5x5_conv").kernel.shape[:2] == (5, 5)
    assert [model.get_layer(f"stage{s}_inception1_concat").output.shape[1] for s in (1, 2, 3)
            ] == [32, 16, 8]


def test_a_bottleneck_narrows_then_widens_and_projects_only_when_shapes_change() -> None:
    model = find_experiment("arch03_bottleneck").build_model()
    kernels = [model.get_layer(f"stage2_block2_{part}_conv").kernel.shape
               for part in ("reduce", "3x3", "expand")]
    assert kernels == [(1, 1, 128, 32), (3, 3, 32, 32), (1, 1, 32, 128)]
    projections = [layer.name for layer in model.layers if "projection_conv" in layer.name]
    assert projections == [f"stage{s}_block1_projection_conv" for s in (1, 2, 3)]
    assert model.get_layer("stage2_block2_add").input[0].shape[-1] == 128  # identity


def test_a_separable_convolution_costs_a_fraction_of_a_full_one() -> None:
    model = find_experiment("arch04_mobilenet").build_model()
    depthwise = model.get_layer("block4_depthwise")
    assert depthwise.kernel.shape == (3, 3, 128, 1)  # one 3x3 per channel
    full = keras.Sequential([keras.Input((8, 8, 128)), keras.layers.Conv2D(256, 3)])
    pair = keras.Sequential([keras.Input((8, 8, 128)), keras.layers.DepthwiseConv2D(3),
                             keras.layers.Conv2D(256, 1)])
    assert forward_flops(pair) < forward_flops(full) / 7


def test_the_four_train_step_4s_recipe_for_one_budget() -> None:
    step4 = asdict(find_experiment("exp04_augmentation").settings)
    for name in ARCHITECTURES:
        settings = asdict(find_experiment(name).settings)
        differ = {k for k in settings if settings[k] != step4[k]}
        assert differ == {"idea", "epochs", "target_source", "budget"}, name
        assert settings["budget"] == "2 CPU cores · 15 min"
