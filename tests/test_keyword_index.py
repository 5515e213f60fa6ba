"""The in-memory word index of a resident searcher: the same ranking as FTS5's bm25, to the last bit."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.keyword_index import KeywordIndex
from pipeline.records import Analysis, Finding, Practice, Recommendation, Report
from pipeline.search import Filters, Searcher, content_terms
from pipeline.store import Store
from pipeline.store.index import BM25_WEIGHTS

# Words FTS5's tokenizer treats in ways a naive one would not: case and diacritics folded ("CAFÉ",
# a decomposed "naïve"), porter stems ("training" / "trains"), separators inside \w ("zone_5"), a dotted
# abbreviation, a dotted "İ", hyphens, figures, and runs of Chinese characters with no spaces.
WORDS = ["training", "trains", "trained", "Training,", "party", "parties", "cadres", "(cadres)", "café", "CAFÉ",
         "nai\u0308ve", "naïve", "zone_5", "U.S.", "İstanbul", "e-mail", "data-sharing", "10.5%", "2019",
         "agencies'", "agency's", "Straße", "STRASSE", "党建工作", "党建", "示范点", "sites", "site;", "grant",
         "grants", "oversight", "the", "of", "and", "demonstration", "\u00a0pilot", "x\u200bword"]


def _items(texts: list[tuple[str, str]]) -> list[Practice]:
    return [Practice(id=f"P{i}", text=t, detail=d, span=(0, 1)) for i, (t, d) in enumerate(texts, start=1)]


def _store_of(path, reports: list[list[tuple[str, str]]]) -> Store:
    store = Store(path)
    for n, texts in enumerate(reports, start=1):
        text = " ".join(t for t, _ in texts) or "empty"
        store.save(Analysis(report=Report(id=f"r{n}", source=f"r{n}.txt", title=f"Report {n}", language="en",
                                          text=text, studied_regions=["Zhejiang" if n % 2 else "Ohio"],
                                          report_type="audit report" if n % 3 == 0 else "investigation report"),
                            practices=_items(texts),
                            findings=[Finding(id="N1", text=f"finding on {texts[0][0]}" if texts else "none",
                                              span=(0, 1))],
                            recommendations=[Recommendation(id="R1", text="agencies should share data", span=(0, 1))]),
                   "v")
    return store


@pytest.fixture
def mixed_store(tmp_path):
    reports = [
        [("Train party cadres at the county party school", "Training courses for cadres every spring"),
         ("Build demonstration sites", "Sites in industrial parks, 10.5% of firms"),
         ("Share data between agencies", "")],
        [("Set up pilot sites", "The café owners' association (CAFÉ) trains staff"),
         ("Oversight of grant funding", "Grants audited yearly; grant oversight by the U.S. office"),
         ("加强党建工作", "建立示范点")],
        [("Data-sharing agreements", "e-mail and data sharing between agencies' systems"),
         ("zone_5 pilots", "naïve and nai\u0308ve estimates of training needs")],
    ]
    with _store_of(tmp_path / "mixed.db", reports) as store:
        yield store


QUERIES = ["training of party cadres", "demonstration sites", "data sharing between agencies", "café", "CAFE",
           "naive", "grant oversight", "sites", "U.S.", "the", "zone_5", "e-mail", "10.5", "nothing matches this"]


@pytest.mark.parametrize("kinds", [("practices",), ("findings", "recommendations"),
                                   ("practices", "findings", "recommendations", "figures", "stages")])
def test_the_in_memory_index_ranks_exactly_as_fts5(mixed_store, kinds):
    index = KeywordIndex.build(mixed_store, BM25_WEIGHTS)
    assert len(index) == mixed_store.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    answered = 0
    for query in QUERIES:
        expression = " OR ".join(f'"{t}"' for t in content_terms(query))
        expected = mixed_store.keyword_ranking("items_fts", expression, kinds, Filters(), 50)
        found = index.ranking(mixed_store, content_terms(query), kinds, None, 50)
        if found is not None:
            answered += 1
            assert found == expected, query  # rowids, order and float scores all equal
    assert answered >= len(QUERIES) - 1  # only "zone_5" (two tokens to FTS5: a phrase) is left to FTS5
    assert index.ranking(mixed_store, ["zone_5"], kinds, None, 50) is None


@pytest.mark.parametrize("filters", [Filters(), Filters(region="Ohio"), Filters(report_type="audit report"),
                                     Filters(report="r1")])
def test_a_resident_searcher_returns_what_a_one_off_search_returns(mixed_store, filters):
    resident, one_off = Searcher(mixed_store, resident=True), Searcher(mixed_store)
    for query, limit in itertools.product(QUERIES, (1, 3, 10)):
        got = [h.as_dict() for h in resident.search(query, mode="keyword", filters=filters, limit=limit)]
        assert got == [h.as_dict() for h in one_off.search(query, mode="keyword", filters=filters, limit=limit)]
    assert resident.keyword_index() is not None and one_off.keyword_index() is None
    resident.close()
    one_off.close()


def test_ties_break_by_rowid_as_in_fts5(tmp_path):
    same = [("Publish annual plans", "")] * 12  # equal scores: only the rowid orders them
    with _store_of(tmp_path / "ties.db", [same, same]) as store:
        index = KeywordIndex.build(store, BM25_WEIGHTS)
        for limit in (1, 5, 12, 30):
            expected = store.keyword_ranking("items_fts", '"annual"', ("practices",), Filters(), limit)
            assert index.ranking(store, ["annual"], ("practices",), None, limit) == expected
            assert [r for r, _ in expected] == sorted(r for r, _ in expected)


text_strategy = st.lists(st.sampled_from(WORDS), min_size=0, max_size=14).map(" ".join)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reports=st.lists(st.lists(st.tuples(text_strategy.filter(bool), text_strategy), min_size=1, max_size=5),
                        min_size=1, max_size=3),
       query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join))
def test_any_text_any_query_same_scores_as_fts5(tmp_path_factory, reports, query):
    path = tmp_path_factory.mktemp("kw") / "s.db"
    with _store_of(path, reports) as store:
        index = KeywordIndex.build(store, BM25_WEIGHTS)
        try:
            terms = content_terms(query)
        except Exception:
            return
        expression = " OR ".join(f'"{t}"' for t in terms)
        found = index.ranking(store, terms, ("practices", "findings"), None, 20)
        if found is None:  # a term FTS5 makes a phrase of
            assert any(len(store.fts_tokens([t])[0]) != 1 for t in terms)
        else:
            assert found == store.keyword_ranking("items_fts", expression, ("practices", "findings"), Filters(), 20)


def test_hybrid_search_ranks_words_in_its_own_thread_from_memory_too(mixed_store):
    from pipeline.vectors import index_items
    from tests.test_search import BagOfWordsEmbedder

    index_items(mixed_store, BagOfWordsEmbedder())
    resident = Searcher(mixed_store, BagOfWordsEmbedder(), resident=True)
    one_off = Searcher(mixed_store, BagOfWordsEmbedder())
    for query in QUERIES:
        got = [h.as_dict() for h in resident.search(query, mode="hybrid", kinds=("practices", "findings"))]
        assert got == [h.as_dict() for h in one_off.search(query, mode="hybrid", kinds=("practices", "findings"))]
    assert resident.keyword_index() is not None
    resident.close()
    one_off.close()
