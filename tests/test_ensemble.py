"""Step 6's ensemble: one stock-Keras model that averages its members over each image and
its mirror image, trained member by member (a member already trained is reused)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

from common.basics.files import sha256_of
from common.config.run_options import RunOptions
from common.models.ensemble import MOVES, averaged_ensemble
from common.records.recipes import recipe
from common.records.upgrade import upgraded
from common.training import ensembles as ensemble_training
from common.training.ensembles import finished_member, train_ensemble_main
from experiments.exp05_resnet.model import build_model as build_resnet
from experiments.exp05_resnet.train import SETTINGS as EXP05
from experiments.exp06_ensemble.model import MEMBERS, build_model
from experiments.exp06_ensemble.train import SETTINGS as EXP06
from tests.conftest import run_python, saved_h5


def members(count: int = 2) -> list[keras.Model]:
    keras.utils.set_random_seed(1)
    return [build_resnet(name=f"member{i}") for i in range(1, count + 1)]


def images(n: int = 4) -> np.ndarray:
    return np.random.default_rng(0).random((n, 32, 32, 3), dtype=np.float32)


def test_the_ensemble_averages_every_member_over_the_image_and_its_mirror() -> None:
    nets, x = members(), images()
    expected = np.mean([net.predict(view, verbose=0) for net in nets
                        for view in (x, x[:, :, ::-1])], axis=0)
    got = averaged_ensemble(nets, "ensemble").predict(x, verbose=0)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    # not the average over the image alone: the mirror image is really shown
    unmirrored = np.mean([net.predict(x, verbose=0) for net in nets], axis=0)
    assert np.abs(got - unmirrored).max() > 1e-4
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-5)


def test_the_mirror_is_exact_and_not_trainable() -> None:
    x = images()
    model = averaged_ensemble(members(1), "one", mirrored=True)
    flip = keras.Model(model.input, model.get_layer("mirror_width_back").output)
    np.testing.assert_array_equal(flip.predict(x, verbose=0), x[:, :, ::-1])
    assert not model.get_layer("mirror_reverse").trainable_weights


def reflect_moved(x: np.ndarray, by: int) -> np.ndarray:
    """airbench's test-time move: pad one pixel by reflection, then crop."""
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    start = 1 - by
    return padded[:, start:start + x.shape[1], start:start + x.shape[2]]


def test_moved_views_are_exact_reflected_one_pixel_moves() -> None:
    x = images()
    model = averaged_ensemble(members(1), "one", moved_too=True)
    for by in (1, -1):
        view = keras.Model(model.input, model.get_layer(f"{MOVES[by]}_width_back").output)
        np.testing.assert_array_equal(view.predict(x, verbose=0), reflect_moved(x, by))
    assert not model.trainable_weights[len(members(1)[0].trainable_weights):]


def test_moved_views_weigh_half_as_airbench_weighs_them() -> None:
    (net,), x = members(1), images()

    def flip_mean(v: np.ndarray) -> np.ndarray:
        return (net.predict(v, verbose=0) + net.predict(v[:, :, ::-1], verbose=0)) / 2

    expected = (flip_mean(x) / 2
                + (flip_mean(reflect_moved(x, 1)) + flip_mean(reflect_moved(x, -1))) / 4)
    got = averaged_ensemble([net], "one", moved_too=True).predict(x, verbose=0)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    # the moved views really count (an untrained net is near certain: compare logs)
    assert np.abs(np.log(got) - np.log(flip_mean(x))).max() > 1e-3


def test_members_need_distinct_names() -> None:
    with pytest.raises(ValueError, match="distinct names"):
        averaged_ensemble([build_resnet(), build_resnet()], "twins")


def test_exp06_is_its_members_and_nothing_else() -> None:
    model = build_model()
    mirror_matrix = 32 * 32
    assert model.count_params() == MEMBERS * build_resnet().count_params() + mirror_matrix
    assert [type(layer).__name__ for layer in model.layers].count("Functional") == MEMBERS


def test_the_saved_ensemble_loads_in_plain_keras_on_every_backend(tmp_path: Path) -> None:
    """No project code: a fresh interpreter that imports only keras and numpy."""
    path, x = tmp_path / "ensemble.h5", images()
    model = averaged_ensemble(members(), "ensemble")
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    model.save(path)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "p.npy", model.predict(x, verbose=0))
    for backend in ("tensorflow", "jax", "torch"):
        run_python(f"""
import keras, numpy as np
model = keras.models.load_model({str(path)!r})
p = model.predict(np.load({str(tmp_path / 'x.npy')!r}), verbose=0)
np.testing.assert_allclose(p, np.load({str(tmp_path / 'p.npy')!r}), atol=1e-5)
""", backend)


