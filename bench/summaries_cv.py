"""Cross-validation of the abstract's two fitted weights on the summary benchmark (bench/summaries.py): how
much of reportlens[tfidf]'s ROUGE comes from choosing the weights on the same reports.

The "early in the report" weight (pipeline.abstract.W_EARLY) and the "close to the findings' centroid"
weight (W_POINTS) were chosen from a small grid on the bench's own mean ROUGE. This script:
1. Takes the bench's reports, cuts and references (summaries.load_reports, summaries.prepare: each report
   ingested and analysed ONCE, the analyses kept in memory).
2. For every grid point (--early x --points) and report, picks k sentences with
   pipeline.abstract.abstract(analysis, None, k, early=, points=) -- TF-IDF, the shipped variant; every
   other weight as shipped -- and scores them with ROUGE-1/2/L F1 (rouge-score, use_stemmer=True) against
   the What GAO Found reference, as the bench does.
3. For each split of the reports into training and held-out parts -- 2-fold with 5 seeded shuffles
   (numpy default_rng(seed).permutation, seeds 0-4, halves of 11 and 10) and leave-one-out -- picks the grid
   point with the best mean (R2 + RL) on the training reports (a tie goes to the first in grid order, i.e.
   the smaller weights) and scores the held-out reports with it.
4. Prints the in-sample table (every grid point's mean R1/R2/RL on all reports; the shipped weights and the
   in-sample best marked), the weights each fold chose, and per scheme the out-of-fold mean R1/R2/RL with a
   95% bootstrap interval over reports (1,000 resamples, seed 0, as the bench; for the 2-fold scheme a
   report's score is its mean over the 5 shuffles), and the shipped in-sample figure minus the out-of-fold
   one, paired over the same resamples. The interval is over reports only: it does not hold the spread
   from the choice of folds (printed apart, per shuffle).

Only these two weights are cross-validated; the others (summary part, item, leads, key figure, MMR) were
set by reading, not on a grid, and stay fixed.

Usage: .venv/bin/python bench/summaries_cv.py [--k 5] [--early 0,0.5,1,2,3] [--points 0,0.5,1,2] [--reports N]
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

if str(Path(__file__).resolve().parent) not in sys.path:  # appended: bench/pipeline.py must not hide the package
    sys.path.append(str(Path(__file__).resolve().parent))
import summaries  # noqa: E402  (bench/summaries.py: the bench's reports, cuts, references and bootstrap)

METRICS = ("R1", "R2", "RL")


def grid_scores(prepared: list, grid: list[tuple[float, float]], k: int) -> np.ndarray:
    """ROUGE-1/2/L F1 of the abstract at each grid point on each report: shape (grid, reports, 3)."""
    from rouge_score import rouge_scorer

    from pipeline.abstract import abstract

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    out = np.zeros((len(grid), len(prepared), 3))
    for r, (_, analysis, reference) in enumerate(prepared):
        text, seen = analysis.report.text, {}
        for g, (early, points) in enumerate(grid):
            spans = tuple(a.span for a in abstract(analysis, None, k=k, early=early, points=points))
            if spans not in seen:  # many grid points pick the same sentences: score them once
                score = scorer.score(reference, " ".join(text[s:e] for s, e in spans))
                seen[spans] = [score[m].fmeasure for m in ("rouge1", "rouge2", "rougeL")]
            out[g, r] = seen[spans]
    return out


def choose(scores: np.ndarray, train: np.ndarray) -> int:
    """The grid point with the best mean (R2 + RL) over the ``train`` reports (first in grid order on a tie)."""
    objective = scores[:, train, 1].mean(axis=1) + scores[:, train, 2].mean(axis=1)
    return int(np.argmax(objective))


def cross_validate(scores: np.ndarray, folds: list[np.ndarray]) -> tuple[np.ndarray, list[int]]:
    """Out-of-fold scores (reports, 3) over a partition ``folds`` of the reports, and the grid point chosen
    on each fold's training part."""
    n = scores.shape[1]
    oof, chosen = np.full((n, 3), np.nan), []
    for held in folds:
        train = np.setdiff1d(np.arange(n), held)
        g = choose(scores, train)
        chosen.append(g)
        oof[held] = scores[g, held]
    return oof, chosen


