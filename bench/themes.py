"""Themes benchmark: time and memory of build_themes at 1,000 and 10,000 practices, theme shape, and the
themes of the model report's practices.

1. Seeds: the practice fixtures in tests/fixtures/themes/, the "First, ... / The second is ..." sentences of
   the model report, and the "should" sentences of ../shared/corpus/gao/*.md when present.
2. Synthetic practices: seeded variants of the seeds (synonyms, an actor or region in front, a qualifier at
   the end, a dropped word, the detail of the seed or of another seed), 25 per synthetic report.
3. Per size: embedding time (MiniLM by default), build_themes time with and without labels, peak memory
   of the build (RSS high-water mark above the pre-build level, and the numpy/Python peak by tracemalloc),
   number of themes, share of singleton themes, share of the largest theme; at the smallest size, a check
   that a shuffled input gives identical themes.
4. The model report's 28 practices: themes with their labels, without and with models/codebook.json.

`--calibrate` instead prints the evidence for the similarity thresholds in pipeline/themes/codebook.py.

`--labels` instead prints the labels of the themes of real practices and 400 synthetic ones (2.) with
their label-fit, and `--before REV` the same themes labelled by git revision REV: see bench/theme_labels.py.

Usage: .venv/bin/python bench/themes.py [--sizes 1000 10000] [--embedder minilm|tfidf] [--json] [--calibrate]
       .venv/bin/python bench/themes.py --labels [--before main] [--show 20]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"
FIXTURES = ROOT / "tests" / "fixtures" / "themes"
MODEL_REPORT = ROOT / "corpus" / "zhejiang-two-new-organizations.txt"
sys.path.insert(0, str(ROOT))

import pipeline.nlp  # noqa: E402,F401  (sets the offline switches before any model import)
from pipeline.embed import MiniLMEmbedder, TfidfSvdEmbedder  # noqa: E402
from pipeline.themes import ThemeInput, build_themes, embedding_text, load_codebook  # noqa: E402

SYNONYMS = {
    "strengthen": ["reinforce", "enhance", "improve"],
    "establish": ["set up", "build", "create"],
    "enterprises": ["companies", "firms", "businesses"],
    "cadres": ["officials", "staff"],
    "train": ["educate", "coach"],
    "training": ["education", "instruction"],
    "organizations": ["bodies", "units"],
    "develop": ["recruit", "grow"],
    "promote": ["spread", "advance"],
    "guidance": ["direction", "steering"],
    "agencies": ["departments", "offices"],
    "data": ["information", "records"],
    "grants": ["awards", "subsidies"],
    "improve": ["upgrade", "strengthen"],
}
ACTORS = ["The county", "The municipal party committee", "The district", "The provincial government",
          "The agency", "The department", "Local officials", "The city"]
QUALIFIERS = ["in all districts", "step by step", "within three years", "across the province",
              "in non-public enterprises", "for new social organizations", "at the grassroots level",
              "in line with local conditions", "under the annual plan"]
REGIONS = ["Wenzhou", "Yiwu", "Shaoxing", "Jinhua", "Hangzhou", "Ningbo", "Shanghai", "Texas", "Ohio", None]


def seed_practices() -> list[tuple[str, str]]:
    seeds: list[tuple[str, str]] = []
    for path in sorted(FIXTURES.glob("*.json")):
        for p in json.loads(path.read_text(encoding="utf-8"))["practices"]:
            if not re.search(r"[\u3400-\u9fff]", p["text"]):  # English seeds: the variants are English
                seeds.append((p["text"], p.get("detail", "")))
    if MODEL_REPORT.exists():
        text = MODEL_REPORT.read_text(encoding="utf-8")
        pattern = r"(?:First|Second|Third|Fourth|Fifth|Sixth|The (?:first|second|third|fourth|fifth|sixth) is),? ([^.]{20,200})\."
        for m in re.finditer(pattern, text):
            sentence = re.sub(r"^(?:to|is to|we will) ", "", m.group(1).strip())
            seeds.append((sentence[0].upper() + sentence[1:], ""))
    if (SHARED / "gao").is_dir():
        found = 0
        for path in sorted((SHARED / "gao").glob("*.md")):
            flat = re.sub(r"\s+", " ", path.read_text(encoding="utf-8"))
            for m in re.finditer(r"[A-Z][^.]{20,180} should ([^.]{20,200})\.", flat):
                seeds.append((m.group(1)[0].upper() + m.group(1)[1:], ""))
                found += 1
                if found >= 300:
                    break
    unique = sorted(set(seeds))
    return unique


def variant(rng: np.random.Generator, seeds: list[tuple[str, str]]) -> tuple[str, str]:
    text, detail = seeds[int(rng.integers(len(seeds)))]
    words = text.split()
    words = [rng.choice(SYNONYMS[w.lower()]) if w.lower() in SYNONYMS and rng.random() < 0.5 else w for w in words]
    if len(words) > 4 and rng.random() < 0.2:
        del words[int(rng.integers(1, len(words)))]
    text = " ".join(words)
    if rng.random() < 0.4:
        text = f"{rng.choice(ACTORS)} will {text[0].lower()}{text[1:]}"
    if rng.random() < 0.4:
        text = f"{text} {rng.choice(QUALIFIERS)}"
    roll = rng.random()
    if roll < 0.2:
        detail = seeds[int(rng.integers(len(seeds)))][0]
    elif roll < 0.5:
        detail = ""
    return text, detail


def synthetic_items(n: int, seed: int = 0) -> list[ThemeInput]:
    rng = np.random.default_rng(seed)
    seeds = seed_practices()
    items = []
    for k in range(n):
        text, detail = variant(rng, seeds)
        report = f"syn{k // 25:05d}"
        items.append(ThemeInput(id=f"{report}:P{k % 25}", report_id=report, text=text, detail=detail,
                                region=REGIONS[int(rng.integers(len(REGIONS)))]))
    return items


SYNTHETIC_LABEL_SET = 400  # the synthetic practices (seeded variants of the seeds) labelled as a third set


def rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux)
    except OSError:
        pass


def measure_build(items, vectors, embedder, with_labels: bool) -> tuple[list, float, float, float]:
    reset_peak_rss()
    before = rss_mb("VmRSS")
    tracemalloc.start()
    start = time.perf_counter()
    themes = build_themes(items, vectors, embedder=embedder, with_labels=with_labels)
    seconds = time.perf_counter() - start
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return themes, seconds, rss_mb("VmHWM") - before, traced_peak / 2**20


def bench_sizes(sizes: list[int], embedder, seed: int) -> list[dict]:
    results = []
    items_all = synthetic_items(max(sizes), seed)
    texts = [embedding_text(i) for i in items_all]
    if isinstance(embedder, TfidfSvdEmbedder):
        embedder.fit(texts)
    start = time.perf_counter()
    vectors_all = embedder.embed(texts)
    embed_seconds = time.perf_counter() - start
    print(f"embedded {len(texts)} synthetic practices with {embedder.name} in {embed_seconds:.1f} s "
          f"({len(texts) / embed_seconds:.0f}/s)", file=sys.stderr)
    build_themes(items_all[:50], vectors_all[:50], embedder=embedder)  # warm-up: spaCy model load
    for n in sorted(sizes):
        items, vectors = items_all[:n], vectors_all[:n]
        _, bare_seconds, _, _ = measure_build(items, vectors, embedder, with_labels=False)
        themes, seconds, rss_peak, traced_peak = measure_build(items, vectors, embedder, with_labels=True)
        sizes_ = sorted((t.size for t in themes), reverse=True)
        row = {
            "practices": n,
            "embed_s_est": round(embed_seconds * n / len(texts), 1),
            "cluster_s": round(bare_seconds, 2),
            "build_s": round(seconds, 2),
            "peak_rss_mb": round(rss_peak, 1),
            "peak_traced_mb": round(traced_peak, 1),
            "themes": len(themes),
            "singleton_share": round(sum(s == 1 for s in sizes_) / len(themes), 3),
            "largest_share": round(sizes_[0] / n, 3),
            "median_size": int(np.median(sizes_)),
            "examples": [f"{t.size:5d}  {t.label}" for t in themes[:8]],
        }
        if n == min(sizes):
            order = np.random.default_rng(seed + 1).permutation(n)
            shuffled = build_themes([items[i] for i in order], vectors[order], embedder=embedder)
            row["identical_when_shuffled"] = [t.model_dump() for t in shuffled] == [t.model_dump() for t in themes]
        results.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "examples"}), file=sys.stderr)
    return results


def model_report_themes(embedder) -> dict:
    items, _ = fixture_items("zhejiang_practices.json")
    texts = [embedding_text(i) for i in items]
    if isinstance(embedder, TfidfSvdEmbedder):
        embedder.fit(texts)
    vectors = embedder.embed(texts)
    out = {}
    codebook = load_codebook(ROOT / "models" / "codebook.json")
    for name, kwargs in (("discovered", {}), ("with_codebook", {"codebook": codebook})):
        themes = build_themes(items, vectors, embedder=embedder, **kwargs)
        out[name] = [{"label": t.label, "size": t.size, "members": t.members} for t in themes]
    return out


def fixture_items(name: str) -> tuple[list[ThemeInput], list[str]]:
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    report = data.get("report_id", "fixture")
    items = [ThemeInput(id=p["id"], report_id=report, text=p["text"], detail=p.get("detail", ""),
                        region=p.get("region")) for p in data["practices"]]
    return items, [p.get("group", "") for p in data["practices"]]


def calibrate(embedder) -> None:
    """The evidence behind the similarity thresholds in pipeline/themes/codebook.py, for one embedder."""
    from pipeline.themes import codebook_text

    zhejiang, _ = fixture_items("zhejiang_practices.json")
    others, groups = fixture_items("four_groups.json")
    texts = [embedding_text(i) for i in zhejiang + others]
    codebook = sorted(load_codebook(ROOT / "models" / "codebook.json"), key=lambda e: e.name)
    if isinstance(embedder, TfidfSvdEmbedder):
        embedder.fit(texts)
    vectors = embedder.embed(texts)
    entries = embedder.embed([codebook_text(e) for e in codebook])
    print(f"codebook: best entry per practice ({embedder.name}), most similar first")
    similarity = vectors @ entries.T
    for row in sorted(range(len(texts)), key=lambda r: -similarity[r].max()):
        best = int(similarity[row].argmax())
        print(f"  {similarity[row, best]:.2f}  {codebook[best].name[:36]:36s}  {texts[row][:70]}")
    themes = build_themes(zhejiang, vectors[: len(zhejiang)], embedder=embedder, with_labels=False)
    centroids = np.array([t.centroid for t in themes])
    own = {m: k for k, t in enumerate(themes) for m in t.members}
    to_own = [float(vectors[r] @ centroids[own[i.id]]) for r, i in enumerate(zhejiang)]
    print(f"\nassignment: cosine of the model report's practices to their own theme centroid: "
          f"min {min(to_own):.2f}, median {np.median(to_own):.2f}")
    print("best cosine of other practices to the model report's themes (training and demonstration belong):")
    for item, group, vector in zip(others, groups, vectors[len(zhejiang):]):
        print(f"  {float((centroids @ vector).max()):.2f}  {group:13s}  {item.text[:70]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--embedder", choices=["minilm", "tfidf"], default="minilm")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the results as one JSON document")
    parser.add_argument("--calibrate", action="store_true", help="print the evidence for the thresholds and stop")
    parser.add_argument("--labels", action="store_true", help="print labels and label-fit of real practices and stop")
    parser.add_argument("--before", metavar="REV", help="with --labels: also the labeller of this git revision")
    parser.add_argument("--show", type=int, default=20, help="with --labels: themes shown per language")
    args = parser.parse_args(argv)
    embedder = MiniLMEmbedder() if args.embedder == "minilm" else TfidfSvdEmbedder()
    if args.labels:
        from theme_labels import bench_labels

        result = bench_labels(embedder, args.before, args.show, synthetic_items(SYNTHETIC_LABEL_SET))
        if args.json:
            print(json.dumps(result, indent=1, ensure_ascii=False))
        return 0
    if args.calibrate:
        calibrate(embedder)
        return 0
    report = {"embedder": embedder.name, "model_report": model_report_themes(embedder)}
    embedder = MiniLMEmbedder() if args.embedder == "minilm" else TfidfSvdEmbedder()
    report["sizes"] = bench_sizes(args.sizes, embedder, args.seed)
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"\nembedder: {report['embedder']}")
    for name, themes in report["model_report"].items():
        print(f"\nmodel report, {name}: {len(themes)} themes")
        for t in themes:
            print(f"  {t['size']:3d}  {t['label']}  [{', '.join(t['members'])}]")
    print(f"\n{'practices':>9} {'embed s':>8} {'cluster s':>9} {'build s':>8} {'RSS MB':>7} {'traced MB':>9} "
          f"{'themes':>6} {'single':>6} {'largest':>7}")
    for r in report["sizes"]:
        print(f"{r['practices']:>9} {r['embed_s_est']:>8} {r['cluster_s']:>9} {r['build_s']:>8} {r['peak_rss_mb']:>7} "
              f"{r['peak_traced_mb']:>9} {r['themes']:>6} {r['singleton_share']:>6} {r['largest_share']:>7}")
    for r in report["sizes"]:
        print(f"\nlargest themes at {r['practices']} practices:")
        for line in r["examples"]:
            print("  " + line)
        if "identical_when_shuffled" in r:
            print(f"  identical themes when shuffled: {r['identical_when_shuffled']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
