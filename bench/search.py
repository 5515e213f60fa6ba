"""Search benchmark: latency at 100,000 and 1,000,000 practices, and ranking quality on hand-written queries.

1. Builds (or reuses, --source-db) a store from ../shared/corpus with `reportlens run`.
2. Quality: the queries in bench/search_queries.json (each with the words an acceptable hit contains)
   scored per mode: MRR and recall@5.
3. Scale: for each of --sizes (default 100,000 and 1,000,000), copies the stored practices (with their
   vectors, a little noise added) into a store of that many practices under copies of the reports, then
   prints the index's load time and memory, its recall@10 against exact float32 search over the bench's
   queries, the in-memory word index's build time, memory and agreement with FTS5's bm25, warm query
   latency p50/p95 per mode of a resident searcher (as `reportlens serve` keeps it) next to exact float32
   semantic search and FTS5 keyword search, and the cold time of one `reportlens search` command for
   keyword and hybrid queries.

Usage: .venv/bin/python bench/search.py [--sizes 100000,1000000] [--source-db PATH] [--keep DIR]
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
    """Copy ``source`` to ``target`` and add copies of its practices (under copies of their reports) until
    it holds ``size`` practices; returns how many it holds.

    All rows go in with one ``executemany`` per table in one unjournalled transaction, and the keyword
    index is rebuilt once at the end instead of row by row from its trigger. A copy's vector is the
    original's plus a little noise (cosine ≈ 0.9 to it), so the index holds ``size`` distinct vectors and
    an approximate search is measured against exact on a realistic spread, not on exact ties. The copies
    of the reports keep their title and regions but not their text or summary, which item search does
    not read.
    """
    shutil.copy(source, target)
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")  # a scratch copy: nothing to recover after a crash
    conn.execute("PRAGMA synchronous = OFF")
    base = conn.execute("SELECT i.rowid, i.report_id, i.item_id, i.text, i.detail, i.start, i.end, i.data "
                        "FROM items i JOIN item_vectors v ON v.item_rowid = i.rowid "
                        "WHERE i.kind = 'practices' ORDER BY i.rowid").fetchall()
    have = conn.execute("SELECT COUNT(*) FROM items WHERE kind = 'practices'").fetchone()[0]
    model = conn.execute("SELECT model FROM item_vectors LIMIT 1").fetchone()[0]
    vectors = dict(conn.execute("SELECT item_rowid, vector FROM item_vectors"))
    base_vectors = np.stack([np.frombuffer(vectors[r[0]], dtype=np.float32) for r in base])
    columns = [r[1] for r in conn.execute("PRAGMA table_info(reports)")]
    reports = conn.execute("SELECT * FROM reports").fetchall()
    text_at, summary_at = columns.index("text"), columns.index("summary")
    wanted = max(0, size - have)
    copies = -(-wanted // len(base))
    first = conn.execute("SELECT MAX(rowid) FROM items").fetchone()[0] + 1
    rng = np.random.default_rng(15)
    trigger = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'items_fts_insert'").fetchone()[0]
    conn.execute("BEGIN")
    conn.execute("DROP TRIGGER items_fts_insert")
    conn.executemany(f"INSERT INTO reports VALUES ({','.join('?' * len(columns))})",
                     ((f"{row[0]}-copy{c}", *row[1:text_at], "", *row[text_at + 1:summary_at], None,
                       *row[summary_at + 1:]) for c in range(1, copies + 1) for row in reports))
    conn.executemany(
        "INSERT INTO items (rowid, report_id, kind, item_id, ord, text, detail, start, end, data) "
        "VALUES (?, ?, 'practices', ?, 0, ?, ?, ?, ?, ?)",
        ((first + n, f"{row[1]}-copy{n // len(base) + 1}", *row[2:]) for n, row in
         ((n, base[n % len(base)]) for n in range(wanted))))
    for chunk in range(0, wanted, 100_000):
        n = np.arange(chunk, min(wanted, chunk + 100_000))
        noisy = base_vectors[n % len(base)] + rng.standard_normal((len(n), base_vectors.shape[1]),
                                                                   dtype=np.float32) * (0.5 / base_vectors.shape[1] ** 0.5)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        conn.executemany("INSERT INTO item_vectors VALUES (?, ?, ?)",
                         ((first + int(i), model, v.tobytes()) for i, v in zip(n, noisy)))
    conn.execute("INSERT INTO items_fts (items_fts) VALUES ('rebuild')")
    conn.execute(trigger)
    conn.execute("COMMIT")
    conn.close()
    return have + wanted


def latency(db: Path, queries: list[str], recall_queries: list[str]) -> None:
    import resource

    from pipeline.search import Searcher, one_blas_thread
    from pipeline.store import Store

    from pipeline.search import Filters, content_terms

    with Store(db) as store:
        searcher = Searcher(store, resident=True)  # as `reportlens serve` keeps it
        searcher.embedder.embed(["load the encoder"])
        t = time.perf_counter()
        index = searcher.index
        loaded = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\n{len(index):,} vectors: index loaded in {loaded:.1f} s, holds {index.nbytes / 2**20:,.0f} MiB "
              f"(float32 vectors and int8 codes); process peak RSS {peak:,.0f} MiB")
        t = time.perf_counter()
        words = searcher.keyword_index()
        built = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{len(words):,} items: word index built in {built:.1f} s, holds {words.nbytes / 2**20:,.0f} MiB "
              f"({len(words.positions):,} postings); process peak RSS {peak:,.0f} MiB")
        english = [q for q in recall_queries if not re.search(r"[\u3400-\u9fff]", q)]
        same = answered = 0
        for q in english:
            fts = store.keyword_ranking("items_fts", " OR ".join(f'"{t}"' for t in content_terms(q)),
                                        ["practices"], Filters(), 50)
            mine = words.ranking(store, content_terms(q), ["practices"], None, 50)
            answered += mine is not None
            same += mine == fts
        print(f"word index against FTS5's bm25 over {len(english)} queries: {answered} answered from memory, "
              f"{same} top-50 lists identical (rowids, order and scores)")
        with one_blas_thread():
            vectors = searcher.embedder.embed(recall_queries)
            found = [(index.search(v, 10, ["practices"]), index.search(v, 10, ["practices"], exact=True))
                     for v in vectors]
        recall = statistics.mean(len({r for r, _ in fast} & {r for r, _ in exact}) / 10 for fast, exact in found)
        same = sum([r for r, _ in fast] == [r for r, _ in exact] for fast, exact in found)
        print(f"recall@10 of the index against exact float32 over {len(vectors)} queries: {recall:.4f} "
              f"({same} of {len(vectors)} top-10 lists in the same order)")
        searcher.search(queries[0], mode="hybrid")  # warm
        print(f"warm latency, {len(queries)} queries x 5")
        print(f"{'mode':>22} {'p50 ms':>8} {'p95 ms':>8}")
        for mode in ("keyword", "semantic", "hybrid"):
            times = []
            for _ in range(5):
                for q in queries:
                    t = time.perf_counter()
                    searcher.search(q, mode=mode, limit=10)
                    times.append(1000 * (time.perf_counter() - t))
            print(f"{mode:>22} {statistics.median(times):>8.1f} {np.percentile(times, 95):>8.1f}")
        times = []
        for _ in range(5):
            for q in queries:
                t = time.perf_counter()
                with one_blas_thread():
                    index.search(searcher.embedder.embed([q])[0], 50, ["practices"], exact=True)
                times.append(1000 * (time.perf_counter() - t))
        print(f"{'semantic, exact only':>22} {statistics.median(times):>8.1f} {np.percentile(times, 95):>8.1f}")
        one_off = Searcher(store, searcher.embedder)  # what a single `reportlens search` command asks: FTS5
        times = []
        for _ in range(5):
            for q in queries:
                t = time.perf_counter()
                one_off.search(q, mode="keyword", limit=10)
                times.append(1000 * (time.perf_counter() - t))
        print(f"{'keyword, FTS5 only':>22} {statistics.median(times):>8.1f} {np.percentile(times, 95):>8.1f}")
        one_off.close()
        searcher.close()


def cold(db: Path, query: str) -> None:
    print("cold `reportlens search` (one process per query)")
    for mode in ("keyword", "hybrid"):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pipeline", "search", query, "--db", str(db), "--mode", mode,
                        "--json"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        print(f"{mode:>9} {time.perf_counter() - t:6.2f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000", help="practices in each scaled store, comma-separated")
    ap.add_argument("--source-db", type=Path, help="a store of ../shared/corpus built before (skips `reportlens run`)")
    ap.add_argument("--keep", type=Path, help="folder to keep the scaled stores in, and to reuse them from")
    args = ap.parse_args()
    if not SHARED.is_dir() and not args.source_db:
        print("bench/search.py: ../shared/corpus is absent; nothing to measure")
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    work = Path(tempfile.mkdtemp(prefix="rl-search-"))
    try:
        source = args.source_db or work / "source.db"
        if not args.source_db:
            build_source(source)
        quality(source)
        queries = ["demonstration sites", "training of party cadres", "data sharing between agencies",
                   "oversight of grant funding", "workforce planning", "cybersecurity requirements for contractors"]
        cases = json.loads(QUERIES.read_text(encoding="utf-8")) if QUERIES.exists() else []
        for size in sizes:
            folder = args.keep or work
            folder.mkdir(parents=True, exist_ok=True)
            big = folder / f"scaled-{size}.db"
            t = time.perf_counter()
            if not big.exists():
                n = scale_store(source, big, size)
                print(f"\nscaled store: {n:,} practices, built in {time.perf_counter() - t:.0f} s")
            else:
                print(f"\nscaled store: {big} (reused)")
            latency(big, queries, queries + [c["query"] for c in cases])
            cold(big, queries[0])
            if not args.keep:
                big.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
