"""How the command line speaks: the console on stderr, text made safe to print, and the one-line errors
with their exit codes, among them the command group that turns what any command can meet at run time
into one line instead of a traceback. Light to import (rich loads when something is printed).
"""
from __future__ import annotations

import errno
import io
import os
import sys

import click
import typer
from typer.core import TyperGroup


def stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def printable(text: str) -> str:
    """``text`` with control and format characters (newlines, terminal escapes, bidi overrides) written as
    escapes: a file name must not break its line, drive the terminal or turn the line around."""
    import unicodedata

    return "".join(ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) in ("Cc", "Cf")
                   else ch for ch in text)


def fail(message: str, code: int = 1) -> "typer.Exit":
    from rich.markup import escape

    stderr_console().print(f"[red]error:[/red] {escape(printable(message))}", markup=True, soft_wrap=True)
    return typer.Exit(code)


def interrupted(detail: str = "") -> "typer.Exit":
    stderr_console().print(printable(f"reportlens: interrupted{detail}"), markup=False, soft_wrap=True)
    return typer.Exit(130)


def discard_stdout() -> None:
    """Point standard output at /dev/null: what is still buffered for a full disk would fail again at exit."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # not a file (a test runner's buffer)
        pass


class CommandGroup(TyperGroup):
    """The app's commands, run so that what any of them can meet at run time is one line on stderr and an
    exit code, never a traceback: the store cannot be read or written (``StoreError``), an export cannot
    be written (``ExportError``), standard output is on a full disk (1); Ctrl-C (130)."""

    def invoke(self, ctx: click.Context):
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a full disk under a redirected stdout shows here, not at exit
            return result
        except KeyboardInterrupt:
            raise interrupted() from None
        except (click.exceptions.Exit, click.ClickException):
            raise
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            discard_stdout()
            raise fail(f"{exc.filename or 'standard output'}: cannot write ({exc.strerror})") from None
        except Exception as exc:
            from .export import ExportError
            from .store import StoreError

            if isinstance(exc, (StoreError, ExportError)):
                raise fail(str(exc)) from None
            raise
