"""Steps 8 and 9, the recipes made for a GPU: exp08 is airbench96's network and loss as
its PyTorch reference computes them, and both steps train, save and reload on a CPU.

The reference is airbench96's network (KellerJordan/cifar10-airbench, airbench96.py)
written here in PyTorch from its published description: whitening conv -> GELU, three
groups of conv -> max-pool -> BatchNorm -> GELU -> [conv -> BatchNorm -> GELU -> conv ->
BatchNorm] + shortcut -> GELU, a 3x3 max-pool, a bias-free linear layer, logits / 9.
Narrow widths keep it fast; float64 makes the comparison exact up to rounding.
"""

from __future__ import annotations

import importlib.util

import keras
import numpy as np
import pytest

from experiments.exp08_wide_residual.model import BN_EPSILON, build_model
from experiments.exp08_wide_residual.train import SETTINGS
from tests.conftest import saved_h5

WIDTHS = (8, 16, 16)
pytestmark = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                reason="the reference needs torch (requirements-backends.txt)")


def reference(widths: tuple[int, ...]):
    from torch import nn

    def norm(c: int) -> nn.BatchNorm2d:
        layer = nn.BatchNorm2d(c, eps=BN_EPSILON)
        layer.weight.requires_grad = False  # airbench96: shifts only
        return layer

    class Group(nn.Module):
        def __init__(self, c_in: int, c_out: int) -> None:
            super().__init__()
            self.conv1, self.norm1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), norm(c_out)
            self.conv2, self.norm2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), norm(c_out)
            self.conv3, self.norm3 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), norm(c_out)

        def forward(self, x):
            gelu = nn.functional.gelu
            x0 = gelu(self.norm1(nn.functional.max_pool2d(self.conv1(x), 2)))
            x = self.norm3(self.conv3(gelu(self.norm2(self.conv2(x0)))))
            return gelu(x + x0)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.whiten = nn.Conv2d(3, 24, 2, bias=True)
            ins = (24, *widths[:-1])
            self.groups = nn.Sequential(*(Group(i, o) for i, o in zip(ins, widths, strict=True)))
            self.linear = nn.Linear(widths[-1], 10, bias=False)

        def forward(self, x):
            x = self.groups(nn.functional.gelu(self.whiten(x)))
            x = nn.functional.max_pool2d(x, 3).flatten(1)
            return self.linear(x) / 9

    return Net().double()


def copied(model: keras.Model):
    """The reference holding ``model``'s weights and statistics (NHWC -> NCHW)."""
    import torch

    net = reference(WIDTHS)
    conv = lambda k: torch.tensor(np.transpose(k, (3, 2, 0, 1)))  # noqa: E731
    with torch.no_grad():
        whiten = model.get_layer("whiten")
        net.whiten.weight.copy_(conv(whiten.kernel.numpy()))
        net.whiten.bias.copy_(torch.tensor(whiten.bias.numpy()))
        for g, group in enumerate(net.groups, start=1):
            for i in (1, 2, 3):
                getattr(group, f"conv{i}").weight.copy_(
                    conv(model.get_layer(f"group{g}_conv{i}").kernel.numpy()))
                bn, theirs = model.get_layer(f"group{g}_bn{i}"), getattr(group, f"norm{i}")
                theirs.bias.copy_(torch.tensor(bn.beta.numpy()))
                theirs.running_mean.copy_(torch.tensor(bn.moving_mean.numpy()))
                theirs.running_var.copy_(torch.tensor(bn.moving_variance.numpy()))
        net.linear.weight.copy_(torch.tensor(model.get_layer("logits").kernel.numpy().T))
    return net


@pytest.fixture
def float64():
    # the global policy, once anything has read it, no longer follows floatx: set both
    policy, floatx = keras.config.dtype_policy(), keras.config.floatx()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    yield
    keras.config.set_dtype_policy(policy)
    keras.config.set_floatx(floatx)


def network(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = build_model(widths=WIDTHS)
    rng = np.random.default_rng(seed)
    for layer in model.layers:  # statistics and shifts away from their starting values
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.beta.assign(rng.normal(0, 0.1, layer.beta.shape))
            layer.moving_mean.assign(rng.normal(0, 0.1, layer.moving_mean.shape))
            layer.moving_variance.assign(rng.uniform(0.5, 2, layer.moving_variance.shape))
    model.get_layer("whiten").bias.assign(rng.normal(0, 0.1, 24))
    return model


def test_with_the_same_weights_it_predicts_what_the_reference_predicts(float64) -> None:
    import torch

    model = network()
    images = np.random.default_rng(1).random((6, 32, 32, 3))
    ours = keras.ops.convert_to_numpy(model(images, training=False))
    net = copied(model).eval()
    theirs = torch.softmax(net(torch.tensor(images.transpose(0, 3, 1, 2))), 1).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="GradientTape")
