"""Saving and loading the experiments' .h5 files.

The saved file is what the slides' test script expects: a full model in HDF5 that plain
``keras.models.load_model`` opens, compiled (loss and accuracy metric) so ``evaluate``
works, taking float32 images in [0, 1]. Optimizer state is left out: a deployed model
only needs the forward pass, and the file is a third of the size.
"""

from __future__ import annotations

from pathlib import Path

import keras

from common.basics.errors import ModelFileError
from common.basics.files import atomic_path


def save_h5(model: keras.Model, path: Path) -> Path:
    """Write ``model`` to ``path`` atomically: the old file stays until the new one is whole."""
    import h5py

    with atomic_path(path) as tmp:
        full = tmp.with_name(tmp.name + ".full.h5")
        try:
            model.save(full)  # the .h5 suffix selects Keras' legacy HDF5 format
            with h5py.File(full, "r") as src, h5py.File(tmp, "w") as dst:
                for key, value in src.attrs.items():  # config + compile settings
                    dst.attrs[key] = value
                src.copy("model_weights", dst)
        finally:
            full.unlink(missing_ok=True)
    return path


def load_h5(path: Path, train_command: str,
            expected: keras.Model | None = None) -> keras.Model:
    """Load a saved experiment, turning every failure into one actionable line.

    With ``expected``, the file must hold that architecture (layer names, types, shapes).
    """
    path = Path(path)
    hint = (f"train it first: {train_command}" if _made_by_training(path)
            else f"check the path; {train_command} saves its model under saved_models/")
    if not path.is_file():
        raise ModelFileError(f"no saved model at {path}; {hint}")
    if path.stat().st_size == 0:
        raise ModelFileError(f"{path} is empty; {hint}")
    try:
        model = keras.models.load_model(path)
    except Exception as err:  # h5py, JSON and Keras errors all mean "unreadable"
        if "safe_mode" in str(err) or "Lambda" in str(err):
            raise ModelFileError(
                f"refused to load {path}: it holds a Lambda layer, Python code that Keras "
                f"runs only when told the file is trusted (safe_mode=False); no experiment "
                f"of this project saves one") from None
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ModelFileError(f"cannot read {path} ({reason[:200]}); it may be truncated "
                             f"or not a Keras .h5; {hint}") from None
    if expected is not None and _signature(model) != _signature(expected):
        raise ModelFileError(f"{path} holds a different architecture "
                             f"({model.name}, {model.count_params():,} parameters) than this "
                             f"experiment ({expected.name}, {expected.count_params():,}); "
                             f"{hint}")
    return model


def _made_by_training(path: Path) -> bool:
    """Whether ``path`` is where a train command saves: under saved_models/, or (with
    --model-dir) an experiment's own file name."""
    from common.basics.paths import MODELS_DIR
    from common.config.registry import experiment_for

    return (path.resolve().is_relative_to(MODELS_DIR.resolve())
            or experiment_for(path.stem) is not None)


def _signature(model: keras.Model) -> list[tuple[str, str, str]]:
    return [(layer.name, type(layer).__name__, str(layer.output.shape))
            for layer in model.layers]
