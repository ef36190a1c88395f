"""Shared library of the experiment series, in packages by concern, each importing only
those below it (checked by ``lint-imports``, configured in pyproject.toml):

    results, predict, series, round_summary, test_images, bench   the commands users type
    reports                                                       tables and charts
    scratch                                                       the NumPy lessons
    training | evaluation                                         the train and test entry points
    records                                                       run records, .h5 files
    config                                                        recipes, experiments by name
    models | data                                                 a network as a whole; datasets
    layers                                                        Keras pieces of a recipe
    basics                                                        errors, files, options, plots

Importing it imports Keras quietly: the backend's C++ start-up log (CUDA probes on a
machine without a GPU, CPU-feature notes) would otherwise open every command with lines
that read like failures. ``SHOW_LIBRARY_LOGS=1`` shows them.
"""

import contextlib
import importlib.util
import logging
import os
import sys
import time
from collections.abc import Iterator

STARTED = time.perf_counter()  # entry points import common first: their start time
LIBRARY_LOGS_ENV = "SHOW_LIBRARY_LOGS"


@contextlib.contextmanager
def _library_start_up_muted() -> Iterator[None]:
    """The process' stderr muted at the file level, where the C++ libraries write, unless
    ``SHOW_LIBRARY_LOGS`` is set."""
    if os.environ.get(LIBRARY_LOGS_ENV):
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # and TensorFlow's later C++ logs
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _import_keras() -> None:
    """Import Keras (and its backend) quietly. A backend Keras cannot start is one line
    on stderr and exit status 2, not a traceback."""
    try:
        with _library_start_up_muted():
            import keras

            # On JAX and PyTorch, Keras still imports TensorFlow where installed, lazily
            # (to seed it in set_random_seed, to read an .h5's config): start it here, muted.
            if (keras.backend.backend() != "tensorflow"
                    and importlib.util.find_spec("tensorflow") is not None):
                import tensorflow  # noqa: F401
    except (ImportError, ValueError) as err:
        failure = err
    else:
        failure = None
    if failure is not None:
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
        print(f"error: Keras cannot start with KERAS_BACKEND={backend} ({failure}); use "
              f"tensorflow, jax or torch, installed in this environment (pip install -r "
              f"requirements.txt installs tensorflow)", file=sys.stderr)
        sys.exit(2)


_import_keras()
if not os.environ.get(LIBRARY_LOGS_ENV):
    # Keras warns that .h5 is a legacy format; the slides' scripts need exactly that format.
    logging.getLogger("absl").setLevel(logging.ERROR)