def cell(values: np.ndarray, draws: np.ndarray, signed: bool = False) -> str:
    mean, lo, hi = summaries.bootstrap(values, draws)
    return f"{mean:+.3f} [{lo:+.3f}, {hi:+.3f}]" if signed else f"{mean:.3f} [{lo:.3f}, {hi:.3f}]"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--early", default="0,0.5,1,2,3", help="grid of the early weight (W_EARLY)")
    ap.add_argument("--points", default="0,0.5,1,2", help="grid of the findings-centroid weight (W_POINTS)")
    ap.add_argument("--shuffles", type=int, default=5, help="seeded shuffles of the 2-fold scheme")
    ap.add_argument("--reports", type=int, default=None, help="only the first N reports")
    args = ap.parse_args(argv)
    if not summaries.CORPUS.is_dir():
        print(f"no corpus at {summaries.CORPUS}: nothing to cross-validate")
        return 0
    try:
        import rouge_score  # noqa: F401
    except ImportError:
        print("rouge-score not installed (pip install -e '.[bench]'): nothing to score")
        return 0
    from pipeline.abstract import W_EARLY, W_POINTS

    grid = [(float(e), float(p)) for e in args.early.split(",") for p in args.points.split(",")]
    shipped = grid.index((W_EARLY, W_POINTS)) if (W_EARLY, W_POINTS) in grid else None
    t = time.perf_counter()
    prepared = []
    for path, _, cut, raw_reference in summaries.load_reports(args.reports):
        analysis, reference = summaries.prepare(path, cut, raw_reference)
        prepared.append((path.stem, analysis, reference))
    n = len(prepared)
    print(f"{n} reports analysed once in {time.perf_counter() - t:.0f} s; k = {args.k}; "
          f"{len(grid)} grid points (early x points)", file=sys.stderr)
    if n < 2:
        print("fewer than 2 reports: nothing to cross-validate")
        return 0
    t = time.perf_counter()
    scores = grid_scores(prepared, grid, args.k)
    print(f"grid selections and ROUGE in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    draws = np.random.default_rng(0).integers(0, n, size=(1000, n))
    label = [f"early {e:g}, points {p:g}" for e, p in grid]

    means = scores.mean(axis=1)
    best = choose(scores, np.arange(n))
    print(f"\nIn-sample (all {n} reports), mean ROUGE F1 per grid point:")
    print(f"{'weights':<22} {'R1':>6} {'R2':>6} {'RL':>6} {'R2+RL':>6}")
    for g in range(len(grid)):
        mark = " <- shipped" if g == shipped else ""
        mark += " <- in-sample best" if g == best else ""
        print(f"{label[g]:<22} {means[g, 0]:>6.3f} {means[g, 1]:>6.3f} {means[g, 2]:>6.3f} "
              f"{means[g, 1] + means[g, 2]:>6.3f}{mark}")

    schemes: dict[str, list[tuple[np.ndarray, list[int]]]] = {"2-fold": [], "leave-one-out": []}
    for seed in range(args.shuffles):
        order = np.random.default_rng(seed).permutation(n)
        half = (n + 1) // 2
        schemes["2-fold"].append(cross_validate(scores, [order[:half], order[half:]]))
    schemes["leave-one-out"].append(cross_validate(scores, [np.array([i]) for i in range(n)]))

    print("\nWeights chosen on the training reports (by mean R2 + RL):")
    for name, runs in schemes.items():
        if name == "2-fold":
            for seed, (oof, chosen) in enumerate(runs):
                per = "  ".join(f"({grid[g][0]:g}, {grid[g][1]:g})" for g in chosen)
                print(f"  2-fold seed {seed}: {per}   out-of-fold R1/R2/RL "
                      + " / ".join(f"{v:.3f}" for v in oof.mean(axis=0)))
        counts = Counter(g for _, chosen in runs for g in chosen)
        total = sum(counts.values())
        print(f"  {name}: " + ", ".join(f"{label[g]} in {c}/{total} folds" for g, c in counts.most_common()))

    print(f"\n{'figure':<34} {'R1 [lo, hi]':<22} {'R2 [lo, hi]':<22} {'RL [lo, hi]':<22}")
    rows = {}
    if shipped is not None:
        rows[f"in-sample, shipped ({W_EARLY:g}, {W_POINTS:g})"] = scores[shipped]
    rows[f"in-sample best ({grid[best][0]:g}, {grid[best][1]:g})"] = scores[best]
    rows["in-sample, both weights 0"] = scores[grid.index((0.0, 0.0))] if (0.0, 0.0) in grid else None
    for name, runs in schemes.items():
        rows[f"out-of-fold, {name}" + (f" (x{len(runs)})" if len(runs) > 1 else "")] = np.mean(
            [oof for oof, _ in runs], axis=0)
    for name, values in rows.items():
        if values is not None:
            print(f"{name:<34} " + " ".join(f"{cell(values[:, j], draws):<22}" for j in range(3)))
    reference_row = scores[shipped] if shipped is not None else scores[best]
    reference_name = "shipped" if shipped is not None else "in-sample best"
    for name, runs in schemes.items():
        oof = np.mean([o for o, _ in runs], axis=0)
        print(f"{reference_name} in-sample minus out-of-fold {name} (paired): "
              + "; ".join(f"{m} {cell(reference_row[:, j] - oof[:, j], draws, signed=True)}"
                          for j, m in enumerate(METRICS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
