"""What a run ran on: the CPU, the accelerators the Keras backend sees, library versions."""

from __future__ import annotations

import importlib
import os
import platform as host
from pathlib import Path


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return host.processor() or host.machine()


def accelerators() -> list[str]:
    """GPUs the current Keras backend can use (empty on a CPU-only machine)."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    if backend == "jax":
        import jax

        return [str(d) for d in jax.devices() if d.platform == "gpu"]
    return []


def machine_busy_seconds() -> float | None:
    """CPU seconds every process on this machine has used since boot, steal time included
    (Linux's /proc/stat: the cores another VM took count as busy); None where unknown."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def environment() -> dict:
    """Hardware and library versions of this process."""
    import keras
    import numpy

    backend = keras.backend.backend()
    versions = {"python": host.python_version(), "keras": keras.__version__,
                "backend": backend, "numpy": numpy.__version__}
    if backend in ("tensorflow", "torch", "jax"):
        versions[backend] = importlib.import_module(backend).__version__
    return {
        "hardware": {"cpu": cpu_name(), "cores": os.cpu_count(), "gpus": accelerators(),
                     "platform": host.platform()},
        "versions": versions,
    }


def machine_name(hardware: dict) -> str:
    """A record's machine as every table names it: 'AMD EPYC, 2 cores', then its GPUs."""
    gpus = ", ".join(hardware.get("gpus") or [])
    return f"{hardware['cpu']}, {hardware['cores']} cores" + (f", {gpus}" if gpus else "")
