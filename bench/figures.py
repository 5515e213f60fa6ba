"""Benchmark of the figures stage: speed next to a bare en_core_web_sm pass, and quality next to a plain
spaCy NER baseline.

Speed: words/s of ``extract_figures`` over the English corpus in ``../shared/corpus`` (GAO reports, the House
of Lords report, the model report) and of ``en_core_web_sm`` alone over every sentence of the same texts.
Forms: the suite ``bench/figure_forms.jsonl`` (English and Chinese sentences: spelled-out, ranged, scaled,
negative and currency-coded figures, and sentences that hold no statistic): recall of the gold values and the
false figures (predicted values no gold figure has), with the currency-code accuracy, per language and class.
Quality: precision/recall on the annotated fixtures (``tests/fixtures/figures``) and on the gold files
(``../shared/eval/gold``, scored with ``score.py``) for the figures stage and for the baseline, which takes the
MONEY/PERCENT/CARDINAL/QUANTITY entities and parses their value naively (first number times a scale word).

    python bench/figures.py            # everything
    python bench/figures.py --quick    # a few reports for the speed part
    python bench/figures.py --forms -v # only the forms suite, listing what each side missed

Results go to stdout; progress to stderr. Parts whose inputs are absent are skipped with a message.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import nlp as nlp_loader  # noqa: E402
from pipeline.figures import extract_figures  # noqa: E402
from pipeline.records import Report  # noqa: E402

SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
GOLD = SHARED / "eval" / "gold"
FIXTURES = ROOT / "tests" / "fixtures" / "figures"
FORMS = ROOT / "bench" / "figure_forms.jsonl"
BASELINE_LABELS = {"MONEY", "PERCENT", "CARDINAL", "QUANTITY"}
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9, "m": 1e6}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_report(path: Path) -> Report:
    """The ingested report, or (without the ingestion stage) the raw text with PDF line breaks joined."""
    try:
        from pipeline.ingest import ingest_file

        return ingest_file(path)
    except ImportError:
        text = path.read_text(encoding="utf-8")
        language = "zh" if len(re.findall(r"[\u4e00-\u9fff]", text)) > len(text) / 5 else "en"
        if language == "en":
            text = re.sub(r"(?<=\S)[ \t]*\n(?=[ \t]*\S)", " ", text)
        return Report(id=path.stem, source=str(path), title=path.stem, language=language, text=text)


def english_corpus(quick: bool) -> list[Path]:
    gao = sorted((CORPUS / "gao").glob("*.md"))
    lords = sorted((CORPUS / "uk-parliament").glob("*.txt"))
    model = [CORPUS / "zhejiang-two-new-organizations.txt"]
    paths = [p for p in model + (gao[:4] if quick else gao) + lords if p.exists()]
    return paths


# --------------------------------------------------------------------------- baseline


def baseline_value(text: str) -> float | None:
    m = re.search(r"\d[\d,]*(?:\.\d+)?", text)
    if not m:
        return None
    value = float(m.group(0).replace(",", ""))
    scale = re.search(r"\b(thousand|million|billion|trillion|bn|m)\b", text[m.end():].lower())
    return value * SCALES[scale.group(1)] if scale else value


def baseline_figures(sentences: list[str]) -> list[dict]:
    out = []
    for sentence, doc in zip(sentences, nlp_loader.statistical().pipe(sentences, batch_size=64)):
        for ent in doc.ents:
            if ent.label_ in BASELINE_LABELS:
                value = baseline_value(ent.text)
                if value is not None:
                    out.append({"value": value, "kind": "percent" if ent.label_ == "PERCENT" else ent.label_.lower(),
                                "text": ent.text, "sentence": sentence})
    return out


# --------------------------------------------------------------------------- speed


def bench_speed(paths: list[Path]) -> None:
    reports = [load_report(p) for p in paths]
    reports = [r for r in reports if r.language == "en"]
    words = sum(len(r.text.split()) for r in reports)
    nlp_loader.statistical()  # load once, outside the timings
    extract_figures(Report(id="w", source="w", title="w", language="en", text="Warm up with 5 percent."))
    log(f"speed: {len(reports)} reports, {words} words")
    t0 = time.perf_counter()
    n_figures = sum(len(extract_figures(r)) for r in reports)
    stage = time.perf_counter() - t0
    sentences = [r.text[s:e] for r in reports for s, e in nlp_loader.sentence_spans(r.text)]
    t0 = time.perf_counter()
    for _ in nlp_loader.statistical().pipe(sentences, batch_size=64):
        pass
    bare = time.perf_counter() - t0
    print(f"speed over {len(reports)} English reports ({words} words, {len(sentences)} sentences)")
    print(f"  figures stage      {words / stage:10.0f} words/s  ({stage:.1f} s, {n_figures} figures)")
    print(f"  bare en_core_web_sm {words / bare:9.0f} words/s  ({bare:.1f} s)")


# --------------------------------------------------------------------------- quality


def prf(tp: int, predicted: int, gold: int) -> str:
    p = tp / predicted if predicted else 0.0
    r = tp / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"P={p:.3f} R={r:.3f} F1={f:.3f} (tp={tp} pred={predicted} gold={gold})"


def match_values(predicted: list[float], gold: list[float]) -> int:
    left = list(predicted)
    tp = 0
    for g in gold:
        hit = next((i for i, v in enumerate(left) if abs(v - g) <= max(1e-9, 0.005 * abs(g))), None)
        if hit is not None:
            tp += 1
            left.pop(hit)
    return tp


def bench_fixtures() -> None:
    path = FIXTURES / "figures_en.jsonl"
    if not path.exists():
        log("fixtures: tests/fixtures/figures/figures_en.jsonl is absent, skipped")
        return
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    negatives = [json.loads(line) for line in (FIXTURES / "non_figures_en.jsonl").read_text(encoding="utf-8")
                 .splitlines() if line.strip()]
    results = {"figures stage": [0, 0, 0], "NER baseline": [0, 0, 0]}
    # a sentence without figures counts only predictions of its forbidden values (a citation's number) as wrong
    for case in cases + [{"text": n["text"], "figures": [], "forbidden": n["forbidden"]} for n in negatives]:
        gold = [float(f["value"]) for f in case["figures"] if not f.get("optional")]
        optional = [float(f["value"]) for f in case["figures"] if f.get("optional")]
        ours = [f.value for f in extract_figures(Report(id="f", source="f", title="f", language="en",
                                                        text=case["text"]))]
        theirs = [f["value"] for f in baseline_figures([case["text"]])]
        for name, predicted in (("figures stage", ours), ("NER baseline", theirs)):
            if "forbidden" in case:
                optional = [v for v in predicted if all(abs(v - f) > 1e-9 for f in case["forbidden"])]
            neutral = match_values(predicted, optional)
            results[name][0] += match_values(predicted, gold)
            results[name][1] += len(predicted) - neutral
            results[name][2] += len(gold)
    print(f"annotated fixtures ({len(cases)} sentences with figures, {len(negatives)} without)")
    for name, (tp, predicted, gold) in results.items():
        print(f"  {name:14s} {prf(tp, predicted, gold)}")


def _values(figure: dict) -> list[float]:
    """The values a predicted figure states: a range gives both of its bounds."""
    values = [figure["value"]]
    for bound in ("low", "high"):
        if figure.get(bound) is not None and all(abs(figure[bound] - v) > 1e-9 for v in values):
            values.append(figure[bound])
    return values


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= max(1e-9, 0.005 * abs(b))


def score_form_case(case: dict, predicted: list[dict]) -> dict:
    """Gold figures found (value, and percent or not), false figures (a prediction none of whose values is a
    gold one), and currency codes right among the found money figures."""
    left = list(range(len(predicted)))
    found, currency_right, currency_total, missed = 0, 0, 0, []
    for g in case["figures"]:
        is_percent = g.get("kind") == "percent"
        hit = next((i for i in left if any(_same(v, g["value"]) for v in _values(predicted[i]))
                    and (predicted[i].get("kind") == "percent") == is_percent), None)
        if hit is None:  # the other bound of a range already matched
            hit = next((i for i in range(len(predicted)) if i not in left and predicted[i].get("high") is not None
                        and any(_same(v, g["value"]) for v in _values(predicted[i]))), None)
        if hit is None:
            missed.append(g["value"])
            continue
        found += 1
        if hit in left:
            left.remove(hit)
        if g.get("kind") == "money" and g.get("unit"):
            currency_total += 1
            currency_right += predicted[hit].get("unit") == g["unit"]
    false = [predicted[i].get("text") or predicted[i]["value"] for i in left]
    return {"gold": len(case["figures"]), "found": found, "false": false, "missed": missed,
            "currency_right": currency_right, "currency_total": currency_total}


def bench_forms(verbose: bool = False) -> None:
    if not FORMS.exists():
        log("forms: bench/figure_forms.jsonl is absent, skipped")
        return
    cases = [json.loads(line) for line in FORMS.read_text(encoding="utf-8").splitlines() if line.strip()]
    totals: dict[tuple[str, str], list[int]] = {}
    by_class: dict[tuple[str, str], list[int]] = {}
    by_set: dict[tuple[str, str], list[int]] = {}
    for case in cases:
        report = Report(id="f", source="f", title="f", language=case["lang"], text=case["text"])
        ours = [f.model_dump() for f in extract_figures(report)]
        theirs = baseline_figures([case["text"]])
        for name, predicted in (("figures stage", ours), ("NER baseline", theirs)):
            r = score_form_case(case, predicted)
            for key, table in (((name, case["lang"]), totals), ((name, f"{case['lang']} {case['class']}"), by_class),
                               ((name, case.get("set", "tuned")), by_set)):
                row = table.setdefault(key, [0, 0, 0, 0, 0, 0])
                row[0] += r["gold"]
                row[1] += r["found"]
                row[2] += len(r["false"])
                row[3] += r["currency_right"]
                row[4] += r["currency_total"]
                row[5] += 1
            if verbose and name == "figures stage" and (r["missed"] or r["false"]):
                log(f"  [{case['lang']} {case['class']}] {case['text'][:70]!r} missed={r['missed']} false={r['false']}")
    print(f"forms suite ({len(cases)} cases, {sum(1 for c in cases if not c['figures'])} without a statistic)")
    for lang in ("en", "zh", "all"):
        for name in ("figures stage", "NER baseline"):
            rows = [v for (n, l), v in totals.items() if n == name and (lang == "all" or l == lang)]
            gold, found, false, cur, cur_total, n = (sum(col) for col in zip(*rows)) if rows else (0,) * 6
            recall = found / gold if gold else 0.0
            currency = f"{cur / cur_total:.3f}" if cur_total and name == "figures stage" else "  -  "
            print(f"  {lang:3s} {name:14s} recall={recall:.3f} ({found}/{gold}) false figures={false:3d} "
                  f"currency codes={currency} cases={n}")
    # "held-out" cases were written after the rules they test and were not tuned on
    for (name, part), (gold, found, false, *_rest) in sorted(by_set.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(f"  {part:9s} {name:14s} recall={found / gold if gold else 0:.3f} ({found}/{gold}) false figures={false}")
    if verbose:
        for (name, cls), (gold, found, false, *_rest) in sorted(by_class.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            print(f"    {cls:18s} {name:14s} recall={found}/{gold} false={false}")


def load_scorer():
    path = SHARED / "eval" / "score.py"
    spec = importlib.util.spec_from_file_location("reportlens_shared_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench_gold() -> None:
    if not (GOLD.is_dir() and (SHARED / "eval" / "score.py").exists()):
        log("gold: ../shared/eval is absent, skipped")
        return
    scorer = load_scorer()
    for gold_path in sorted(GOLD.glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        doc_path = next(iter(CORPUS.rglob(gold["document"])), None)
        if doc_path is None:
            log(f"gold: {gold['document']} not found in the corpus, skipped")
            continue
        if not gold.get("figures"):
            continue  # a gold of other parts only
        report = load_report(doc_path)
        if hasattr(report, "model_copy"):  # the report's year and regions, as `reportlens analyze` reads them
            from pipeline.metadata import describe_report
            described = describe_report(report)
            report = report.model_copy(update={k: v for k, v in described.items() if v not in (None, [], "")})
        ours = [f.model_dump() for f in extract_figures(report)]
        print(f"gold {gold_path.name} ({'recall only' if gold.get('scope') == 'recall' else 'full'})")
        rows = [("figures stage", ours)]
        if report.language == "en":
            sentences = [report.text[s:e] for s, e in nlp_loader.sentence_spans(report.text)]
            rows.append(("NER baseline", baseline_figures(sentences)))
        for name, predicted in rows:
            r = scorer.score_figures(predicted, gold)
            precision = "  -  " if gold.get("scope") == "recall" else f"{r['precision']:.3f}"
            f1 = r["recall"] if gold.get("scope") == "recall" else r["f1"]
            print(f"  {name:14s} P={precision} R={r['recall']:.3f} F1={f1:.3f} pred={r['predicted']} "
                  f"measures={r['measures_recall']} qualifier={r['qualifier_accuracy']} unit={r['unit_accuracy']} "
                  f"year={r['year_accuracy']} forbidden={r['forbidden_count']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="time a few reports only")
    ap.add_argument("--no-speed", action="store_true", help="skip the speed part")
    ap.add_argument("--forms", action="store_true", help="only the forms suite")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the forms each side missed, per class")
    args = ap.parse_args()
    if args.forms:
        bench_forms(args.verbose)
        return 0
    if not args.no_speed:
        paths = english_corpus(args.quick)
        if paths:
            bench_speed(paths)
        else:
            log("speed: ../shared/corpus is absent, skipped")
    bench_forms(args.verbose)
    bench_fixtures()
    bench_gold()
    return 0


if __name__ == "__main__":
    sys.exit(main())
