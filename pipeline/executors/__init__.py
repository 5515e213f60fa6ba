"""Where the batch's per-file work runs: ``local`` (this machine's processes, the default) or ``ray`` (a Ray
cluster, or a Ray instance started on this machine). Each executor maps files to ``batch._Work`` results,
yielded as they finish; the driver (``batch.run``) stores them the same way whichever ran them.

Ray is imported only when it is chosen (``pip install -e '.[scale]'``).
"""
from __future__ import annotations

from typing import Callable, Iterator, Optional

EXECUTORS = ("local", "ray")


class ScaleError(Exception):
    """The scale-out path cannot run (Ray or pyarrow not installed, no cluster, no shard folder): one line."""


def mapper(name: str, address: Optional[str] = None) -> Callable[..., Iterator]:
    """The ``map_files(paths, db, analyze, version, workers, time_limit_s, on_file)`` of executor ``name``."""
    if name == "local":
        from .local import map_files

        return map_files
    if name == "ray":
        from functools import partial

        from .ray_pool import map_files

        return partial(map_files, address=address)
    raise ValueError(f"unknown executor {name!r} (use {' or '.join(EXECUTORS)})")
