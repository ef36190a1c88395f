"""Shared library of the experiment series: data, training, evaluation, records.

Importing it imports Keras quietly: the backend's C++ start-up log (CUDA probes on a
machine without a GPU, CPU-feature notes) would otherwise open every command with lines
that read like failures. ``SHOW_LIBRARY_LOGS=1`` shows them.
"""

import logging
import os
import sys
import time

STARTED = time.perf_counter()  # entry points import common first: their start time
LIBRARY_LOGS_ENV = "SHOW_LIBRARY_LOGS"


def _import_keras(quiet: bool) -> None:
    """Import Keras (and its backend), with the process' stderr muted at the file level,
    where the C++ libraries write, if ``quiet``. A backend Keras cannot start is one line
    on stderr and exit status 2, not a traceback."""
    if quiet:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # and TensorFlow's later C++ logs
        sys.stderr.flush()
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    try:
        import keras  # noqa: F401
    except (ImportError, ValueError) as err:
        failure = err
    else:
        failure = None
    finally:
        if quiet:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
    if failure is not None:
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
        print(f"error: Keras cannot start with KERAS_BACKEND={backend} ({failure}); use "
              f"tensorflow, jax or torch, installed in this environment (pip install -r "
              f"requirements.txt installs tensorflow)", file=sys.stderr)
        sys.exit(2)


_import_keras(quiet=not os.environ.get(LIBRARY_LOGS_ENV))
if not os.environ.get(LIBRARY_LOGS_ENV):
    # Keras warns that .h5 is a legacy format; the slides' scripts need exactly that format.
    logging.getLogger("absl").setLevel(logging.ERROR)
