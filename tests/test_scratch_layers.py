"""The from-scratch NumPy library: every backward against numerical gradients (float64,
1e-6 relative), im2col convolution and pooling against direct loops, the optimizers'
first steps against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from common.scratch.conv import Convolution, MaxPooling, col2im, im2col, windows
from common.scratch.functions import softmax
from common.scratch.gradient_check import numerical_gradient, relative_error
from common.scratch.layers import Affine, BatchNormalization, Dropout, Relu, Sigmoid
from common.scratch.models import mlp
from common.scratch.network import Network
from common.scratch.optimizers import SGD, AdaGrad, Adam, Momentum
from common.scratch.parallel import CORES, split
from common.scratch.weights import weight_std
from experiments.scratch04_simple_convnet.model import build_model as simple_convnet
from experiments.scratch05_deep_convnet.model import build_model as deep_convnet

TOLERANCE = 1e-6


def check_layer(layer, x: np.ndarray, train: bool = True) -> None:
    """dL/dx and dL/dW of L = sum(forward(x) * R) against central differences."""
    rng = np.random.default_rng(1)
    layer.params = {k: p.astype(np.float64) for k, p in layer.params.items()}
    probe = rng.standard_normal(layer.forward(x.copy(), train).shape)

    def loss() -> float:
        if isinstance(layer, Dropout):
            return float(np.sum(x * layer.scale * probe))  # the same mask every time
        return float(np.sum(layer.forward(x, train) * probe))

    out = layer.forward(x, train)
    dx = layer.backward(probe.reshape(out.shape))
    if dx is not None:
        assert relative_error(dx, numerical_gradient(loss, x)) < TOLERANCE
    for key, p in layer.params.items():
        assert relative_error(layer.grads[key], numerical_gradient(loss, p)) < TOLERANCE, key


@pytest.mark.parametrize("make, shape", [
    (lambda rng: Affine(12, 5, 0.1, rng), (4, 12)),
    (lambda rng: Affine(2 * 3 * 2, 4, "he", rng), (3, 2, 3, 2)),  # an image batch, flattened
    (lambda rng: Relu(), (4, 7)),
    (lambda rng: Sigmoid(), (4, 7)),
    (lambda rng: Dropout(0.5, rng), (4, 7)),
    (lambda rng: BatchNormalization(6), (5, 6)),
    (lambda rng: BatchNormalization(3), (2, 4, 4, 3)),  # per channel of an image
    (lambda rng: Convolution(2, 3, 3, 0.5, rng, stride=1, pad=1), (2, 5, 5, 2)),
    (lambda rng: Convolution(2, 3, 3, 0.5, rng, stride=1, pad=2), (2, 4, 4, 2)),
    (lambda rng: Convolution(2, 3, 3, 0.5, rng, stride=2, pad=1), (2, 5, 5, 2)),
    (lambda rng: Convolution(1, 2, 5, 0.5, rng), (2, 7, 7, 1)),
    (lambda rng: MaxPooling(2), (2, 4, 6, 3)),
    (lambda rng: MaxPooling(3, stride=2), (2, 7, 7, 2)),
], ids=["affine", "affine-images", "relu", "sigmoid", "dropout", "batchnorm",
        "batchnorm-images", "conv-pad1", "conv-pad2", "conv-stride2", "conv-5x5", "pool2",
        "pool3-stride2"])
def test_backward_equals_numerical_gradients_in_float64(make, shape) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    x[np.abs(x) < 1e-3] = 0.1  # keep ReLU's kink away from the finite differences
    check_layer(make(rng), x)


def test_softmax_with_loss_gradient_is_probabilities_minus_one_hot() -> None:
    net = mlp(seed=0, hidden=(6,), input_shape=(5,), classes=4).astype(np.float64)
    x, labels = np.random.default_rng(2).standard_normal((3, 5)), np.array([0, 3, 1])
    net.gradient(x, labels)
    for key, p in net.params.items():
        numeric = numerical_gradient(lambda: net.loss(x, labels), p)
        assert relative_error(net.grads[key], numeric) < TOLERANCE, key


def test_softmax_subtracts_the_maximum_so_large_inputs_do_not_overflow() -> None:
    p = softmax(np.array([[1000.0, 1001.0, 1002.0]]))
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p, softmax(np.array([[0.0, 1.0, 2.0]])))


def direct_convolution(x, W, b, stride, pad):
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    fh, fw, _, filters = W.shape
    oh, ow = (x.shape[1] - fh) // stride + 1, (x.shape[2] - fw) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, filters))
    for n in range(x.shape[0]):
        for i in range(oh):
            for j in range(ow):
                patch = x[n, i * stride:i * stride + fh, j * stride:j * stride + fw]
                for f in range(filters):
                    out[n, i, j, f] = np.sum(patch * W[..., f]) + b[f]
    return out


@pytest.mark.parametrize("stride, pad", [(1, 0), (1, 1), (1, 2), (2, 1)])
def test_im2col_convolution_equals_a_direct_loop(stride: int, pad: int) -> None:
    rng = np.random.default_rng(3)
    layer = Convolution(3, 4, 3, 1.0, rng, stride=stride, pad=pad)
    layer.params["b"] = rng.standard_normal(4).astype(np.float32)
    x = rng.standard_normal((2, 6, 7, 3)).astype(np.float32)
    np.testing.assert_allclose(layer.forward(x), direct_convolution(
        x, layer.params["W"], layer.params["b"], stride, pad), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("size, stride, shape", [(2, 2, (2, 6, 8, 3)), (3, 2, (2, 7, 7, 2)),
                                                  (2, 2, (1, 5, 5, 1))])
def test_pooling_equals_a_direct_loop(size: int, stride: int, shape) -> None:
    x = np.random.default_rng(4).standard_normal(shape).astype(np.float32)
    out = MaxPooling(size, stride).forward(x)
    oh, ow = (shape[1] - size) // stride + 1, (shape[2] - size) // stride + 1
    expected = np.array([[[[x[n, i * stride:i * stride + size, j * stride:j * stride + size,
                                c].max() for c in range(shape[3])] for j in range(ow)]
                          for i in range(oh)] for n in range(shape[0])])
    np.testing.assert_array_equal(out, expected)


def test_a_tied_window_sends_its_gradient_to_one_position_only() -> None:
    pool = MaxPooling(2)
    pool.forward(np.zeros((1, 2, 2, 1), np.float32))  # four zeros: ReLU's usual output
    dx = pool.backward(np.ones((1, 1, 1, 1), np.float32))
    assert dx.sum() == 1 and dx[0, 0, 0, 0] == 1


@pytest.mark.parametrize("channels, stride, pad", [(3, 1, 1), (3, 2, 1), (1, 1, 2)],
                         ids=["turned-kernel", "col2im", "one-channel"])
def test_a_batch_in_chunks_on_threads_gives_what_one_chunk_gives(channels, stride, pad) -> None:
    rng = np.random.default_rng(6)
    x = rng.standard_normal((9, 8, 8, channels)).astype(np.float32)
    results = []
    for chunk_bytes in (1 << 30, 1):  # one chunk; then one image a chunk, on every core
        layer = Convolution(channels, 4, 3, 1.0, np.random.default_rng(7), stride, pad)
        layer.chunk_bytes = chunk_bytes
        out = layer.forward(x, train=True)
        dx = layer.backward(np.cos(out))
        results.append((out, dx, layer.grads["W"], layer.grads["b"]))
    for one, chunked in zip(*results, strict=True):
        np.testing.assert_allclose(chunked, one, rtol=1e-5, atol=1e-5)


def test_one_channel_im2col_has_the_rows_of_any_other() -> None:
    x = np.random.default_rng(8).standard_normal((2, 6, 7, 1)).astype(np.float32)
    for stride, pad in ((1, 0), (1, 2), (2, 1)):
        expected = windows(np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0))), 3, 3,
                           stride).reshape(-1, 9)
        np.testing.assert_array_equal(im2col(x, 3, 3, stride, pad), expected)


def test_relu_and_pooling_split_among_cores_equal_numpy_at_once() -> None:
    x = np.random.default_rng(9).standard_normal((8, 32, 32, 16)).astype(np.float32)
    assert len(split(x)) == CORES  # large enough to be shared out
    assert Relu().forward(np.zeros((0, 4), np.float32)).shape == (0, 4)  # no rows: no part
    relu, pool = Relu(), MaxPooling(2)
    np.testing.assert_array_equal(relu.forward(x), np.maximum(x, 0))
    np.testing.assert_array_equal(relu.backward(x), x * (x > 0))
    out = pool.forward(x)
    np.testing.assert_array_equal(out, x.reshape(8, 16, 2, 16, 2, 16).max(axis=(2, 4)))
    dx = pool.backward(np.ones_like(out))
    assert dx.sum() == out.size and (x[dx == 1] == np.repeat(np.repeat(
        out, 2, axis=1), 2, axis=2)[dx == 1]).all()


def test_col2im_is_the_adjoint_of_im2col() -> None:
    rng = np.random.default_rng(5)
    x, shape = rng.standard_normal((2, 5, 6, 3)), (2, 5, 6, 3)
    col = im2col(x, 3, 3, 2, 1)
    c = rng.standard_normal(col.shape)
    assert np.isclose(np.sum(col * c), np.sum(x * col2im(c, shape, 3, 3, 2, 1)))


def test_each_optimizers_first_steps_equal_hand_computed_values() -> None:
    def steps(optimizer, n=2):
        w = np.array([1.0, -2.0])
        for g in ([0.5, -1.0], [0.25, 0.5])[:n]:
            optimizer.update({"w": w}, {"w": np.array(g)})
        return w

    np.testing.assert_allclose(steps(SGD(0.1)), [1 - 0.05 - 0.025, -2 + 0.1 - 0.05])
    # v1 = -0.1 g1; v2 = 0.9 v1 - 0.1 g2
    np.testing.assert_allclose(steps(Momentum(0.1, 0.9)),
                               [1 - 0.05 - 0.045 - 0.025, -2 + 0.1 + 0.09 - 0.05])
    # h1 = g1^2: the first step is lr * sign(g); h2 = g1^2 + g2^2
    np.testing.assert_allclose(steps(AdaGrad(0.1)), [
        1 - 0.1 - 0.1 * 0.25 / np.sqrt(0.3125), -2 + 0.1 - 0.1 * 0.5 / np.sqrt(1.25)],
        rtol=1e-6)
    # Adam's first step is lr * sign(g) once bias-corrected
    np.testing.assert_allclose(steps(Adam(0.1), n=1), [0.9, -1.9], rtol=1e-5)


def test_initial_weights_have_the_std_each_rule_gives() -> None:
    assert weight_std(0.01, 784) == 0.01
    assert weight_std("xavier", 100) == pytest.approx(0.1)
    assert weight_std("he", 50) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="'xavier' or 'he'"):
        weight_std("lecun", 10)
    w = Affine(400, 300, "he", np.random.default_rng(0)).params["W"]
    assert w.dtype == np.float32 and w.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)


def test_the_decks_networks_have_their_shapes_and_parameter_counts() -> None:
    x = np.zeros((2, 28, 28, 1), np.float32)
    for net, params in ((mlp(), 784 * 100 + 100 + 100 * 10 + 10),
                        (simple_convnet(), 30 * 25 + 30 + 4320 * 100 + 100 + 1010),
                        (deep_convnet(), 123_552)):
        assert net.count_params() == params
        p = net.predict(x)
        assert p.shape == (2, 10) and p.dtype == np.float32
        np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-5)
    assert [n for n in deep_convnet().names if n.startswith("conv")] == [
        f"conv{i}" for i in range(1, 7)]


def test_a_deep_convnet_step_keeps_float32_and_lowers_the_loss_on_one_batch() -> None:
    net: Network = deep_convnet(seed=0)
    for layer in net.layers:  # no dropout noise: the loss of one batch must fall
        if isinstance(layer, Dropout):
            layer.rate = 0.0
    rng = np.random.default_rng(6)
    x, labels = rng.random((20, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 20)
    optimizer, losses = Adam(1e-3), []
    for _ in range(5):
        losses.append(net.gradient(x, labels))
        optimizer.update(net.params, net.grads)
    assert losses[-1] < losses[0]
    assert all(p.dtype == np.float32 for p in net.params.values())
    assert all(g.dtype == np.float32 for g in net.grads.values())


def test_sigmoid_with_loss_gradient_is_probability_minus_label() -> None:
    from common.scratch.layers import SigmoidWithLoss

    x, labels = np.random.default_rng(7).standard_normal((5, 1)), np.array([0, 1, 1, 0, 1])
    last = SigmoidWithLoss()
    last.loss(x, labels.astype(np.float64))
    analytic = last.backward()
    numeric = numerical_gradient(lambda: last.loss(x, labels.astype(np.float64)), x)
    assert relative_error(analytic, numeric) < TOLERANCE


def test_the_profile_times_every_layer_both_ways_and_the_whole_step() -> None:
    from common.scratch.profile import layer_times, table

    net = simple_convnet(seed=0)
    rng = np.random.default_rng(10)
    x, y = rng.random((12, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 12)
    times = layer_times(net, Adam(), x, y, steps=3, batch_size=4)
    assert {len(v) for v in times.values()} == {3}  # the warm-up steps are not counted
    assert {f"{n} {way}" for n in net.names for way in ("forward", "backward")} | {
        "loss forward", "update forward", "step"} == set(times)
    assert sum(np.median(v) for k, v in times.items() if k != "step") <= 1.5 * np.median(
        times["step"])  # the parts are parts of the step
    text = table(times, 4)
    assert "| conv1 |" in text and "| the update |" in text and "**a step**" in text
