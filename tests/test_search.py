"""Search: query sanitising, BM25 keyword ranking, semantic ranking, fusion, filters, similar items."""
from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

from pipeline.records import Analysis, Finding, Practice, Report
from pipeline.search import Filters, QueryError, Searcher, fts_expression, query_terms, rrf
from pipeline.store import Store
from pipeline.vectors import embedding_text, index_items

SYNONYMS = {"pilot": "demonstration", "pilots": "demonstration", "model": "demonstration",
            "sites": "site", "site": "site", "cadres": "training", "train": "training", "courses": "training"}


class BagOfWordsEmbedder:
    """A deterministic stand-in for MiniLM: hashed bag of words with a few synonyms folded together."""

    name = "bag-of-words-test"
    dim = 64
    corpus_relative = False

    def embed(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                word = SYNONYMS.get(word, word)
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1)


def report(rid, title, practices, regions=("Zhejiang",), rtype="investigation report", findings=(), year=None):
    text = " ".join(practices + list(findings)) + " padding" * 10
    items, pos = [], 0
    for i, p in enumerate(practices, start=1):
        start = text.index(p, pos)
        items.append(Practice(id=f"P{i}", text=p, span=(start, start + len(p))))
        pos = start + len(p)
    finds = [Finding(id=f"N{i}", text=f, span=(text.index(f), text.index(f) + len(f)))
             for i, f in enumerate(findings, start=1)]
    return Analysis(report=Report(id=rid, source=f"{rid}.txt", title=title, language="en", text=text,
                                  studied_regions=list(regions), report_type=rtype, year=year),
                    practices=items, findings=finds)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "s.db") as s:
        s.save(report("r1", "Zhejiang visit", ["Build demonstration sites for party building",
                                               "Train branch secretaries at the party school"],
                      findings=["Clear targets make demonstration work effective"], year=2002), "v")
        s.save(report("r2", "Jiangsu visit", ["Set up pilot sites in industrial parks",
                                              "Publish annual plans with measurable targets"],
                      regions=("Jiangsu",), year=2010), "v")
        s.save(report("r3", "GAO audit", ["Share tax data between agencies",
                                          "Run training courses for cadres"],
                      regions=("United States",), rtype="audit report"), "v")
        index_items(s, BagOfWordsEmbedder())
        yield s


@pytest.mark.parametrize("query", ['"', "*", "NEAR", "a AND (b", 'sites" OR "x', "demo*", "NOT", "-", "^x"])
def test_hostile_queries_never_raise_sql_errors(store, query):
    searcher = Searcher(store, BagOfWordsEmbedder())
    try:
        hits = searcher.search(query, mode="keyword")
    except QueryError as exc:
        assert "no words" in str(exc)
    else:
        assert isinstance(hits, list)


def test_fts_expression_quotes_every_word():
    assert fts_expression('sites* NEAR "party"') == '"sites" OR "near" OR "party"'
    assert fts_expression("data that computers can read") == '"data" OR "computers" OR "read"'
    assert fts_expression("the and of") == '"the" OR "and" OR "of"'
    assert query_terms("Sites sites SITES") == ["sites"]
    with pytest.raises(QueryError):
        fts_expression("?!  ...")


def test_keyword_ranking_puts_the_best_match_first(store):
    hits = Searcher(store, BagOfWordsEmbedder()).search("demonstration sites", mode="keyword")
    assert hits[0].text == "Build demonstration sites for party building"
    assert hits[0].keyword_rank == 1 and hits[0].kind == "practices"
    assert all(h.kind == "practices" for h in hits)  # the finding mentioning demonstration is not a practice


def test_semantic_finds_a_paraphrase_without_shared_words(store):
    hits = Searcher(store, BagOfWordsEmbedder()).search("model", mode="semantic", limit=3)
    assert {h.report_id for h in hits[:2]} == {"r1", "r2"}
    assert Searcher(store, BagOfWordsEmbedder()).search("model", mode="keyword") == []


def test_hybrid_fuses_both_rankings(store):
    hits = Searcher(store, BagOfWordsEmbedder()).search("pilot sites parks", mode="hybrid", limit=5)
    top = hits[0]
    assert top.text == "Set up pilot sites in industrial parks"
    assert top.keyword_rank is not None and top.semantic_rank is not None
    assert hits[0].score >= hits[-1].score


