"""Labels of the themes of real practices for bench/themes.py --labels: English (every English report of
../shared/corpus, analysed), Chinese (the Chinese reports there) and synthetic practices, each with its
label-fit: the share of themes whose label's mean cosine to its own practices beats its mean cosine to every
other theme's practices (same embedder). For a language the embedder does not read (Chinese for MiniLM)
the reported label-fit is the one in the character-bigram TF-IDF space the labeller uses
(pipeline/themes/space.py; the embedder's figure, printed for the record, compares near-noise vectors),
with two coherence figures of the themes there: mean silhouette, and the share of themes whose members
(half or more) share a bigram. ``before``: the same practices themed and labelled by the themes code of a
git revision.
"""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT))

from pipeline.embed import TfidfSvdEmbedder, reads_language as reads  # noqa: E402
from pipeline.themes import ThemeInput, build_themes, embedding_text  # noqa: E402


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


def bench_labels(embedder, before: str | None, show: int, synthetic: list[ThemeInput]) -> dict:
    """Themes of the corpus's English and Chinese practices and of ``synthetic`` ones, labelled by this
    labeller (and by ``before``'s), with their label-fit; printed, and returned as a dict."""
    practices = corpus_practices()
    practices["en-synthetic"] = synthetic
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
