"""The same networks and steps on TensorFlow, JAX and PyTorch: compiled, and portable."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers

from common.config.registry import find_experiment
from common.data.loading import scale
from common.layers.augmentation import WholePixelTranslation
from common.records.export import save_model
from tests.conftest import run_python, run_under, saved_h5


def test_whole_pixel_translation_moves_images_as_random_translation_does() -> None:
    images = np.random.default_rng(0).random((16, 32, 32, 3)).astype("float32")
    stock = layers.RandomTranslation(0.125, 0.125, fill_mode="reflect",
                                     interpolation="nearest", seed=3)
    ours = WholePixelTranslation(0.125, 0.125, seed=3)
    shifts = np.random.default_rng(1).integers(-4, 5, (16, 2)).astype("float32")
    shifts[:2] = [[-4, 4], [4, -4]]  # the edges reflect as Keras' "reflect" does
    move = {"translations": keras.ops.convert_to_tensor(shifts), "input_shape": images.shape}
    np.testing.assert_array_equal(stock.transform_images(images, move),
                                  ours.transform_images(images, move))
    # the same seed draws the same shifts
    moved = keras.ops.convert_to_numpy(ours(images, training=True))
    np.testing.assert_array_equal(stock(images, training=True), moved)
    assert not np.array_equal(moved, images)
    np.testing.assert_array_equal(ours(images, training=False), images)
    assert ours.supports_jit and not stock.supports_jit


def test_whole_pixel_translation_refuses_what_it_cannot_do() -> None:
    with pytest.raises(ValueError, match="interpolation='nearest'"):
        WholePixelTranslation(0.1, 0.1, interpolation="bilinear")
    with pytest.raises(ValueError, match="fill_mode='reflect'"):
        WholePixelTranslation(0.1, 0.1, fill_mode="constant")


COMPILED_ON_JAX = """
import json
import numpy as np
import common
from common.config.registry import experiment_names, find_experiment
from common.training.setup import training_model
compiled = {}
for name in experiment_names():
    exp = find_experiment(name)
    model = exp.build_model()
    trained, _, _ = training_model(model, exp.settings, "float32", 10)
    compiled[name] = trained.jit_compile
    if exp.settings.augmentation is not None:  # one step through the augmentation, compiled
        x = np.random.default_rng(0).random((8, *model.input_shape[1:]), dtype="float32")
        y = np.eye(model.output_shape[-1], dtype="float32")[np.arange(8) % model.output_shape[-1]]
        trained.fit(x, y, batch_size=8, epochs=1, verbose=0)
print(json.dumps(compiled))
"""


def test_every_experiment_trains_compiled_on_jax() -> None:
    """On JAX, a model with one layer that does not support jit trains op by op (2 s a
    step on an H200): every experiment's training model must compile whole."""
    done = run_python(COMPILED_ON_JAX, "jax")
    compiled = json.loads(done.stdout.strip().splitlines()[-1])
    assert "exp04_augmentation" in compiled
    assert compiled == dict.fromkeys(compiled, True)


CONFIDENT_AND_WRONG_IN_FLOAT16 = """
import numpy as np
import keras
import common
from common.config.registry import find_experiment
from common.training.setup import training_model
exp = find_experiment("exp04_augmentation")
trained, core, _ = training_model(exp.build_model(), exp.settings, "mixed_float16", 10,
                                  steps_per_execution=1)
output = core.get_layer("output")
output.kernel.assign(np.zeros(output.kernel.shape))  # logits = bias: sure of class 0,
output.bias.assign([14.0] + [0.0] * 9)  # p(class 1) = 8e-7, and 1/p overflows float16
before = keras.ops.convert_to_numpy(output.kernel).copy()
x = np.random.default_rng(0).random((8, 32, 32, 3), dtype="float32")
y = np.eye(10, dtype="float32")[[1] * 8]
loss = trained.train_on_batch(x, y, return_dict=True)["loss"]
weights = [keras.ops.convert_to_numpy(v) for v in trained.trainable_variables]
assert np.isfinite(loss), loss
assert all(np.isfinite(w).all() for w in weights), "NaN or inf weights"
assert not np.array_equal(before, keras.ops.convert_to_numpy(output.kernel)), "step skipped"
print("ok")
"""


