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


def _import_keras_quietly() -> None:
    """Import Keras (and its backend) with the process' stderr muted at the file level,
    where the C++ libraries write; Python errors are raised after it is restored."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # and TensorFlow's later C++ logs
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import keras  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


if not os.environ.get(LIBRARY_LOGS_ENV):
    _import_keras_quietly()
    # Keras warns that .h5 is a legacy format; the slides' scripts need exactly that format.
    logging.getLogger("absl").setLevel(logging.ERROR)
