"""Theme labels: one short noun phrase from the theme's own practices (English and Chinese), never a verb
phrase, a list, a region or one member's whole text; label-fit on fixture sets; the regions field."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from pipeline.themes import Theme, ThemeInput, build_themes, embedding_text
from pipeline.themes.chinese import chinese_phrases, has_segmenter
from pipeline.themes.labels import choose_labels, names_a_region

from .test_themes import load_fixture, tfidf_vectors


class CharBigrams:
    """A hand-made embedder for Chinese fixtures: counts of the character pairs seen when fitted."""

    name = "char-bigrams"

    def fit(self, texts: list[str]) -> "CharBigrams":
        self.vocabulary = {b: k for k, b in enumerate(sorted({t[i:i + 2] for t in texts for i in range(len(t) - 1)}))}
        self.dim = len(self.vocabulary)
        return self

    def embed(self, texts: list[str]) -> np.ndarray:
        matrix = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for i in range(len(text) - 1):
                if text[i:i + 2] in self.vocabulary:
                    matrix[row, self.vocabulary[text[i:i + 2]]] += 1
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms == 0, 1, norms)


def label_fit(themes: list[Theme], vectors_by_id: dict[str, np.ndarray], embedder) -> float:
    """Share of themes whose label is closer (mean cosine) to its own practices than to any other theme's."""
    labels = embedder.embed([t.label for t in themes])
    fits = 0
    for k, label in enumerate(labels):
        means = [float(np.mean([vectors_by_id[m] @ label for m in t.members])) for t in themes]
        fits += all(means[k] > x for j, x in enumerate(means) if j != k)
    return fits / len(themes)


def majority(theme: Theme, groups: dict[str, str]) -> str:
    return Counter(groups[m] for m in theme.members).most_common(1)[0][0]


@pytest.fixture(scope="module")
def english():
    items, groups = load_fixture("labels_en.json")
    vectors, embedder = tfidf_vectors(items)
    return items, groups, vectors, embedder, build_themes(items, vectors, embedder=embedder)


@pytest.fixture(scope="module")
def chinese():
    items, groups = load_fixture("labels_zh.json")
    embedder = CharBigrams().fit([embedding_text(i) for i in items])
    vectors = embedder.embed([embedding_text(i) for i in items])
    return items, groups, vectors, embedder, build_themes(items, vectors, embedder=embedder)


def test_english_labels_are_short_noun_phrases_about_their_group(english):
    items, groups, _, _, themes = english
    opening_verbs = {i.text.split()[0].lower() for i in items} - {"party"}
    by_group: dict[str, list[str]] = {}
    for theme in themes:
        words = theme.label.split()
        assert 1 <= len(words) <= 5 and " · " not in theme.label, theme.label
        assert words[0].lower() not in opening_verbs, theme.label  # "expand ...", "fund ...": verbs, not names
        by_group.setdefault(majority(theme, groups), []).append(theme.label)
    assert "cybersecurity workforce training" in by_group["cyber"]
    assert any("party organization" in label and "private firm" in label for label in by_group["party"])
    assert any(("water" in label or "service line" in label) for label in by_group["water"])


def test_chinese_labels_are_chinese_phrases_never_a_whole_headline(chinese):
    items, groups, _, _, themes = chinese
    headlines = {i.text for i in items} | {i.text.split("，")[0] for i in items}
    labels = {majority(t, groups): t.label for t in themes if t.size >= 3}
    for theme in themes:
        assert 2 <= len(theme.label) <= 10 and theme.label not in headlines, theme.label
        assert all("\u4e00" <= ch <= "\u9fff" for ch in theme.label)
    assert "扶贫" in labels["poverty"] and "党组织" in labels["party"] and "污" in labels["pollution"]


@pytest.mark.parametrize("which", ["english", "chinese"])
def test_no_label_or_key_phrase_names_a_region(which, request):
    items, _, _, _, themes = request.getfixturevalue(which)
    regions = {i.region for i in items if i.region} | {i.region.removesuffix(" County") for i in items if i.region}
    for theme in themes:
        for phrase in [theme.label, *theme.key_phrases]:
            assert not any(r.lower() in phrase.lower() for r in regions), (phrase, regions)
            assert not names_a_region(phrase, set())


