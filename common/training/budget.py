"""What a recipe was made for, and what it costs elsewhere: a recipe made for a GPU
(``Settings.budget``), started on a machine without one, says first how long it would take
there, from its training FLOPs and the rate this machine's own recorded runs reached. It
still runs: the line only says what to expect."""

from __future__ import annotations

import os
import statistics
from pathlib import Path

import keras

from common.basics.hardware import accelerators, cpu_name, machine_name
from common.basics.markdown import hours_and_minutes
from common.models.flops import training_flops
from common.records.store import read_records


def measured_rate(results_dir: Path) -> float | None:
    """Training FLOP/s of this machine (its CPU model and core count, no GPU): the median
    of its recorded runs' training FLOPs over their training seconds; None without any."""
    rates = [r["train_flops"] / r["train_seconds"] for r in read_records(results_dir)
             if r["kind"] == "train" and r.get("train_flops") and r.get("train_seconds")
             and not r["hardware"]["gpus"] and r["hardware"]["cpu"] == cpu_name()
             and r["hardware"]["cores"] == os.cpu_count() and not r.get("members")]
    return statistics.median(rates) if rates else None


def gpu_recipe_on_a_cpu(budget: str | None) -> bool:
    """Whether a recipe made for a GPU (its budget says so) is about to run without one."""
    return bool(budget) and "GPU" in budget and not accelerators()


def cpu_estimate(name: str, budget: str | None, network: keras.Model, images: int,
                 results_dir: Path) -> str | None:
    """One line for a GPU recipe about to train on ``images`` images (all its epochs, all
    its networks) on a machine without a GPU; None otherwise."""
    if not gpu_recipe_on_a_cpu(budget):
        return None
    flops = training_flops(network, images)
    rate = measured_rate(results_dir)
    where = machine_name({"cpu": cpu_name(), "cores": os.cpu_count(), "gpus": []})
    if rate is None:
        return (f"note: {name} was made for {budget} and this machine has none: "
                f"{flops / 1e15:.2f} PFLOP of training, and no recorded run here to time them "
                f"by ({where}). It runs anyway.")
    return (f"note: {name} was made for {budget} and this machine has none: "
            f"{flops / 1e15:.2f} PFLOP of training at the {rate / 1e9:.0f} GFLOP/s this "
            f"machine's recorded runs reached ({where}) is about "
            f"{hours_and_minutes(flops / rate)}. "
            f"It runs anyway (Ctrl-C stops it; the same command resumes).")
