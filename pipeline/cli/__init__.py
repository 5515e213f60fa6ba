"""The `reportlens` command line: a thin typer layer over the library, one module per group of commands
(``jobs``: files into the store; ``reports``: what is stored; ``search``; ``serve``: the web view and the
install check), with what they share in ``common``.

Data goes to stdout, messages and progress to stderr; progress bars only on a terminal; NO_COLOR is
honoured (rich reads it). Exit codes: 0 ok, 1 some input failed or a runtime error, 2 usage error.
Heavy libraries (spaCy, torch) are imported inside the commands that need them, so `--help` is instant.
"""
from . import jobs, reports, search, serve  # noqa: F401  (each registers its commands, in this order)
from .common import app, main

__all__ = ["app", "main"]
