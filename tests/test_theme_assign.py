"""Incremental theme assignment (pipeline/themes/assign.py): a new practice in a language the embedder does not
read joins a theme by the character-bigram space the build grouped that language in, among that language's
themes only; a practice in a language it reads is assigned exactly as before."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.corpus import refresh_themes
from pipeline.store import Store
from pipeline.themes import Theme, ThemeInput, assign_to_themes, build_themes, embedding_text, theme_space

from .test_corpus import _chinese_report, fill
from .test_search import BagOfWordsEmbedder, report
from .test_theme_spaces import english_only
from .test_themes import load_fixture

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "themes" / "assign_zh.json").read_text(encoding="utf-8"))
NOISE = "Share tax data between agencies"


class EnglishBagOfWords(BagOfWordsEmbedder):
    """Reads English only, like MiniLM, and at its worst on Chinese: every Chinese text gets one and the same
    English vector (that of ``NOISE``), so by these vectors every Chinese practice is nearest to any theme."""

    name = "bag-of-words-en-test"
    languages = ("en",)

    def embed(self, texts):
        return super().embed([NOISE if any("\u4e00" <= ch <= "\u9fff" for ch in t[:20]) else t for t in texts])


def _chinese_store(tmp_path, embedder):
    store = Store(tmp_path / "s.db")
    fill(store, "tsd")
    for rid, practices in FIXTURE["existing"].items():
        store.save(_chinese_report(rid, practices), "v")
    assert refresh_themes(store, embedder=embedder).rebuilt
    return store


def _theme_of(store, rid: str, index: int):
    return store.load(rid).practices[index].theme_id


def test_a_batch_of_chinese_practices_joins_the_chinese_themes_they_share_topics_with(tmp_path):
    embedder = EnglishBagOfWords()
    with _chinese_store(tmp_path, embedder) as store:
        garbage, elderly = _theme_of(store, "zA", 0), _theme_of(store, "zA", 3)
        assert garbage != elderly and _theme_of(store, "zB", 0) == garbage  # the build grouped them by topic
        before = {t["id"] for t in store.themes()}
        new = FIXTURE["new"]["zN"]
        store.save(_chinese_report("zN", [p["text"] for p in new]), "v")
        store.save(report("rnew", "New report", ["Train party cadres at the party school"]), "v")
        result = refresh_themes(store, embedder=embedder)
        assert not result.rebuilt and {t["id"] for t in store.themes()} == before
        got = [p.theme_id for p in store.load("zN").practices]
        want = {"garbage": garbage, "elderly": elderly, None: None}
        assert got == [want[p["topic"]] for p in new]
        # English practices: as before (the training theme)
        assert store.load("rnew").practices[0].theme_id == _theme_of(store, "rt", 0)


def test_by_the_embedders_vectors_the_unrelated_chinese_practices_would_have_joined_a_theme(tmp_path):
    """What the test above guards against: the old comparison of Chinese practices with centroids."""
    embedder = EnglishBagOfWords()
    with _chinese_store(tmp_path, embedder) as store:
        themes = [Theme.model_validate({k: v for k, v in t.items() if k not in ("embedder", "language")})
                  for t in store.themes() if t["language"] == "zh"]
    new = [ThemeInput(id=f"zN:P{k}", report_id="zN", text=p["text"]) for k, p in enumerate(FIXTURE["new"]["zN"], 1)]
    old = assign_to_themes(new, embedder.embed([embedding_text(i) for i in new]), themes, embedder_name=embedder.name)
    assert None not in old.values() and len(set(old.values())) == 1


def _mixed_themes():
    """English themes from the four-group fixture and Chinese ones from the assignment fixture, built
    together by an English-only embedder, with every theme's member practices."""
    english, _ = load_fixture("four_groups.json")
    chinese = [ThemeInput(id=f"{rid}:P{k}", report_id=rid, text=text)
               for rid, texts in FIXTURE["existing"].items() for k, text in enumerate(texts, 1)]
    items = english + chinese
    embedder = english_only(items)
    themes = build_themes(items, embedder.embed([embedding_text(i) for i in items]), embedder=embedder,
                          with_labels=False)
    by_id = {i.id: i for i in items}
    return english, themes, {t.id: [by_id[m] for m in t.members] for t in themes}, embedder


def test_english_assignment_is_unchanged():
    english, themes, members, embedder = _mixed_themes()
    english_themes = [t for t in themes if theme_space(t, members[t.id], embedder) is None]
    assert english_themes and len(english_themes) < len(themes)
    new = english + [ThemeInput(id="new:P1", report_id="new", text="Organize training courses for party branch secretaries"),
                     ThemeInput(id="new:P2", report_id="new", text="Ship nuclear waste to a geologic repository")]
    vectors = embedder.embed([embedding_text(i) for i in new])
    before = assign_to_themes(new, vectors, english_themes, embedder_name=embedder.name)
    after = assign_to_themes(new, vectors, themes, embedder_name=embedder.name, embedder=embedder, members=members)
    assert after == before
    assert before["new:P2"] is None and sum(v is not None for v in before.values()) > len(english)


def test_no_practice_joins_a_theme_of_the_other_space_however_close_its_vector():
    english, themes, members, embedder = _mixed_themes()
    space = {t.id: theme_space(t, members[t.id], embedder) for t in themes}
    english_theme = next(t for t in themes if space[t.id] is None)
    chinese_theme = next(t for t in themes if space[t.id] == "zh")
    chinese = ThemeInput(id="new:P1", report_id="new", text="修订地方志编纂规程")
    english_item = ThemeInput(id="new:P2", report_id="new", text="Ship nuclear waste to a geologic repository")
    # each practice's vector set to the centroid of a theme of the other space: the old rule takes that theme
    vectors = np.array([english_theme.centroid, chinese_theme.centroid])
    old = assign_to_themes([chinese, english_item], vectors, themes, embedder_name=embedder.name)
    assert old == {"new:P1": english_theme.id, "new:P2": chinese_theme.id}
    new = assign_to_themes([chinese, english_item], vectors, themes, embedder_name=embedder.name,
                           embedder=embedder, members=members)
    assert new["new:P1"] is None  # no Chinese theme is about local chronicles
    assert new["new:P2"] != chinese_theme.id and space.get(new["new:P2"]) is None


@pytest.mark.parametrize("k, topic", [(0, "garbage"), (1, "elderly")])
def test_a_chinese_practice_joins_the_chinese_theme_of_its_topic(k, topic):
    _, themes, members, embedder = _mixed_themes()
    item = ThemeInput(id="new:P1", report_id="new", text=FIXTURE["new"]["zN"][k]["text"])
    assert FIXTURE["new"]["zN"][k]["topic"] == topic
    first = {"garbage": "zA:P1", "elderly": "zA:P4"}[topic]  # the first existing practice on that topic
    got = assign_to_themes([item], embedder.embed([item.text]), themes, embedder_name=embedder.name,
                           embedder=embedder, members=members)["new:P1"]
    assert got == next(t.id for t in themes if first in t.members)
    # without the members of the Chinese themes there is nothing to compare it with
    bare = {t: (m if theme_space(next(x for x in themes if x.id == t), m, embedder) is None else [])
            for t, m in members.items()}
    assert assign_to_themes([item], embedder.embed([item.text]), themes, embedder_name=embedder.name,
                            embedder=embedder, members=bare) == {"new:P1": None}