def test_a_confident_wrong_answer_trains_in_float16_on_pytorch() -> None:
    """exp04 on PyTorch with mixed_float16 went NaN at batch 7 on an H200: with the softmax
    in float16, the cross-entropy's gradient 1/p overflowed. Runs on the CPU too."""
    assert run_python(CONFIDENT_AND_WRONG_IN_FLOAT16, "torch").stdout.strip().endswith("ok")


PREDICT = """
import sys
import numpy as np
import keras
import common
from common.data.loading import scale
model = keras.models.load_model(sys.argv[1])
x = np.load(sys.argv[2])["x_test"]
np.save(sys.argv[3], keras.ops.convert_to_numpy(model.predict(scale(x), verbose=0)))
"""


def predictions_under(backend: str, h5: Path, npz: Path, out: Path) -> np.ndarray:
    """What plain ``keras.models.load_model`` predicts for the test images under ``backend``."""
    run_python(f"import sys; sys.argv = ['', {str(h5)!r}, {str(npz)!r}, {str(out)!r}]\n"
               + PREDICT, backend)
    return np.load(out)


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_trained_on_another_backend_then_tested_and_reloaded_in_tensorflow(
        backend: str, tmp_path: Path, npz_path: Path) -> None:
    """The README's two commands under another backend (train, then test), then its .h5
    in plain Keras on TensorFlow: the same predictions within float tolerance."""
    models, records = tmp_path / "models", tmp_path / "results"
    common = ["--data", str(npz_path), "--results-dir", str(records)]
    for entry, extra in (("train", ["--epochs", "1", "--batch-size", "16",
                                    "--model-dir", str(models)]),
                         ("test", ["--model", None])):
        if extra[-1] is None:  # the file the run saved, named by its options
            extra = ["--model", str(saved_h5(models, "exp02_batchnorm"))]
        done = run_under(backend, ["-m", f"experiments.exp02_batchnorm.{entry}", *common,
                                   *extra])
        # no C++ start-up lines (TensorFlow's, imported to be seeded, or JAX's CUDA probe)
        assert not [line for line in done.stderr.splitlines()
                    if line.startswith(("I0000", "W0000", "E0000", "WARNING: All log"))]
    (test_record,) = (records / "exp02_batchnorm").glob("test-*.json")
    (train_record,) = (records / "exp02_batchnorm").glob("train-*.json")
    assert json.loads(train_record.read_text())["versions"]["backend"] == backend
    h5 = saved_h5(models, "exp02_batchnorm")
    theirs = predictions_under(backend, h5, npz_path, tmp_path / "theirs.npy")
    ours = keras.models.load_model(h5).predict(scale(np.load(npz_path)["x_test"]), verbose=0)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    assert json.loads(test_record.read_text())["test_accuracy"] == pytest.approx(
        float(np.mean(ours.argmax(1) == np.load(npz_path)["y_test"])))


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_a_model_saved_on_tensorflow_predicts_the_same_on_another_backend(
        backend: str, tmp_path: Path, npz_path: Path) -> None:
    model = find_experiment("exp02_batchnorm").build_model()  # BatchNormalization included
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 0.05, w.shape).astype("float32") + (w if w.any() else 0)
                       for w in model.get_weights()])
    h5 = save_model(model, tmp_path / "exp02_batchnorm.h5")
    ours = model.predict(scale(np.load(npz_path)["x_test"]), verbose=0)
    theirs = predictions_under(backend, h5, npz_path, tmp_path / "theirs.npy")
    np.testing.assert_allclose(theirs, ours, atol=1e-5)
