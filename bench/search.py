"""Search benchmark: latency at 100,000 practices, and ranking quality on hand-written queries.

1. Builds (or reuses, --source-db) a store from ../shared/corpus with `reportlens run`.
2. Quality: the queries in bench/search_queries.json (each with the words an acceptable hit contains)
   scored per mode: MRR and recall@5.
3. Scale: copies the stored practices (with their vectors) into a store of --size practices under
   varied report ids, then prints warm query latency p50/p95 per mode next to a brute-force numpy
   baseline (full matrix product + full sort), and the cold time of one `reportlens search` command
   for keyword and hybrid queries.

Usage: .venv/bin/python bench/search.py [--size 100000] [--source-db PATH]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"
QUERIES = Path(__file__).with_name("search_queries.json")
sys.path.insert(0, str(ROOT))


def build_source(db: Path) -> None:
    inputs = [str(p) for p in sorted(SHARED.rglob("*")) if p.suffix in {".txt", ".md"} and p.name != "MANIFEST.tsv"]
    subprocess.run([sys.executable, "-m", "pipeline", "run", *inputs, "--db", str(db)], check=True, cwd=ROOT)


def quality(db: Path) -> None:
    from pipeline.search import Searcher
    from pipeline.store import Store

    if not QUERIES.exists():
        print("no bench/search_queries.json: quality not measured")
        return
    cases = json.loads(QUERIES.read_text(encoding="utf-8"))
    for case in cases:
        case["lang"] = "zh" if re.search(r"[\u3400-\u9fff]", case["query"]) else "en"
    groups = [("all", cases)] + [(lang, [c for c in cases if c["lang"] == lang]) for lang in ("en", "zh")]
    print(f"\nquality over {len(cases)} queries ({sum(c['lang'] == 'zh' for c in cases)} in Chinese)")
    print(f"{'mode':>9} " + " ".join(f"{name + ' MRR':>9} {name + ' R@5':>9}" for name, group in groups if group))
    with Store(db) as store:
        searcher = Searcher(store)
        for mode in ("keyword", "semantic", "hybrid"):
            rr, hits5 = {}, {}
            for case in cases:
                try:
                    hits = searcher.search(case["query"], mode=mode, limit=10, kinds=case.get("kinds", ["practices"]))
                except Exception:
                    hits = []
                relevant = [i for i, h in enumerate(hits, start=1)
                            if all(w.lower() in f"{h.text} {h.detail}".lower() for w in case["expect"])]
                rr[id(case)] = 1 / relevant[0] if relevant else 0.0
                hits5[id(case)] = 1.0 if relevant and relevant[0] <= 5 else 0.0
            cells = [f"{statistics.mean(rr[id(c)] for c in group):>9.3f} "
                     f"{statistics.mean(hits5[id(c)] for c in group):>9.3f}" for _, group in groups if group]
            print(f"{mode:>9} " + " ".join(cells))


def scale_store(source: Path, target: Path, size: int) -> int:
    shutil.copy(source, target)
    conn = sqlite3.connect(target)
    base = conn.execute("SELECT i.rowid, i.report_id, i.item_id, i.text, i.detail, i.start, i.end, i.data "
                        "FROM items i WHERE i.kind = 'practices'").fetchall()
    vectors = dict(conn.execute("SELECT item_rowid, vector FROM item_vectors"))
    model = conn.execute("SELECT model FROM item_vectors LIMIT 1").fetchone()[0]
    reports = {r[0]: r for r in conn.execute("SELECT * FROM reports")}
    have = len(base)
    copy = 0
    conn.execute("BEGIN")
    while have < size:
        copy += 1
        for rid in reports:
            row = list(reports[rid])
            row[0] = f"{rid}-copy{copy}"
            conn.execute(f"INSERT INTO reports VALUES ({','.join('?' * len(row))})", row)
        for rowid, rid, item_id, text, detail, start, end, data in base:
            cur = conn.execute(
                "INSERT INTO items (report_id, kind, item_id, ord, text, detail, start, end, data) "
                "VALUES (?, 'practices', ?, 0, ?, ?, ?, ?, ?)",
                (f"{rid}-copy{copy}", item_id, text, detail, start, end, data))
            if rowid in vectors:
                conn.execute("INSERT INTO item_vectors VALUES (?, ?, ?)", (cur.lastrowid, model, vectors[rowid]))
            have += 1
            if have >= size:
                break
    conn.execute("COMMIT")
    conn.close()
    return have


def latency(db: Path, queries: list[str]) -> None:
    from pipeline.search import Searcher
    from pipeline.store import Store

    with Store(db) as store:
        searcher = Searcher(store)
        searcher.search(queries[0], mode="hybrid")  # load the encoder and the index
        print(f"\nwarm latency over {len(searcher.index):,} vectors, {len(queries)} queries x 5")
        print(f"{'mode':>18} {'p50 ms':>8} {'p95 ms':>8}")
        for mode in ("keyword", "semantic", "hybrid"):
            times = []
            for _ in range(5):
                for q in queries:
                    t = time.perf_counter()
                    searcher.search(q, mode=mode, limit=10)
                    times.append(1000 * (time.perf_counter() - t))
            print(f"{mode:>18} {statistics.median(times):>8.1f} {np.percentile(times, 95):>8.1f}")
        matrix = searcher.index.matrix.copy()
        times = []
        for _ in range(5):
            for q in queries:
                t = time.perf_counter()
                v = searcher.embedder.embed([q])[0]
                np.argsort(-(matrix @ v))[:10]
                times.append(1000 * (time.perf_counter() - t))
        print(f"{'numpy brute force':>18} {statistics.median(times):>8.1f} {np.percentile(times, 95):>8.1f}")


def cold(db: Path, query: str) -> None:
    print("\ncold `reportlens search` (one process per query)")
    for mode in ("keyword", "hybrid"):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pipeline", "search", query, "--db", str(db), "--mode", mode,
                        "--json"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        print(f"{mode:>9} {time.perf_counter() - t:6.2f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--source-db", type=Path)
    args = ap.parse_args()
    if not SHARED.is_dir() and not args.source_db:
        print("bench/search.py: ../shared/corpus is absent; nothing to measure")
        return 0
    work = Path(tempfile.mkdtemp(prefix="rl-search-"))
    try:
        source = args.source_db or work / "source.db"
        if not args.source_db:
            build_source(source)
        quality(source)
        big = work / "big.db"
        n = scale_store(source, big, args.size)
        print(f"\nscaled store: {n:,} practices")
        queries = ["demonstration sites", "training of party cadres", "data sharing between agencies",
                   "oversight of grant funding", "workforce planning", "cybersecurity requirements for contractors"]
        latency(big, queries)
        cold(big, queries[0])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
