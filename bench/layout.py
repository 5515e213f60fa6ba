"""Benchmark of the layout and structure cost: how ingestion and the structure stage scale with the number of
sections in a report (the issue target is linear cost), and the time of the whole structure pass on the
largest real report.

A synthetic inquiry-style report is built with N sections (numbered chapters, each with a background, a
findings and a recommendations sub-section holding a numbered list); its size grows linearly with N. For each
N the bench times ``ingest_text`` (sections, headings) and ``extract_structure`` (regions, practices,
findings, recommendations, stages), best of three runs, and prints seconds and seconds per section.

    python bench/layout.py                      # N = 200, 400, 800, 3200 sections
    python bench/layout.py --sections 100,200

Results go to stdout; progress to stderr.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.ingest import ingest_file, ingest_text  # noqa: E402
from pipeline.structure import extract_structure  # noqa: E402

LARGEST = ROOT.parent / "shared" / "corpus" / "uk-parliament" / "hol_2025_space_economy_HL190.txt"


def synthetic_report(chapters: int) -> str:
    parts = ["# An Inquiry into Regional Water Services\n"]
    for n in range(1, chapters + 1):
        parts.append(f"\n## Chapter {n}: Water services in district {n}\n")
        parts.append(f"\n### Background of district {n}\n\nDistrict {n} serves about {n * 1000} households. "
                     "Its network was built in the 1970s and leaks about a fifth of the water it carries.\n")
        parts.append(f"\n### Findings for district {n}\n\nThe utility did not replace old mains on schedule. "
                     "Customers reported outages twice a year on average.\n")
        parts.append(f"\n### Recommendations for district {n}\n\nWe recommend the following steps:\n\n"
                     f"1. The utility should publish a mains replacement plan for district {n}.\n\n"
                     "2. The regulator should review the plan every year.\n")
    return "".join(parts)


def best_of(runs: int, fn) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sections", default="200,400,800,3200", help="section counts (4 per chapter)")
    args = ap.parse_args()
    print("| chapters | sections | characters | ingest s | structure s | structure ms / section |")
    print("|---|---|---|---|---|---|")
    for chapters in [max(1, int(s) // 4) for s in args.sections.split(",")]:
        print(f"building {chapters} chapters", file=sys.stderr)
        text = synthetic_report(chapters)
        report = ingest_text(text, source=f"synthetic-{chapters}", fmt="markdown")
        ingest_s = best_of(3, lambda: ingest_text(text, source="synthetic", fmt="markdown"))
        structure_s = best_of(3, lambda: extract_structure(report))
        sections = len(report.sections)
        print(f"| {chapters} | {sections} | {len(text):,} | {ingest_s:.2f} | {structure_s:.2f} | "
              f"{1000 * structure_s / max(1, sections):.2f} |", flush=True)
    if LARGEST.exists():
        report = ingest_file(LARGEST)
        seconds = best_of(3, lambda: extract_structure(report))
        print(f"\nlargest real report ({LARGEST.name}, {len(report.text):,} characters, {len(report.sections)} "
              f"sections): structure {seconds:.2f} s")
    else:
        print(f"\n{LARGEST} absent: real-report timing skipped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