def test_on_one_batch_the_loss_and_every_gradient_are_the_references(float64) -> None:
    import tensorflow as tf
    import torch

    model = network()
    rng = np.random.default_rng(2)
    images, labels = rng.random((8, 32, 32, 3)), rng.integers(0, 10, 8)
    loss_fn = keras.losses.CategoricalCrossentropy(label_smoothing=SETTINGS.label_smoothing)
    net = copied(model).train()  # batch statistics, as in training
    logits = net(torch.tensor(images.transpose(0, 3, 1, 2)))
    their_loss = torch.nn.functional.cross_entropy(
        logits, torch.tensor(labels), label_smoothing=SETTINGS.label_smoothing)
    their_loss.backward()
    with tf.GradientTape() as tape:
        loss = loss_fn(np.eye(10)[labels], model(images, training=True))
    grads = dict(zip([v.path for v in model.trainable_variables],
                     tape.gradient(loss, model.trainable_variables), strict=True))
    np.testing.assert_allclose(float(loss), float(their_loss.detach()), rtol=1e-9)
    theirs = {"logits/kernel": net.linear.weight.grad.numpy().T}
    for g, group in enumerate(net.groups, start=1):
        for i in (1, 2, 3):
            theirs[f"group{g}_conv{i}/kernel"] = np.transpose(
                getattr(group, f"conv{i}").weight.grad.numpy(), (2, 3, 1, 0))
            theirs[f"group{g}_bn{i}/beta"] = getattr(group, f"norm{i}").bias.grad.numpy()
    assert len(grads) == len(theirs)  # every trainable weight compared; whiten is fixed
    for name, grad in theirs.items():
        # to a millionth of the layer's largest gradient (the differences: TensorFlow's
        # kernels sum in another order and precision than PyTorch's)
        np.testing.assert_allclose(grads[name], grad, rtol=0, atol=1e-6 * np.abs(grad).max(),
                                   err_msg=name)


def test_both_steps_train_test_and_reload_on_a_cpu_and_the_ensemble_is_its_members_mean(
        tmp_path, npz_path, capsys) -> None:
    from common.evaluation.evaluate import evaluate_main
    from common.training.ensembles import train_ensemble_main
    from experiments.exp09_gpu_ensemble.model import MEMBERS
    from experiments.exp09_gpu_ensemble.model import build_model as build_ensemble
    from experiments.exp09_gpu_ensemble.train import SETTINGS as EXP09

    models, results = tmp_path / "models", tmp_path / "results"
    where = ["--model-dir", str(models), "--results-dir", str(results)]
    train_ensemble_main("exp09_gpu_ensemble", "exp08_wide_residual", build_model,
                        build_ensemble, EXP09, MEMBERS,
                        ["--epochs", "1", "--limit", "48", "--data", str(npz_path), *where])
    said = capsys.readouterr().out
    first = said.index("exp09_gpu_ensemble was made for one GPU · 5 min and this machine")
    assert first < said.index("member 1 of 3")  # one line for all three, before they start
    assert "exp08_wide_residual was made for one GPU · 2 min" in said  # and each its own
    members = sorted((models / "exp09_gpu_ensemble_members").glob("seed*/*.h5"))
    assert len(members) == MEMBERS
    evaluate_main("exp08_wide_residual", build_model, SETTINGS,
                  ["--model", str(members[0]), "--data", str(npz_path),
                   "--results-dir", str(results)])
    evaluate_main("exp09_gpu_ensemble", build_ensemble, EXP09,
                  ["--model", str(saved_h5(models, "exp09_gpu_ensemble")), "--data", str(npz_path),
                   "--results-dir", str(results)])
    assert len(list(results.glob("exp0[89]_*/test-*.json"))) == 2
    images = np.random.default_rng(3).random((4, 32, 32, 3)).astype("float32")
    ensemble = keras.models.load_model(saved_h5(models, "exp09_gpu_ensemble"))  # plain Keras
    each = [keras.models.load_model(path).predict(images, verbose=0) for path in members]
    np.testing.assert_allclose(ensemble.predict(images, verbose=0), np.mean(each, axis=0),
                               rtol=1e-5, atol=1e-6)
