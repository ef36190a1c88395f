"""Data-parallel training across this machine's devices, on the engines Keras ships.

``--devices N|all`` trains the same recipe (the same global batch, split across the
devices) on N of them:

- JAX: ``keras.distribution.DataParallel``. The step is one program over the whole batch,
  sharded by XLA, so BatchNormalization's statistics are those of the global batch:
  the arithmetic of one device, summed in another order.
- TensorFlow: ``tf.distribute.MirroredStrategy``. Each replica runs its share of the batch;
  gradients are summed, but BatchNormalization normalizes each replica's share by itself.
- PyTorch: Keras 3.15 has no data parallelism there; asking for more than one device is
  an error that says which backends do.

One device (the default) changes nothing. ``tests/test_devices.py`` trains on two virtual
CPU devices; docs/devices.md says how to run on N GPUs.

Several processes (several hosts, or several on one) train one model together on JAX:
each is started with the settings ``keras.distribution.initialize`` reads from the
environment (``KERAS_DISTRIBUTION_JOB_ADDRESSES``, ``..._NUM_PROCESSES``,
``..._PROCESS_ID``) and ``--devices all``. Each feeds its own share of every global batch;
process 0 alone writes backups, the ``.h5`` and the record.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import keras

from common.basics.errors import UserError


def devices_option(value: str) -> str:
    """argparse type: a positive number of devices, or 'all'."""
    if value == "all" or (value.isdigit() and int(value) >= 1):
        return value
    raise argparse.ArgumentTypeError(f"expected a positive number of devices or 'all', "
                                     f"got {value!r}")


PROCESS_SETTINGS = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
                    "KERAS_DISTRIBUTION_PROCESS_ID")


class PeerLost(UserError):
    """Another process of a multi-process run stopped; this one cannot go on alone."""

    exit_at_once = True


# How a collective fails on JAX when another process of the run has died (measured:
# "Gloo AllGather failed: ... Connection reset by peer"; tests/test_devices.py)
PEER_FAILURES = ("Gloo", "Connection reset", "heartbeat", "coordination service")


def peer_lost(err: Exception) -> PeerLost | None:
    """``err`` as a PeerLost, if it is another process of this run dying; else None."""
    process, processes = join_processes()
    text = str(err)
    found = [text[text.find(marker):] for marker in PEER_FAILURES if marker in text]
    if processes == 1 or not found:
        return None
    return PeerLost(f"process {process}: another process of this run stopped "
                    f"({found[0].splitlines()[0][:120]}); rerun the same command in every "
                    "process to resume from the last completed epoch")


def join_processes() -> tuple[int, int]:
    """(this process's index, the number of processes) of the run. With the environment's
    multi-process settings, joins the others through ``keras.distribution.initialize``
    (call it before anything asks for a device); else (0, 1)."""
    if int(os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES", "1")) <= 1:
        return 0, 1
    if keras.backend.backend() != "jax":
        raise UserError(f"{', '.join(PROCESS_SETTINGS)} are set: several processes train "
                        f"one model with KERAS_BACKEND=jax in Keras 3.15, not "
                        f"{keras.backend.backend()} (docs/devices.md)")
    import jax

    if not jax.distributed.is_initialized():
        print(f"joining the run's processes at {os.environ.get(PROCESS_SETTINGS[0])} "
              f"(gives up after 5 minutes)")
        keras.distribution.initialize()
    return jax.process_index(), jax.process_count()


def local_devices() -> list[str]:
    """The devices Keras' backend trains on here: its GPUs, else its CPUs (JAX and
    TensorFlow can split a CPU into several virtual ones, see docs/devices.md)."""
    backend = keras.backend.backend()
    if backend == "jax":
        return keras.distribution.list_devices()
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in (tf.config.list_logical_devices("GPU")
                                 or tf.config.list_logical_devices("CPU"))]
    if backend == "torch":
        import torch

        return ([f"cuda:{i}" for i in range(torch.cuda.device_count())] or ["cpu"])
    return ["cpu"]


def device_count(devices: str) -> int:
    """How many devices ``--devices`` asks for; UserError if this machine has fewer."""
    available = local_devices()  # every process's, when several train together
    count = len(available) if devices == "all" else int(devices)
    processes = join_processes()[1]
    if processes > 1 and count != len(available):
        raise UserError(f"--devices {devices}: {processes} processes train together on all "
                        f"their {len(available)} devices; use --devices all")
    if count > len(available):
        raise UserError(f"--devices {devices}: the {keras.backend.backend()} backend sees "
                        f"{len(available)} device(s) here ({', '.join(available)}); ask for "
                        f"at most {len(available)}, or 'all'")
    if count > 1 and keras.backend.backend() not in ("jax", "tensorflow"):
        raise UserError(f"--devices {devices}: Keras 3.15 trains on several devices with "
                        "KERAS_BACKEND=jax (keras.distribution) or tensorflow "
                        f"(MirroredStrategy), not {keras.backend.backend()}")
    return count


@contextmanager
def data_parallel(count: int) -> Iterator[list[str]]:
    """Inside: models are made, compiled and trained across the first ``count`` devices.
    Yields their names (one device: nothing changes, and the list has one name)."""
    chosen = local_devices()[:count]
    if count == 1:
        yield chosen
        return
    if keras.backend.backend() == "jax":
        previous = keras.distribution.distribution()
        # several processes: each feeds its own share of every batch (common.data.pipeline)
        keras.distribution.set_distribution(keras.distribution.DataParallel(
            devices=chosen, auto_shard_dataset=join_processes()[1] == 1))
        try:
            yield chosen
        finally:
            keras.distribution.set_distribution(previous)
    else:
        import tensorflow as tf

        with tf.distribute.MirroredStrategy(devices=chosen).scope():
            yield chosen


@dataclass
class Placement:
    """Where one run trains: this process (of the run's processes) and how many devices.
    Process 0 alone writes backups, the .h5 and the record; the others save what it saves
    (a collective on JAX) into a scratch folder of their own."""

    process: int
    processes: int
    devices: int
    scratch: Path | None = None

    @classmethod
    def join(cls, devices: str, batch_size: int, name: str) -> Placement:
        """Join the run's processes (one, unless the environment says several) and check
        that ``--devices`` and the batch size fit this machine."""
        process, processes = join_processes()
        count = device_count(devices)
        scratch = None if process == 0 else Path(tempfile.mkdtemp(
            prefix=f"{name}-process{process}-"))
        placement = cls(process, processes, count, scratch)
        if batch_size % placement.batch_multiple:
            raise UserError(f"--batch-size {batch_size} does not split evenly over {count} "
                            f"devices: use a multiple of {count}")
        return placement

    @property
    def writer(self) -> bool:
        return self.process == 0

    @property
    def batch_multiple(self) -> int:
        """JAX shards every batch evenly over the devices (TensorFlow's strategy splits any)."""
        return self.devices if keras.backend.backend() == "jax" else 1

    @property
    def verbose(self) -> int:
        """Keras' progress bar for process 0 on a terminal, a line an epoch in a log."""
        return 0 if not self.writer else 1 if sys.stdout.isatty() else 2

    @contextmanager
    def training(self) -> Iterator[list[str]]:
        """Inside: models are made, compiled and trained across the devices (their names
        are yielded); another process of the run dying ends this one with PeerLost."""
        with data_parallel(self.devices) as names:
            if self.devices > 1:
                print(f"training data-parallel on {self.devices} devices: {', '.join(names)}"
                      + (f" (this is process {self.process} of {self.processes})"
                         if self.processes > 1 else ""))
            try:
                yield names
            except Exception as err:  # a dead peer fails the next collective at once
                lost = peer_lost(err)
                if lost:
                    raise lost from err
                raise

    def release(self) -> None:
        """A process other than 0, trained: drop its scratch folder and say so."""
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            print(f"process {self.process} of {self.processes}: trained; process 0 saves the "
                  "model and the record")
