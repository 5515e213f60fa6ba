"""Corpus-level stages over the store: themes built once, new practices assigned, rebuilds, determinism."""
from __future__ import annotations

import pytest

from pipeline.corpus import index_and_theme, refresh_themes, theme_listing
from pipeline.store import Store

from .test_search import BagOfWordsEmbedder, report

TRAINING = ["Train branch secretaries at the party school", "Run training courses for party cadres",
            "Send cadres to training classes at universities"]
SITES = ["Build demonstration sites in every county", "Set up demonstration sites in industrial parks",
         "Promote the experience of demonstration sites"]
DATA = ["Share tax data between agencies", "Build a data sharing platform for agencies",
        "Check data quality before sharing data"]


def fill(store, order):
    groups = {"t": TRAINING, "s": SITES, "d": DATA}
    for key in order:
        store.save(report(f"r{key}", f"Report {key}", groups[key]), "v")


def test_themes_group_similar_practices_and_every_practice_gets_one(tmp_path):
    with Store(tmp_path / "s.db") as store:
        fill(store, "tsd")
        result = refresh_themes(store, embedder=BagOfWordsEmbedder(), n_themes=3)
        assert result.rebuilt and result.themes == 3
        assert store.unthemed_practices() == set()
        listing = theme_listing(store, top=3)
        groups = sorted(sorted(p["text"] for p in t["practices"]) for t in listing)
        assert groups == sorted(sorted(g) for g in (TRAINING, SITES, DATA))
        assert all(t["size"] == 3 and len(t["reports"]) == 1 for t in listing)


def test_same_practices_in_any_insertion_order_give_the_same_themes(tmp_path):
    results = []
    for i, order in enumerate(("tsd", "dts", "sdt")):
        with Store(tmp_path / f"{i}.db") as store:
            fill(store, order)
            refresh_themes(store, embedder=BagOfWordsEmbedder())
            results.append(sorted((t["id"], t["label"], tuple(t["members"])) for t in store.themes()))
    assert results[0] == results[1] == results[2]


def test_new_practices_join_existing_themes_without_a_rebuild(tmp_path):
    with Store(tmp_path / "s.db") as store:
        fill(store, "tsd")
        refresh_themes(store, embedder=BagOfWordsEmbedder(), n_themes=3)
        before = {t["id"] for t in store.themes()}
        store.save(report("rnew", "New report", ["Train party cadres at the party school",
                                                 "Share data between agencies"]), "v")
        result = refresh_themes(store, embedder=BagOfWordsEmbedder())
        assert not result.rebuilt and result.assigned == 2
        assert {t["id"] for t in store.themes()} == before
        loaded = store.load("rnew")
        themes = {p.text: p.theme_id for p in loaded.practices}
        training_theme = store.load("rt").practices[0].theme_id
        assert themes["Train party cadres at the party school"] == training_theme
        # nothing new: nothing to do
        assert refresh_themes(store, embedder=BagOfWordsEmbedder()).assigned == 0


def test_rebuild_on_request_and_when_the_embedder_changes(tmp_path):
    with Store(tmp_path / "s.db") as store:
        fill(store, "tsd")
        refresh_themes(store, embedder=BagOfWordsEmbedder())
        assert refresh_themes(store, embedder=BagOfWordsEmbedder(), rebuild=True).rebuilt

        class Other(BagOfWordsEmbedder):
            name = "another-model"

        store.save(report("rnew", "New report", ["Train party cadres at the party school"]), "v")
        assert refresh_themes(store, embedder=Other()).rebuilt


def test_index_and_theme_gives_every_item_a_vector(tmp_path):
    with Store(tmp_path / "s.db") as store:
        fill(store, "ts")
        index_and_theme(store, BagOfWordsEmbedder())
        assert store.items_without_vectors(BagOfWordsEmbedder.name) == []
        assert len(store.themes()) >= 2


