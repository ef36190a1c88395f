"""Both cores for the work NumPy does on one: a batch's images in parts, each part on a
thread of its own. NumPy releases Python's lock inside its copies and matrix products, so
the threads run at once; the BLAS library is held to one thread inside them, or each
product would start threads of its own and the two kinds would fight for the cores.
Work handed out from a thread that is itself one of the parts runs there, one item after
another (the cores are busy already, and a thread waiting on its own pool would wait
forever).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
from threadpoolctl import ThreadpoolController

T = TypeVar("T")
R = TypeVar("R")

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
_worker = threading.local()


def _mark_worker() -> None:
    _worker.busy = True


_threads = (ThreadPoolExecutor(CORES, thread_name_prefix="scratch", initializer=_mark_worker)
            if CORES > 1 else None)
_blas = ThreadpoolController()
SMALL = 1 << 16  # elements: below this, one thread does elementwise work faster


def one_blas_thread() -> contextlib.AbstractContextManager:
    """BLAS on one thread while it lasts: a network's pass holds it, so the products between
    the threaded parts do not wake BLAS' own threads, which then spin and take the cores the
    chunks need."""
    return _blas.limit(limits=1, user_api="blas")


def on_each(work: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``work(item)`` for every item, on every core; the results in the items' order, so
    a sum over them is the same whatever thread finished first."""
    if _threads is None or len(items) < 2 or getattr(_worker, "busy", False):
        return [work(item) for item in items]
    with one_blas_thread():
        return list(_threads.map(work, items))


def chunks(count: int, size_each: int, chunk_size: int) -> list[slice]:
    """``count`` items (images) of ``size_each`` in about equal chunks of at most
    ``chunk_size``, and at least one per core."""
    parts = min(count, max(CORES, -(-count * size_each // chunk_size)))
    size = max(1, -(-count // max(parts, 1)))  # no images: no chunk
    return [slice(start, min(count, start + size)) for start in range(0, count, size)]


def split(x: np.ndarray) -> list[slice]:
    """``x``'s rows in one part per core for elementwise work (the cache does not matter
    there); a small array in one part, where a thread costs more than it saves."""
    cores = CORES if x.size >= SMALL else 1
    return chunks(len(x), 1, max(1, -(-len(x) // cores)))
