"""Shared library of the CIFAR-10 experiment series: data, training, evaluation, records."""

import logging
import os
import time

STARTED = time.perf_counter()  # entry points import common first: their start time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's C++ info chatter
# Keras warns that .h5 is a legacy format; the slides' scripts need exactly that format.
logging.getLogger("absl").setLevel(logging.ERROR)