def test_ensemble_training_trains_each_member_once_and_records_them(
        tmp_path: Path, npz_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["--epochs", "1", "--batch-size", "32", "--data", str(npz_path), "--seed", "5",
            "--model-dir", str(tmp_path / "models"), "--results-dir", str(tmp_path / "results")]
    train_ensemble_main("exp06_ensemble", "exp05_resnet", build_resnet, build_model, EXP06,
                        MEMBERS, argv)
    saved = saved_h5(tmp_path / "models", "exp06_ensemble")
    assert saved.stem == "exp06_ensemble-epochs1-batch-size32"  # a quick look keeps the step's
    record = json.loads(next((tmp_path / "results" / "exp06_ensemble").glob("train-*.json"))
                        .read_text())
    assert [m["seed"] for m in record["members"]] == list(range(5, 5 + MEMBERS))
    member_records = sorted((tmp_path / "results" / "exp05_resnet").glob("train-*.json"))
    assert len(member_records) == MEMBERS  # each member is one more exp05 run
    for path in member_records:  # ... described as exp05, not as the ensemble
        member = json.loads(path.read_text())
        assert (member["idea"], member["target"]) == (EXP05.idea, EXP05.target)
    assert (record["idea"], record["target"]) == (EXP06.idea, 0.94)
    assert record["train_seconds"] == pytest.approx(sum(
        json.loads(p.read_text())["wall_seconds"] for p in member_records), abs=0.2)
    assert record["cpu_seconds"] == pytest.approx(sum(  # the cores the members had
        json.loads(p.read_text())["cpu_seconds"] for p in member_records), abs=0.2)
    assert 0 < record["cpu_share"] <= 1
    # its recipe made as every step's is: the members' settings, the ensemble's network
    network = record["recipe"]["network"]  # the ensemble's Keras config, hashed
    assert len(network) == 64 and record["recipe"] == recipe(record["settings"],
                                                             record["data"], network)
    assert upgraded(record)["recipe"] == record["recipe"]
    before = keras.models.load_model(saved).predict(images(), verbose=0)

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("a trained member was trained again")

    monkeypatch.setattr(ensemble_training, "train", no_training)
    train_ensemble_main("exp06_ensemble", "exp05_resnet", build_resnet, build_model, EXP05,
                        MEMBERS, argv)  # the members are there: only the assembly runs
    after = keras.models.load_model(saved).predict(images(), verbose=0)
    np.testing.assert_array_equal(after, before)


def member_record(results: Path, model_file: Path, seed: int = 4) -> None:
    """A finished exp05 run's record, for the model saved at ``model_file``."""
    settings = {**EXP05.describe(), "precision": "bfloat16", "batchnorm": "fused",
                "loss": "categorical_crossentropy", "kept": "last epoch"}
    (results / "exp05_resnet").mkdir(parents=True, exist_ok=True)
    (results / "exp05_resnet" / f"train-{seed}-seed{seed}.json").write_text(json.dumps({
        "kind": "train", "experiment": "exp05_resnet", "seed": seed, "finished": str(seed),
        "data": {}, "settings": settings, "model_file": str(model_file),
        "model_sha256": sha256_of(model_file)}))


def test_a_member_of_another_recipe_is_not_reused(tmp_path: Path) -> None:
    """A member file left by a run of another recipe (e.g. exp05's 12 epochs before it had
    56) must be trained again, not averaged into the ensemble as if it were this recipe's."""
    path = tmp_path / "models" / "exp06_ensemble_members" / "seed4" / "exp05_resnet.h5"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"weights")
    member_record(tmp_path / "results", path)

    def found(settings: object = EXP05, seed: int = 4, **options: object) -> bool:
        run = RunOptions(results_dir=tmp_path / "results", **options)
        return finished_member(path, "exp05_resnet", seed, settings, run) is not None

    assert found() and found(replace(EXP05, idea="worded otherwise"), precision="bfloat16")
    assert not found(replace(EXP05, epochs=EXP05.epochs + 1))
    assert not found(replace(EXP05, learning_rate=0.05))
    assert not found(precision="float32")
    assert not found(limit=512)  # a quick check's member is no full run's member
    assert not found(seed=5)


def test_a_run_of_the_member_step_saved_elsewhere_becomes_the_member(tmp_path: Path) -> None:
    """``exp05 --seed 4`` then ``exp06 --seed 4``: the first member is that run, copied."""
    saved = tmp_path / "models" / "exp05_resnet.h5"
    saved.parent.mkdir(parents=True)
    saved.write_bytes(b"weights of seed 4")
    member_record(tmp_path / "results", saved)
    run = RunOptions(results_dir=tmp_path / "results")
    folder = tmp_path / "models" / "exp06_ensemble_members"
    assert finished_member(folder / "seed5" / "exp05_resnet.h5", "exp05_resnet", 5,
                           EXP05, run) is None  # another seed
    assert not (folder / "seed5").exists()
    record = finished_member(folder / "seed4" / "exp05_resnet.h5", "exp05_resnet", 4,
                             EXP05, run)
    assert record is not None and record["seed"] == 4
    assert (folder / "seed4" / "exp05_resnet.h5").read_bytes() == b"weights of seed 4"
    (folder / "seed4" / "exp05_resnet.h5").unlink()
    saved.write_bytes(b"overwritten by a later run")  # the record no longer describes it
    assert finished_member(folder / "seed4" / "exp05_resnet.h5", "exp05_resnet", 4,
                           EXP05, run) is None
    assert not (folder / "seed4" / "exp05_resnet.h5").exists()
