"""Where the milliseconds of a training step go: each layer's forward and backward pass and
the update, timed step by step (medians), beside the whole step's time; the train
command's ``--profile N`` (it trains nothing).

    python -m experiments.scratch05_deep_convnet.train --profile 20
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from common.basics.paths import relative
from common.basics.provenance import git_commit, stamp
from common.data.datasets import get_dataset
from common.data.loading import load, scale
from common.records.store import new_record, write_record
from common.scratch.network import Network
from common.scratch.optimizers import OPTIMIZERS
from common.scratch.parallel import CORES
from common.scratch.recipe import ScratchRun, ScratchSettings

WARM_UP = 2  # steps not counted: the first allocations and the caches


def layer_times(network: Network, optimizer, x: np.ndarray, y: np.ndarray, steps: int,
                batch_size: int) -> dict[str, list[float]]:
    """Seconds per step of each layer's forward (``"<name> forward"``) and backward, of the
    loss (``"loss forward"``: softmax, cross-entropy and their gradient), of the update
    (``"update forward"``) and of the whole ``step``, over ``steps`` batches of ``x`` in order.
    The layers' times are the first core's, on its part of the batch, while the other
    cores take theirs (``Network.gradient``)."""
    times: dict[str, list[float]] = {}

    def timed(key: str, work):
        start = time.perf_counter()
        out = work()
        times.setdefault(key, []).append(time.perf_counter() - start)
        return out

    for step in range(WARM_UP + steps):
        batch = slice((step * batch_size) % max(len(x) - batch_size + 1, 1), None)
        start = time.perf_counter()
        network.gradient(x[batch][:batch_size], y[batch][:batch_size], clock=timed)
        timed("update forward", lambda: optimizer.update(network.params, network.grads))
        times.setdefault("step", []).append(time.perf_counter() - start)
    return {key: values[WARM_UP:] for key, values in times.items()}


def table(times: dict[str, list[float]], batch_size: int, part: int | None = None) -> str:
    """A Markdown table: each layer's forward and backward milliseconds (medians) on a
    core's ``part`` of the batch, then the step's, its images a second and the cores."""
    ms = {key: 1000 * float(np.median(values)) for key, values in times.items()}
    names = dict.fromkeys(key.rsplit(" ", 1)[0] for key in times if key != "step")
    whose = f" (one core's {part} images)" if part and part < batch_size else ""
    lines = [f"| layer{whose} | forward | backward |", "|---|---|---|"]
    for name in names:
        cells = [f"{ms[key]:.2f} ms" if key in ms else ""
                 for key in (f"{name} forward", f"{name} backward")]
        label = {"loss": "softmax with loss", "update": "the update"}.get(name, name)
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    step = ms["step"]
    lines.append(f"| **a step** (batch {batch_size}, {CORES} cores) | **{step:.1f} ms** "
                 f"| {batch_size / step * 1000:,.0f} images a second |")
    return "\n".join(lines)


def profile(name: str, build_model: Callable[..., Network], settings: ScratchSettings,
            run: ScratchRun) -> Path:
    """Time ``run.profile`` steps of the recipe on the training images, layer by layer;
    print the table and keep it as a record (``results/<name>/profile-<time>.json``)."""
    commit, data = git_commit(), load(get_dataset(settings.dataset), run.data)
    network = build_model(seed=run.seed, **settings.network_options)
    times = layer_times(network, OPTIMIZERS[settings.optimizer](settings.learning_rate),
                        scale(data.x_train[:run.limit]), data.y_train[:run.limit],
                        run.profile, settings.batch_size)
    part = network.parts(settings.batch_size)[0]
    text = table(times, settings.batch_size, part.stop - part.start)
    print(f"{settings.network}, {run.profile} steps (medians):\n{text}")
    path = write_record(run.results_dir, name, f"profile-{stamp()}", new_record(
        "profile", commit, experiment=name, seed=run.seed, settings=settings.describe(),
        data={**data.describe(), "limit": run.limit}, steps=run.profile, cores=CORES,
        median_ms={key: round(1000 * float(np.median(v)), 3) for key, v in times.items()},
        table=text))
    print(f"recorded {relative(path)}")
    return path
