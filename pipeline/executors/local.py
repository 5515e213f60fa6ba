"""The local executor: the batch's files in this process, or in worker processes of this machine.

``map_files`` is what ``batch.run`` calls for ``--executor local`` (the default): it yields each file's
``batch._Work`` as it finishes. The Ray executor (``executors.ray_pool``) yields the same.
"""
from __future__ import annotations

import os
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import active_children, get_context
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Optional

if TYPE_CHECKING:  # pragma: no cover
    from ..batch import _Work


def _init_worker(workers: int) -> None:
    """Share the cores among the workers: a sentence encoder that takes every core in each of two
    workers makes both wait on each other (measured: the batch 1.7x slower)."""
    from ..embed import ENCODER_THREADS_ENV

    os.environ.setdefault(ENCODER_THREADS_ENV, str(max(1, (os.cpu_count() or 1) // workers)))
    exit_with_parent()


# How often a worker looks whether the batch that started it is still there.
PARENT_CHECK_SECONDS = 1.0


def exit_with_parent(interval: float = PARENT_CHECK_SECONDS) -> None:
    """End this process soon after its parent is gone. A worker busy with a long file only notices that
    the pool closed when the file is done (minutes, after a SIGKILLed batch); a daemon thread watches the
    parent's pid instead (an orphan is re-parented, so ``getppid`` changes) and exits at once."""
    import threading

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="reportlens-parent-watch", daemon=True).start()


def map_files(paths: list[Path], db: str, analyze: bool, version: str, workers: int,
              time_limit_s: Optional[float], on_file: Optional[Callable[[Path], None]] = None,
              known_ids: Optional[frozenset[str]] = None) -> Iterator[_Work]:
    """Process files in this process, or in ``workers`` processes, yielding results as they finish.

    Each worker process is its own single-process pool, so that one can be replaced alone: a worker that
    gave up on a file (or died) takes no more files; once its files in flight are back (those it declines
    return for a retry) a fresh process takes its place, while the other workers go on.
    """
    from .. import batch  # here: batch imports this module (its old names), a spawned worker this one first
    from ..batch import _Work
    if workers <= 1 or len(paths) <= 1:
        for path in paths:
            if on_file:
                on_file(path)
            yield batch.process_file(path, db, analyze, version, time_limit_s, known_ids=known_ids)
        return
    from concurrent.futures import FIRST_COMPLETED, wait

    def new_worker() -> ProcessPoolExecutor:
        # spawn, not fork: the parent holds an open SQLite connection that a forked child must not inherit.
        return ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"),
                                   initializer=_init_worker, initargs=(workers,))

    queue: deque[Path] = deque(paths)
    slots = [new_worker() for _ in range(workers)]
    retiring = [False] * workers
    pending: dict = {}  # future -> (path, slot)
    try:
        while queue or pending:
            # Keep only a couple of files in flight per worker, so memory stays flat however large the batch.
            for slot in range(workers):
                while queue and not retiring[slot] and \
                        sum(1 for _, s in pending.values() if s == slot) < 2:
                    path = queue.popleft()
                    future = slots[slot].submit(batch.process_file, path, db, analyze, version, time_limit_s, True,
                                                        known_ids)
                    pending[future] = (path, slot)
            if not pending:
                break
            if on_file:
                on_file(next(iter(pending.values()))[0])  # the oldest in flight
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: str(pending[f][0])):
                path, slot = pending.pop(future)
                try:
                    work = future.result()
                except Exception as exc:  # the worker died (e.g. killed by the OOM killer)
                    work = _Work(path, error=f"worker failed: {type(exc).__name__}: {exc}")
                    retiring[slot] = True
                if work.retry:
                    queue.appendleft(path)
                    continue
                retiring[slot] = retiring[slot] or work.timed_out
                yield work
            for slot in range(workers):
                if retiring[slot] and not any(s == slot for _, s in pending.values()):
                    slots[slot].shutdown(wait=False, cancel_futures=True)
                    slots[slot], retiring[slot] = new_worker(), False
    except BaseException:
        # Ctrl-C or a failure in the parent: files in flight are not waited for (a worker would finish its
        # file first, minutes for a long one); nothing of theirs has been stored, so they are simply ended.
        for worker in slots:
            worker.shutdown(wait=False, cancel_futures=True)
        for child in active_children():
            child.terminate()
        raise
    for worker in slots:
        worker.shutdown(wait=True, cancel_futures=True)