def test_rrf():
    fused = rrf([[1, 2, 3], [3, 1]])
    assert max(fused, key=fused.get) == 1
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)


@pytest.mark.parametrize("filters,expected", [
    (Filters(region="Jiangsu"), {"r2"}),
    (Filters(report="GAO"), {"r3"}),
    (Filters(report_type="audit"), {"r3"}),
    (Filters(region="Nowhere"), set()),
    (Filters(since=2005), {"r2"}),
    (Filters(until=2005), {"r1"}),
    (Filters(since=2000, until=2020), {"r1", "r2"}),  # r3 says nothing of its year
])
def test_filters(store, filters, expected):
    for mode in ("keyword", "semantic", "hybrid"):
        hits = Searcher(store, BagOfWordsEmbedder()).search("sites training targets data", mode=mode,
                                                            filters=filters, limit=20)
        assert {h.report_id for h in hits} == expected, mode


@pytest.mark.parametrize("filters", [
    Filters(region="%"), Filters(region="_"), Filters(region="Zhe_iang"), Filters(report="%"), Filters(report="_"),
    Filters(report_type="%"), Filters(report_type="audit_report"), Filters(theme="%"), Filters(theme="_"),
])
def test_like_wildcards_in_a_filter_match_themselves_not_everything(store, filters):
    """Issue 14, defect 7: ``%`` and ``_`` are characters a filter looks for, not LIKE wildcards."""
    store.replace_themes([{"id": "T1", "label": "training · party school"}], {("r1", "P2"): "T1"})
    for mode in ("keyword", "semantic", "hybrid"):
        hits = Searcher(store, BagOfWordsEmbedder()).search("sites training targets data", mode=mode,
                                                            filters=filters, limit=20)
        assert hits == [], mode


def test_a_filter_finds_a_region_that_holds_a_percent_sign_or_an_underscore(tmp_path):
    with Store(tmp_path / "s.db") as s:
        s.save(report("p1", "Quota visit", ["Build demonstration sites"], regions=("Zone_5 (100%)",)), "v")
        s.save(report("p2", "Other visit", ["Build demonstration sites"], regions=("ZoneX5 (100 pct)",)), "v")
        index_items(s, BagOfWordsEmbedder())
        hits = Searcher(s, BagOfWordsEmbedder()).search("sites", mode="keyword", filters=Filters(region="Zone_5 (100%"))
        assert {h.report_id for h in hits} == {"p1"}


def test_theme_filter(store):
    store.replace_themes([{"id": "T1", "label": "training · party school"}],
                         {("r1", "P2"): "T1", ("r3", "P2"): "T1"})
    hits = Searcher(store, BagOfWordsEmbedder()).search("training", filters=Filters(theme="training"))
    assert {(h.report_id, h.item_id) for h in hits} == {("r1", "P2"), ("r3", "P2")}
    assert hits[0].theme == "training · party school"


def test_other_kinds(store):
    hits = Searcher(store, BagOfWordsEmbedder()).search("targets", kinds=["findings"], mode="keyword")
    assert [h.item_id for h in hits] == ["N1"]


def test_similar_returns_items_from_other_reports(store):
    hits = Searcher(store, BagOfWordsEmbedder()).similar("r1:P1", limit=2)
    assert hits and all(h.report_id != "r1" for h in hits)
    assert hits[0].ref == "r2:P1"
    with pytest.raises(QueryError):
        Searcher(store, BagOfWordsEmbedder()).similar("r1:P99")


def test_hits_carry_provenance(store):
    hit = Searcher(store, BagOfWordsEmbedder()).search("party school", mode="keyword")[0]
    text = store.load(hit.report_id).report.text
    assert text[hit.span[0]:hit.span[1]] == hit.text


def test_embedding_text_is_bounded():
    assert embedding_text("Build sites.", "In every county.") == "Build sites. In every county."
    assert len(embedding_text("word " * 200, "y")) <= 300


