"""The Ray executor: the batch's files read and analysed by Ray actors, on a cluster or on this machine.

Each actor is one process holding one CPU; it loads the spaCy pipeline and the sentence encoder once, on
its first file, and then runs ``batch.process_file`` on every file it is given: ingestion, the stages and
the item vectors, exactly what a local worker process does. Results stream back to the driver
(``batch.run``) as they finish, and only the driver writes, one transaction per report.

The driver's store is a SQLite file on the driver's machine: an actor on that machine reads it as a
local worker does (the stored versions, the embedding cache); an actor elsewhere gets the ids of the
reports stored at this analysis version instead (sent once per actor) and encodes
every item. Faults: an actor that dies (killed, out of memory, its node lost) is restarted by Ray and its
files in flight are retried (``MAX_TASK_RETRIES``); a file that kills its worker every time becomes one
line ("worker failed ...") and the batch goes on. An actor that gave up on a file (the time limit) is
restarted too, as a local worker is replaced.
"""
from __future__ import annotations

import logging
import os
from collections import deque
from pathlib import Path
from typing import Callable, Iterator, Optional

from ..batch import _Work
from . import ScaleError

# Files in flight per actor: one running, one queued, so an actor never waits on the driver.
IN_FLIGHT = 2
# How often Ray runs a file again when its actor died while on it (then the file fails alone).
MAX_TASK_RETRIES = 2
# The driver's environment that actors take (the embedder choice, encoder threads, offline switches).
ENV_PREFIXES = ("REPORTLENS_", "HF_", "TRANSFORMERS_")


class Analyzer:
    """A Ray actor (made remote in ``_remote_analyzer``): one process running ``batch.process_file``."""

    def __init__(self, env: dict[str, str], driver_node: str, known_ids: Optional[frozenset[str]]):
        import ray

        from ..embed import ENCODER_THREADS_ENV

        os.environ.update(env)
        os.environ.setdefault(ENCODER_THREADS_ENV, "1")  # one CPU per actor, as local workers share cores
        self.on_driver_node = ray.util.get_node_ip_address() == driver_node
        self.known_ids = known_ids

    def pid(self) -> int:
        return os.getpid()

    def process(self, path: str, db: Optional[str], analyze: bool, version: str,
                time_limit_s: Optional[float]) -> _Work:
        from .. import batch

        # the store is read where it is (SQLite over a network share is not safe): elsewhere, the ids
        if not (db and self.on_driver_node and os.path.isfile(db)):
            db = None
        return batch.process_file(Path(path), db, analyze, version, time_limit_s, in_worker=True,
                                  known_ids=None if db else self.known_ids)


def _remote_analyzer(ray):
    return ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=MAX_TASK_RETRIES)(Analyzer)


def connect(address: Optional[str], workers: int) -> bool:
    """Join the Ray cluster at ``address`` (``auto``: the one ``ray start`` runs here, or ``RAY_ADDRESS``),
    or start a Ray instance on this machine with ``workers`` CPUs. True when this call started Ray."""
    try:
        import ray
    except ImportError:
        raise ScaleError("--executor ray needs Ray: pip install -e '.[scale]'") from None
    if ray.is_initialized():
        return False
    options = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
    if address or os.environ.get("RAY_ADDRESS"):
        try:
            ray.init(address=address or os.environ["RAY_ADDRESS"], **options)
        except ConnectionError as exc:
            raise ScaleError(f"cannot reach the Ray cluster at {address or os.environ['RAY_ADDRESS']} "
                             f"({str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__})") from None
    else:
        # Ray turns token authentication on for a new local instance, and says so on stderr at every run:
        # that notice is not news to a user of this command (the auth stays on; other warnings still show)
        logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)
        ray.init(num_cpus=max(1, workers or (os.cpu_count() or 1)), **options)
    return True


def map_files(paths: list[Path], db: Optional[str], analyze: bool, version: str, workers: int,
              time_limit_s: Optional[float], on_file: Optional[Callable[[Path], None]] = None,
              known_ids: Optional[frozenset[str]] = None, address: Optional[str] = None) -> Iterator[_Work]:
    """Process files on Ray actors (``workers`` of them; 0: one per CPU of the cluster), yielding results as
    they finish."""
    if not paths:
        return
    started_here = connect(address, workers)
    import ray
    from ray.exceptions import RayError

    actors = []
    try:
        n = workers or int(ray.cluster_resources().get("CPU", 1))
        n = max(1, min(n, len(paths)))
        env = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIXES)}
        remote = _remote_analyzer(ray)
        driver_node = ray.util.get_node_ip_address()
        # the ids by value: Ray keeps large arguments in its object store itself, for the actor's restarts
        actors = [remote.remote(env, driver_node, known_ids) for _ in range(n)]
        queue: deque[Path] = deque(paths)
        pending: dict = {}  # object ref -> (path, actor number)
        while queue or pending:
            for i, actor in enumerate(actors):
                while queue and sum(1 for _, a in pending.values() if a == i) < IN_FLIGHT:
                    path = queue.popleft()
                    ref = actor.process.remote(str(path), db, analyze, version, time_limit_s)
                    pending[ref] = (path, i)
            if on_file:
                on_file(next(iter(pending.values()))[0])  # the oldest in flight
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                path, i = pending.pop(ref)
                try:
                    work = ray.get(ref)
                except RayError as exc:  # its actor died on it every time it was tried
                    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    work = _Work(path, error=f"worker failed: {type(exc).__name__}" + (f": {reason}" if reason else ""))
                if work.retry:  # declined by an actor that timed out before: it is being restarted
                    queue.appendleft(path)
                    continue
                if work.timed_out:
                    # its process may hold half-done state: a fresh one takes its place (files it holds retry)
                    ray.kill(actors[i], no_restart=False)
                work.path = path
                yield work
    finally:
        for actor in actors:
            ray.kill(actor, no_restart=True)
        if started_here:
            ray.shutdown()
