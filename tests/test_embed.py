"""Embedders: the TF-IDF fallback (fast, deterministic), cache keys, the choice of embedder, and MiniLM."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline import embed
from pipeline.embed import Embedder, MiniLMEmbedder, TfidfSvdEmbedder, embedder_by_name, text_key

PRACTICES = [
    "Strengthen the leadership and guidance",
    "Establish a special leadership organization with full-time staff",
    "Train the party cadres of non-public enterprises, focusing on the party branch secretary",
    "Hold key training courses for party branch secretaries at the Provincial Party School",
    "Grasp the construction of demonstration sites and promote work with a point and a face",
    "Summarize and promote the experience of the demonstration sites",
    "Explore technologies to further automate data sharing with IRS",
    "Conduct periodic data quality control reviews of the shared tax data",
]


def assert_unit_float32(vectors: np.ndarray, n: int, dim: int) -> None:
    assert vectors.dtype == np.float32
    assert vectors.shape == (n, dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_text_key_ignores_whitespace_differences():
    assert text_key("Train  party\ncadres ") == text_key("Train party cadres")
    assert len(text_key("x")) == 64 and int(text_key("x"), 16) >= 0


def test_text_key_with_embedder_name_differs_per_embedder():
    assert text_key("Train party cadres", "a") != text_key("Train party cadres", "b")
    assert text_key("Train party cadres", "a") != text_key("Train party cadres")
    assert text_key("Train party cadres") != text_key("train party cadres")  # case is kept


def test_tfidf_rows_are_unit_float32_of_the_declared_dim():
    embedder = TfidfSvdEmbedder(dim=16)
    assert isinstance(embedder, Embedder)
    assert_unit_float32(embedder.embed(PRACTICES), len(PRACTICES), 16)


def test_tfidf_is_bit_identical_in_any_order_and_across_instances():
    first = TfidfSvdEmbedder().embed(PRACTICES)
    rng = np.random.default_rng(7)
    for _ in range(3):
        order = rng.permutation(len(PRACTICES))
        again = TfidfSvdEmbedder().embed([PRACTICES[i] for i in order])
        assert np.array_equal(again, first[order])


def test_tfidf_gives_duplicates_identical_rows():
    vectors = TfidfSvdEmbedder().embed([PRACTICES[0], PRACTICES[1], PRACTICES[0] + "  "])
    assert np.array_equal(vectors[0], vectors[2])


def test_tfidf_puts_related_practices_closer_than_unrelated_ones():
    vectors = TfidfSvdEmbedder().embed(PRACTICES)
    training, training_too, data = vectors[2], vectors[3], vectors[6]
    assert training @ training_too > training @ data


def test_tfidf_stems_lightly_so_inflections_meet():
    assert embed.light_stem("trained") == embed.light_stem("training") == embed.light_stem("trains") == "train"
    assert embed.light_stem("business") == "business"
    assert embed.light_stem("activities") == "activity"


def test_fitted_tfidf_embeds_new_texts_in_the_same_space():
    embedder = TfidfSvdEmbedder(dim=32).fit(PRACTICES)
    assert embedder.fitted
    new = embedder.embed(["Organize training courses for party branch secretaries"])
    old = embedder.embed(PRACTICES)
    assert_unit_float32(new, 1, 32)
    assert int(np.argmax(old @ new[0])) in (2, 3)
    # a text with no known word gets a zero vector, not NaN
    assert not np.isnan(embedder.embed(["quantum"])).any()


def test_tfidf_handles_empty_and_tiny_inputs():
    embedder = TfidfSvdEmbedder(dim=8)
    assert embedder.embed([]).shape == (0, 8)
    assert embedder.embed(["one text"]).shape == (1, 8)
    assert embedder.embed(["the", "a"]).shape == (2, 8)


def test_embedder_is_chosen_by_environment(monkeypatch):
    embed.default_embedder.cache_clear()
    monkeypatch.setenv(embed.EMBEDDER_ENV, "tfidf")
    try:
        assert isinstance(embed.default_embedder(), TfidfSvdEmbedder)
    finally:
        embed.default_embedder.cache_clear()


def test_unknown_embedder_name_is_a_usage_error():
    assert isinstance(embedder_by_name("MiniLM"), MiniLMEmbedder)
    with pytest.raises(ValueError, match="unknown embedder"):
        embedder_by_name("word2vec")


@pytest.mark.slow
def test_minilm_puts_paraphrases_closer_than_an_unrelated_sentence():
    embedder = MiniLMEmbedder()
    texts = [
        "Train the party cadres of non-public enterprises, focusing on the party branch secretary",
        "Hold training courses for the secretaries of party branches in private companies",
        "Explore technologies to further automate data sharing with IRS",
    ]
    vectors = embedder.embed(texts)
    assert_unit_float32(vectors, 3, embedder.dim)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    # order-independent within a call: texts are embedded in a canonical order
    assert np.array_equal(embedder.embed(texts[::-1]), vectors[::-1])