def test_chinese_keyword_search_ranks_by_bm25_over_character_bigrams(tmp_path):
    with Store(tmp_path / "zh.db") as store:
        store.save(report("z1", "浙江调研", ["加强领导，成立工作小组", "建立示范点，推广经验"]), "v")
        # saved later (higher rowids), but the better match: ranking, not storage order, must decide
        store.save(report("z2", "江苏调研", ["抓好党建工作，以党建带工建、团建", "培训党务干部"]), "v")
        searcher = Searcher(store, BagOfWordsEmbedder())
        hits = searcher.search("党建", mode="keyword")
        assert [h.text for h in hits] == ["抓好党建工作，以党建带工建、团建"]
        # a word inside a longer run of characters is found
        assert [h.text for h in searcher.search("示范点", mode="keyword")] == ["建立示范点，推广经验"]
        # a query typed as one run (no spaces) finds items that share its parts, the closest first
        assert [h.text for h in searcher.search("推广示范经验", mode="keyword")] == ["建立示范点，推广经验"]
        hits = searcher.search("成立工作组", mode="keyword")  # 成立 立工 工作 | 工作
        assert [h.text for h in hits] == ["加强领导，成立工作小组", "抓好党建工作，以党建带工建、团建"]
        assert searcher.search("财政预算", mode="keyword") == []
        # several words: any of them, the item with more of them first
        hits = searcher.search("党务干部 培训 示范", mode="keyword")
        assert hits[0].text == "培训党务干部" and len(hits) == 2
        # a one-character word still finds its items (as a substring)
        assert {h.text for h in searcher.search("党", mode="keyword")} == {"抓好党建工作，以党建带工建、团建", "培训党务干部"}


def test_the_chinese_index_follows_resaved_and_deleted_reports(tmp_path):
    with Store(tmp_path / "zh.db") as store:
        store.save(report("z1", "浙江调研", ["建立示范点"]), "v")
        store.save(report("z1", "浙江调研", ["培训党务干部"]), "v")  # re-analysed: the old item goes
        searcher = Searcher(store, BagOfWordsEmbedder())
        assert searcher.search("示范点", mode="keyword") == []
        assert [h.text for h in searcher.search("党务", mode="keyword")] == ["培训党务干部"]
        store.delete_report("z1")
        assert searcher.search("党务", mode="keyword") == []
        assert store.conn.execute("SELECT COUNT(*) FROM items_cjk").fetchone()[0] == 0


def test_a_store_from_before_the_chinese_index_is_backfilled(tmp_path):
    import sqlite3 as sq

    db = tmp_path / "old.db"
    with Store(db) as store:
        store.save(report("z1", "浙江调研", ["建立示范点"]), "v")
    conn = sq.connect(db)  # take it back to schema 3, as an older reportlens left it
    conn.executescript("DROP TRIGGER items_cjk_delete; DROP TABLE items_cjk; ALTER TABLE reports DROP COLUMN number;"
                       "DROP TRIGGER sentences_delete; DROP TABLE sentences; DROP TABLE sentences_fts;"
                       "DROP TABLE sentences_cjk; PRAGMA user_version = 3;")
    conn.close()
    with Store(db) as store:
        assert [h.text for h in Searcher(store, BagOfWordsEmbedder()).search("示范点", mode="keyword")] == ["建立示范点"]


def test_hybrid_ranks_a_query_the_encoder_cannot_read_by_keywords_alone(tmp_path):
    class EnglishOnly(BagOfWordsEmbedder):
        languages = ("en",)

    with Store(tmp_path / "zh.db") as store:
        store.save(report("z1", "浙江调研", ["加强领导，成立工作小组", "建立示范点，推广经验"]), "v")
        store.save(report("e1", "Visit", ["Build demonstration sites in every county"]), "v")
        index_items(store, EnglishOnly())
        searcher = Searcher(store, EnglishOnly())
        hybrid = searcher.search("示范点", mode="hybrid")
        assert [h.text for h in hybrid] == [h.text for h in searcher.search("示范点", mode="keyword")]
        assert all(h.semantic_rank is None for h in hybrid)
        # an English query still fuses both rankings
        assert searcher.search("demonstration sites", mode="hybrid")[0].semantic_rank == 1
        # an encoder that reads any language is used for any query
        assert Searcher(store, BagOfWordsEmbedder()).search("示范点", mode="hybrid")[0].semantic_rank is not None


def test_hits_mark_the_query_words_and_the_chinese_bigrams_they_matched_on():
    from pipeline.render import highlight_pattern

    marked = lambda q, text: [m.group(0) for m in highlight_pattern(q).finditer(text)]  # noqa: E731
    assert marked("demonstration sites", "Build demonstration sites; a site visit") == ["demonstration", "sites"]
    assert marked("农民增收措施", "加强农业基础建设，促进农民增收") == ["农民", "增收"]
    assert highlight_pattern("of a") is None  # nothing worth marking
