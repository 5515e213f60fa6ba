"""Hostile inputs against `reportlens run` (issue 14): wall time and peak RSS of the command on each.

Generates in a temporary folder a 200 MB text file, 1.5 MB of nested unclosed <div>s, a small .docx whose
document.xml unzips to 300 MB of empty paragraphs, and a million short lines with numbers; runs
`reportlens run FILE --time-limit 900` on each in a subprocess (REPORTLENS_EMBEDDER=tfidf) and prints the
seconds, the peak RSS of that command's process tree (os.wait4) and the one line it failed with.

Usage: .venv/bin/python bench/attacks.py [--only NAME,...]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def big_text(path: Path) -> None:
    line = b"The inspection team visited the harbour and reviewed the records of every pier.\n"
    with open(path, "wb") as handle:
        for _ in range(200 * 2**20 // (len(line) * 1000)):
            handle.write(line * 1000)


def nested_html(path: Path) -> None:
    path.write_text("<div>" * 300_000 + "Audit of the harbour.")


def docx_bomb(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Harbour audit.")
    document.save(path.with_suffix(".tmp"))
    with zipfile.ZipFile(path.with_suffix(".tmp")) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for member in original.infolist():
            if member.filename != "word/document.xml":
                out.writestr(member, original.read(member))
        with out.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                       b'wordprocessingml/2006/main"><w:body>')
            chunk = b"<w:p/>" * (2**20 // 6)
            for _ in range(300):
                part.write(chunk)
            part.write(b"</w:body></w:document>")
    path.with_suffix(".tmp").unlink()


def million_lines(path: Path) -> None:
    with open(path, "w") as handle:
        for n in range(1_000_000):
            handle.write(f"row {n} the county built {n % 97} sites\n")


ATTACKS = {"text-200mb": ("big.txt", big_text), "nested-html": ("deep.html", nested_html),
           "docx-bomb": ("bomb.docx", docx_bomb), "million-lines": ("lines.txt", million_lines)}


def timed_run(args: list[str], env: dict, name: str) -> tuple[float, int, str]:
    """Seconds, peak RSS in KiB of the command's process tree, and its line about the file ``name``."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=errors, text=True)
        _, _, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        errors.seek(0)
        lines = [line.strip() for line in errors.read().splitlines() if name in line]
    return seconds, usage.ru_maxrss, (lines[-1] if lines else "")[:160]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(ATTACKS))
    args = ap.parse_args()
    env = {**os.environ, "REPORTLENS_EMBEDDER": "tfidf", "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    work = Path(tempfile.mkdtemp(prefix="rl-attacks-"))
    try:
        print(f"{'attack':<14} {'file MB':>8} {'run s':>7} {'peak MB':>8}  message")
        for name in args.only.split(","):
            filename, make = ATTACKS[name]
            path = work / filename
            make(path)
            seconds, peak, message = timed_run(
                [sys.executable, "-m", "pipeline", "run", str(path), "--db", str(work / f"{name}.db"),
                 "--time-limit", "900", "--workers", "1"], env, filename)
            print(f"{name:<14} {path.stat().st_size / 2**20:>8.1f} {seconds:>7.1f} {peak / 1024:>8.0f}  {message}",
                  flush=True)
            path.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
