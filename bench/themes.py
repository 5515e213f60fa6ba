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

`--labels` instead prints the labels of the themes of real practices, English (every English report of
../shared/corpus, analysed) and Chinese (the Chinese reports there) and 400 synthetic practices (2.), each with its label-fit: the share of
themes whose label's mean cosine to its own practices beats its mean cosine to every other theme's
practices (same embedder). For a language the embedder does not read (Chinese for MiniLM) the reported
label-fit is the one in the character-bigram TF-IDF space the labeller uses (pipeline/themes/space.py; the
embedder's figure, printed for the record, compares near-noise vectors), with two coherence figures of the
themes there: mean silhouette, and the share of themes whose members (half or more) share a bigram. `--before REV` also labels the same themes with the labeller of git revision
REV (e.g. main) and prints both.

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
from pipeline.themes.space import reads  # noqa: E402

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


def corpus_practices() -> dict[str, list[ThemeInput]]:
    """The practices of every report under ../shared/corpus, by language ("en", "zh"), as ThemeInputs."""
    from pipeline.ingest import ingest_file
    from pipeline.metadata import describe_report
    from pipeline.structure import extract_structure

    by_language: dict[str, list[ThemeInput]] = {"en": [], "zh": []}
    if not SHARED.is_dir():
        return by_language
    paths = sorted(p for p in SHARED.rglob("*") if p.suffix in {".txt", ".md", ".html", ".pdf"} and p.is_file())
    seen: set[str] = set()
    for path in paths:
        if path.stem in seen:  # one report in two formats
            continue
        seen.add(path.stem)
        try:
            report = ingest_file(path)
        except Exception as exc:  # noqa: BLE001 - a bench goes on
            print(f"{path.name}: {exc}", file=sys.stderr)
            continue
        described = describe_report(report)
        report = report.model_copy(update={k: v for k, v in described.items() if v not in (None, [], "")})
        language = "zh" if report.language.startswith("zh") else "en"
        for p in extract_structure(report).practices:
            by_language[language].append(ThemeInput(id=f"{path.stem}:{p.id}", report_id=path.stem, text=p.text,
                                                    detail=p.detail, region=p.region))
    return by_language


def character_silhouette(themes, items) -> float:
    """Mean cosine silhouette of the themes in the character-bigram space of the practices (coherence)."""
    from pipeline.themes import silhouette_by_labels
    from pipeline.themes.space import CharacterSpace

    if len(themes) < 2:
        return float("nan")
    theme_of = {m: k for k, t in enumerate(themes) for m in t.members}
    texts = [embedding_text(i) for i in items]
    rows = CharacterSpace(texts).embed(texts)
    distances = np.clip(1.0 - rows @ rows.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    return silhouette_by_labels(distances, np.array([theme_of[i.id] for i in items]))


def shared_bigram_share(themes, items) -> float:
    """Share of themes of two practices or more in which one Chinese character bigram (not a function-word
    pair) occurs in at least half of the members: a crude test that a theme is about one thing."""
    from pipeline.themes.space import character_terms

    text_of = {i.id: embedding_text(i) for i in items}
    counted = shared = 0
    for theme in themes:
        if theme.size < 2:
            continue
        counted += 1
        df: dict[str, int] = {}
        for m in theme.members:
            for term in {t for t, w in character_terms(text_of[m]) if len(t) == 2 and w == 1.0}:
                df[term] = df.get(term, 0) + 1
        common = {t for t, c in df.items() if c >= max(2, (theme.size + 1) // 2)}
        shared += bool(common - GENERIC_BIGRAMS)
    return shared / counted if counted else float("nan")


# pairs any Chinese work report writes everywhere: they say nothing about what a theme is about
GENERIC_BIGRAMS = {"加强", "推进", "建设", "发展", "工作", "全面", "进一步", "提高", "完善", "深化", "实施", "坚持", "积极",
                   "推动", "加快", "我们", "经济", "社会", "改革", "大力"}

SYNTHETIC_LABEL_SET = 400  # the synthetic practices (seeded variants of the seeds) labelled as a third set


def label_fit(themes, vectors_by_id: dict, label_vectors: np.ndarray) -> tuple[float, list[tuple[float, float]]]:
    """Share of themes whose label is closer (mean cosine) to its own practices than to any other theme's;
    per theme (own, best other)."""
    members = [np.array([vectors_by_id[m] for m in t.members]) for t in themes]
    rows = []
    for k, label in enumerate(label_vectors):
        means = [float((m @ label).mean()) for m in members]
        others = [x for j, x in enumerate(means) if j != k]
        rows.append((means[k], max(others) if others else float("-inf")))
    return (sum(own > other for own, other in rows) / len(rows) if rows else float("nan")), rows


def old_labeller(revision: str):
    """build_themes of the theme labeller at ``revision``, loaded from git: pipeline/themes.py (one module,
    before the split) or the pipeline/themes/ package, copied under another package name."""
    import subprocess
    import tempfile
    import types

    def show(path: str) -> str | None:
        done = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:{path}"], capture_output=True, text=True)
        return done.stdout if done.returncode == 0 else None

    name = "themes_" + re.sub(r"\W", "_", revision)
    single = show("pipeline/themes.py")
    if single is not None:
        module = types.ModuleType(name)
        sys.modules[name] = module
        exec(compile(single, f"{revision}:pipeline/themes.py", "exec"), module.__dict__)
        return module
    import importlib

    listing = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", f"{revision}:pipeline/themes/"],
                             check=True, capture_output=True, text=True).stdout.split()
    folder = Path(tempfile.mkdtemp(prefix="reportlens-labeller-")) / name
    folder.mkdir()
    for file in (f for f in listing if f.endswith(".py")):
        source = show(f"pipeline/themes/{file}") or ""
        (folder / file).write_text(re.sub(r"\bpipeline\.themes\b", name, source), encoding="utf-8")
    data = folder.parent / "data" / "themes"  # the package finds its word lists one level up
    data.mkdir(parents=True)
    for file in subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", f"{revision}:pipeline/data/themes/"],
                               capture_output=True, text=True).stdout.split():
        (data / file).write_text(show(f"pipeline/data/themes/{file}") or "", encoding="utf-8")
    sys.path.insert(0, str(folder.parent))
    return importlib.import_module(f"{name}.build")


def character_space_fit(themes, items) -> tuple[float, list[tuple[float, float]]]:
    """label-fit in the character-bigram TF-IDF space of the practices (pipeline/themes/space.py): the space
    the labeller scores labels in when the embedder does not read the practices' language."""
    from pipeline.themes.space import CharacterSpace

    texts = {i.id: embedding_text(i) for i in items}
    space = CharacterSpace(list(texts.values()))
    ids = list(texts)
    position = {m: k for k, m in enumerate(ids)}
    rows = space.rows(list(texts.values()))
    by_id = {m: np.asarray(rows[position[m]].toarray()).ravel() for m in ids}
    return label_fit(themes, by_id, space.embed([t.label for t in themes]))


def bench_labels(embedder, before: str | None, show: int) -> dict:
    practices = corpus_practices()
    practices["en-synthetic"] = synthetic_items(SYNTHETIC_LABEL_SET)
    out = {}
    for language, items in practices.items():
        if len(items) < 3:
            continue
        texts = [embedding_text(i) for i in items]
        if isinstance(embedder, TfidfSvdEmbedder):
            embedder.fit(texts)
        vectors = embedder.embed(texts)
        by_id = {i.id: v for i, v in zip(items, vectors)}
        runs = {}
        builders = [("after", build_themes)]
        if before:
            old = old_labeller(before)
            builders.insert(0, ("before", lambda its, vs, **kw: old.build_themes(
                [old.ThemeInput(**i.model_dump()) for i in its], vs, **kw)))
        for name, build in builders:
            start = time.perf_counter()
            themes = build(items, vectors, embedder=embedder)
            seconds = time.perf_counter() - start
            fit, rows = label_fit(themes, by_id, embedder.embed([t.label for t in themes]))
            runs[name] = {"seconds": round(seconds, 2), "label_fit_embedder": round(fit, 3)}
            if not reads(embedder, language[:2]):
                # the embedder maps this language to near-noise: the reported figure is the one in the space
                # the labeller scores labels in, the embedder's for the record
                fit, rows = character_space_fit(themes, items)
                runs[name]["label_fit_characters"] = round(fit, 3)
                runs[name]["silhouette_characters"] = round(character_silhouette(themes, items), 3)
                runs[name]["shared_bigram"] = round(shared_bigram_share(themes, items), 3)
            runs[name].update({"label_fit": round(fit, 3), "themes": [
                {"label": t.label, "members": t.members, "size": t.size, "reports": len(t.reports), "own": round(o, 3), "other": round(x, 3),
                 "example": next(i.text for i in items if i.id == t.members[0])[:60]}
                for t, (o, x) in zip(themes, rows)]})
        out[language] = {"practices": len(items), **runs}
    for language, result in out.items():
        print(f"\n{language}: {result['practices']} practices")
        for name in ("before", "after"):
            if name in result:
                r = result[name]
                if "label_fit_characters" in r:
                    print(f"  {name}: {len(r['themes'])} themes, label-fit {r['label_fit_characters']:.2f} in the "
                          f"character-bigram space the labeller uses (reported: {embedder.name} does not read "
                          f"{language}), {r['label_fit_embedder']:.2f} in {embedder.name} (for the record); "
                          f"silhouette in the character space {r['silhouette_characters']:.3f}, themes whose "
                          f"members share a bigram {r['shared_bigram']:.2f}; build {r['seconds']} s")
                else:
                    print(f"  {name}: {len(r['themes'])} themes, label-fit {r['label_fit']:.2f}, build {r['seconds']} s")
        after = result["after"]["themes"]
        previous = [closest(t, result["before"]["themes"]) for t in after] if "before" in result else [{}] * len(after)
        for t, b in list(zip(after, previous))[:show]:
            mark = "+" if t["own"] > t["other"] else "-"
            old = f"   (before: {b['label']})" if b else ""
            print(f"  {mark} {t['size']:3d}  {t['label']}{old}")
    return out


def closest(theme: dict, others: list[dict]) -> dict:
    """The theme of ``others`` sharing the most members with ``theme`` (Jaccard; the same themes when the
    clustering did not change)."""
    members = set(theme["members"])
    return max(others, key=lambda o: len(members & set(o["members"])) / len(members | set(o["members"])), default={})


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
        result = bench_labels(embedder, args.before, args.show)
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