def test_empty_store_has_no_themes(tmp_path):
    with Store(tmp_path / "s.db") as store:
        result = refresh_themes(store, embedder=BagOfWordsEmbedder())
        assert result.themes == 0 and store.themes() == []


def test_mostly_new_practices_trigger_a_fresh_clustering(tmp_path):
    with Store(tmp_path / "s.db") as store:
        fill(store, "t")
        refresh_themes(store, embedder=BagOfWordsEmbedder())
        fill(store, "sd")  # six new practices against three themed ones
        assert refresh_themes(store, embedder=BagOfWordsEmbedder()).rebuilt


class CountingEmbedder(BagOfWordsEmbedder):
    def __init__(self):
        self.texts = []

    def embed(self, texts):
        self.texts.extend(texts)
        return super().embed(texts)


def test_vectors_made_with_the_analysis_are_stored_with_it_and_not_recomputed(tmp_path):
    from pipeline.records import Figure
    from pipeline.vectors import analysis_embeddings

    analysis = report("rf", "Figures report", TRAINING)
    sentence = "The county trained 120 cadres and 35 secretaries in 2001."
    analysis.figures = [
        Figure(id="F1", text="120 cadres", span=(0, 10), sentence=sentence, value=120, kind="count"),
        Figure(id="F2", text="35 secretaries", span=(11, 25), sentence=sentence, value=35, kind="count"),
    ]
    worker = CountingEmbedder()
    vectors = analysis_embeddings(analysis, worker)
    # three practices and one sentence: the two figures of that sentence share one vector
    assert len(worker.texts) == len(vectors) == 4
    assert sentence.rstrip(".") in worker.texts
    parent = CountingEmbedder()
    with Store(tmp_path / "s.db") as store:
        store.save(analysis, "v", embeddings=(parent.name, vectors))
        index_and_theme(store, parent)
        assert store.items_without_vectors(parent.name) == []
        # the items' vectors came with the report (the parent only encodes the codebook's descriptions)
        assert not set(parent.texts) & set(worker.texts)
        # a worker meeting the same texts again (a copy, boilerplate) finds them in the store
        again = CountingEmbedder()
        assert analysis_embeddings(analysis, again, store) == {} and again.texts == []


def test_a_corpus_relative_embedder_gives_no_vectors_with_the_analysis():
    from pipeline.vectors import analysis_embeddings

    class Relative(CountingEmbedder):
        corpus_relative = True

    embedder = Relative()
    assert analysis_embeddings(report("rx", "X", TRAINING), embedder) == {} and embedder.texts == []


def _chinese_report(rid, practices):
    from pipeline.records import Analysis, Practice, Report

    text = "。".join(practices) + "。"
    items = [Practice(id=f"P{i}", text=p, span=(text.index(p), text.index(p) + len(p)))
             for i, p in enumerate(practices, start=1)]
    return Analysis(report=Report(id=rid, source=f"{rid}.txt", title=f"报告 {rid}", language="zh", text=text),
                    practices=items)


def test_themes_n_counts_the_discovered_themes_of_all_languages_together(tmp_path):
    with Store(tmp_path / "s.db") as store:
        fill(store, "tsd")
        store.save(_chinese_report("rz", ["建设示范点", "培训党员干部", "共享税务数据"]), "v")
        result = refresh_themes(store, embedder=BagOfWordsEmbedder(), n_themes=4)
        assert result.themes == 4
        assert sorted(t["language"] for t in store.themes()) == ["en", "en", "en", "zh"]


@pytest.mark.parametrize("n, sizes, expected", [
    (4, {"en": 9, "zh": 3}, {"en": 3, "zh": 1}),
    (10, {"en": 50, "zh": 50}, {"en": 5, "zh": 5}),
    (1, {"en": 9, "zh": 3}, {"en": 1, "zh": 1}),
    (5, {"en": 2, "zh": 30}, {"en": 1, "zh": 4}),
])
def test_share_themes(n, sizes, expected):
    from pipeline.corpus import share_themes

    assert share_themes(n, sizes) == expected