@pytest.mark.parametrize("which", ["english", "chinese"])
def test_labels_fit_their_own_practices(which, request):
    items, _, vectors, embedder, themes = request.getfixturevalue(which)
    by_id = {i.id: v for i, v in zip(items, vectors)}
    assert len(themes) >= 3
    assert label_fit(themes, by_id, embedder) >= 0.9


def test_a_theme_holds_only_the_regions_of_its_own_practices(english):
    items, _, _, _, themes = english
    region_of = {i.id: i.region for i in items}
    report_of = {i.id: i.report_id for i in items}
    for theme in themes:
        assert theme.regions == sorted({region_of[m] for m in theme.members if region_of[m]})
        assert theme.reports == sorted({report_of[m] for m in theme.members})
        if theme.reports == ["audit"]:
            assert "Eastvale" not in theme.regions  # the inquiry's region stays off the audit's themes


def test_a_region_of_one_report_stays_off_a_theme_of_another_report():
    """Two reports on one topic, one naming its city in its practices: a theme made only of the other
    report's practices has no region, and no label names the city."""
    items = [ThemeInput(id=f"a:P{k}", report_id="a", region="Northport", text=f"Northport trained {who} in fire safety")
             for k, who in enumerate(["wardens", "teachers", "nurses"])]
    items += [ThemeInput(id=f"b:P{k}", report_id="b", text=f"Install {what} in public housing")
              for k, what in enumerate(["smoke alarms", "sprinklers", "fire doors"])]
    vectors, embedder = tfidf_vectors(items)
    themes = build_themes(items, vectors, n_themes=2, embedder=embedder)
    for theme in themes:
        assert "northport" not in theme.label.lower()
        if theme.reports == ["b"]:
            assert theme.regions == []


def test_the_label_is_the_candidate_that_tells_its_theme_apart():
    """Margins, not raw closeness: a phrase close to every theme loses to one close to its own only."""
    means = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    vectors = {"common": [0.7, 0.7, 0.1], "own": [0.9, 0.1, 0.4], "theirs": [0.1, 0.9, 0.4]}

    def embed(texts):
        rows = np.array([vectors[t] for t in texts])
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    choices = choose_labels([["common", "own"], ["common", "theirs"]], [["common"], ["common"]], means, embed)
    assert [c.label for c in choices] == ["own", "theirs"]
    assert choices[0].key_phrases[0] == "own"
    # a codebook name close enough to the theme and telling it apart better names it
    codebook = [("Named theme", np.array([1.0, -0.2, 0.0]))]
    named = choose_labels([["common", "own"], ["common", "theirs"]], [[], []], means, embed, codebook, 0.5)
    assert [c.label for c in named] == ["Named theme", "theirs"]
    # without an embedder, the best c-TF-IDF phrase
    assert [c.label for c in choose_labels([["common", "own"]], [[]], means[:1], None)] == ["common"]


@pytest.mark.skipif(not has_segmenter(), reason="jieba is not installed")
def test_chinese_phrases_are_runs_of_nouns_without_places():
    phrases = chinese_phrases("在浙江省温州市建立党建工作指导员制度")
    assert "党建工作指导员制度" in phrases and "指导员制度" in phrases
    assert not any("温州" in p or "浙江" in p for p in phrases)
    assert not any(p.startswith(("建立", "加强")) for p in chinese_phrases("加强农村扶贫开发，建立贫困户档案"))


def test_english_noun_phrases_include_of_and_in_phrases_but_no_verb_phrases():
    from pipeline.components.noun_phrases import parse_phrases

    text = "Train the secretaries of party organizations in private firms"
    phrases = parse_phrases([(text, len(text))])[0]
    assert "party organization in private firm" in phrases or "secretary of party organization" in phrases
    assert not any(p.split()[0] == "train" for p in phrases)


def test_no_english_phrase_names_a_place_or_people_the_region_field_does_not_know():
    from pipeline.components.noun_phrases import parse_phrases

    text = "Adopt the Canadian leasing model of Ontario for federal buildings"
    phrases = parse_phrases([(text, len(text))])[0]
    assert phrases and not any("ontario" in p.lower() or "canadian" in p.lower() for p in phrases)
    assert any("leasing model" in p for p in phrases)
