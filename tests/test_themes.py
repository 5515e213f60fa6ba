"""Themes: determinism, small and large data, n_themes, codebook, incremental assignment, labels.

Most tests embed with the TF-IDF fallback or with hand-made vectors; labels use the statistical spaCy model.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from pipeline.embed import MiniLMEmbedder, TfidfSvdEmbedder
from pipeline.themes import (
    CodebookEntry,
    Theme,
    ThemeInput,
    assign_to_themes,
    build_themes,
    embedding_text,
    load_codebook,
    silhouette_by_labels,
)

FIXTURES = Path(__file__).parent / "fixtures" / "themes"
ROOT = Path(__file__).resolve().parents[1]


def load_fixture(name: str) -> tuple[list[ThemeInput], dict[str, str]]:
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    report = data.get("report_id")
    items, groups = [], {}
    for p in data["practices"]:
        report_id = report or p["id"].split(":")[0]
        items.append(
            ThemeInput(
                id=p["id"] if ":" in p["id"] else f"{report_id}:{p['id']}",
                report_id=report_id,
                text=p["text"],
                detail=p.get("detail", ""),
                region=p.get("region"),
                report_title=data.get("report_title"),
            )
        )
        groups[items[-1].id] = p.get("group", "")
    return items, groups


def tfidf_vectors(items: list[ThemeInput], extra: list[str] = ()) -> tuple[np.ndarray, TfidfSvdEmbedder]:
    texts = [embedding_text(i) for i in items]
    embedder = TfidfSvdEmbedder().fit(texts + list(extra))
    return embedder.embed(texts), embedder


def member_sets(themes: list[Theme]) -> set[frozenset[str]]:
    return {frozenset(t.members) for t in themes}


def expected_groups(groups: dict[str, str]) -> set[frozenset[str]]:
    by_group: dict[str, set[str]] = defaultdict(set)
    for item_id, group in groups.items():
        by_group[group].add(item_id)
    return {frozenset(ids) for ids in by_group.values()}


def assert_partition(themes: list[Theme], items: list[ThemeInput]) -> None:
    members = [m for t in themes for m in t.members]
    assert sorted(members) == sorted(i.id for i in items)  # every practice in exactly one theme
    for theme in themes:
        assert theme.members == sorted(theme.members) and theme.size == len(theme.members)


@pytest.fixture(scope="module")
def four_groups():
    return load_fixture("four_groups.json")


@pytest.fixture(scope="module")
def zhejiang():
    return load_fixture("zhejiang_practices.json")


# ----------------------------------------------------------------------------------------- determinism


def test_same_practices_in_any_order_give_identical_themes(zhejiang):
    items, _ = zhejiang
    vectors, embedder = tfidf_vectors(items)
    reference = [t.model_dump() for t in build_themes(items, vectors, embedder=embedder)]
    rng = np.random.default_rng(11)
    for _ in range(4):
        order = rng.permutation(len(items))
        shuffled = build_themes([items[i] for i in order], vectors[order], embedder=embedder)
        assert [t.model_dump() for t in shuffled] == reference


def test_sampled_path_for_large_inputs_is_order_independent_too():
    items, vectors = synthetic_blobs(n_per_blob=60, blobs=5, seed=3)
    kwargs = dict(max_linkage_items=80, with_labels=False, embedder=TfidfSvdEmbedder())
    reference = [t.model_dump() for t in build_themes(items, vectors, **kwargs)]
    order = np.random.default_rng(5).permutation(len(items))
    shuffled = build_themes([items[i] for i in order], vectors[order], **kwargs)
    assert [t.model_dump() for t in shuffled] == reference


def test_theme_ids_derive_from_members_and_codebook_names(four_groups):
    items, _ = four_groups
    vectors, embedder = tfidf_vectors(items)
    for theme in build_themes(items, vectors, embedder=embedder, with_labels=False):
        assert theme.id.startswith("t-") and len(theme.id) == 14
        assert theme.codebook is None


# ------------------------------------------------------------------------------------ how many themes


def test_four_obvious_groups_are_found(four_groups):
    items, groups = four_groups
    vectors, embedder = tfidf_vectors(items)
    themes = build_themes(items, vectors, embedder=embedder)
    assert_partition(themes, items)
    assert member_sets(themes) == expected_groups(groups)


def test_one_report_gives_a_handful_of_themes(zhejiang):
    items, _ = zhejiang
    vectors, embedder = tfidf_vectors(items)
    themes = build_themes(items, vectors, embedder=embedder)
    assert_partition(themes, items)
    assert 3 <= len(themes) <= 10
    assert sum(t.size == 1 for t in themes) <= 2  # no pile of singletons
    assert max(t.size for t in themes) <= len(items) // 2  # and no catch-all bucket


def test_large_inputs_cluster_a_sample_and_assign_the_rest():
    items, vectors = synthetic_blobs(n_per_blob=60, blobs=5, seed=3)
    themes = build_themes(items, vectors, max_linkage_items=80, with_labels=False, embedder=TfidfSvdEmbedder())
    assert_partition(themes, items)
    assert member_sets(themes) == {frozenset(i.id for i in items if i.report_id == f"blob{b}") for b in range(5)}


@pytest.mark.parametrize("n_themes", [2, 4, 7])
def test_n_themes_overrides_the_automatic_choice(four_groups, n_themes):
    items, groups = four_groups
    vectors, embedder = tfidf_vectors(items)
    themes = build_themes(items, vectors, n_themes=n_themes, embedder=embedder, with_labels=False)
    assert len(themes) == n_themes
    assert_partition(themes, items)
    if n_themes == 4:
        assert member_sets(themes) == expected_groups(groups)


def test_n_themes_larger_than_the_data_gives_one_theme_per_practice(four_groups):
    items, _ = four_groups
    vectors, embedder = tfidf_vectors(items)
    themes = build_themes(items[:3], vectors[:3], n_themes=10, embedder=embedder, with_labels=False)
    assert sorted(t.size for t in themes) == [1, 1, 1]


def test_tiny_inputs():
    one = [ThemeInput(id="r:P1", report_id="r", text="Train party cadres")]
    assert build_themes([], np.zeros((0, 4))) == []
    themes = build_themes(one, np.ones((1, 4)), embedder=TfidfSvdEmbedder(dim=4))
    assert [t.members for t in themes] == [["r:P1"]]


def test_bad_inputs_are_rejected_with_a_reason(four_groups):
    items, _ = four_groups
    vectors, embedder = tfidf_vectors(items)
    with pytest.raises(ValueError, match="shape"):
        build_themes(items, vectors[:-1], embedder=embedder)
    with pytest.raises(ValueError, match="unique"):
        build_themes(items + items[:1], np.vstack([vectors, vectors[:1]]), embedder=embedder)
    with pytest.raises(ValueError, match="n_themes"):
        build_themes(items, vectors, n_themes=0, embedder=embedder)


# ---------------------------------------------------------------------------------------------- codebook


class KeywordEmbedder:
    """A hand-made embedder for codebook tests: one dimension per keyword present, plus a small constant."""

    name = "keywords"
    keywords = ("train", "demonstration", "data", "grant")
    dim = len(keywords) + 1

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = [[float(k in t.lower()) for k in self.keywords] + [0.1] for t in texts]
        matrix = np.array(rows, dtype=np.float32)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


CODEBOOK = [
    CodebookEntry(name="grant funding", description="grant funds to states and other grantees"),
    CodebookEntry(name="Demonstration sites", description="building demonstration sites and model units"),
    CodebookEntry(name="international trade", description="trade agreements with other countries"),
]


def test_practices_close_to_a_codebook_entry_get_it_and_the_rest_are_discovered(four_groups):
    items, groups = four_groups
    embedder = KeywordEmbedder()
    vectors = embedder.embed([embedding_text(i) for i in items])
    themes = build_themes(items, vectors, codebook=CODEBOOK, embedder=embedder)
    assert_partition(themes, items)
    by_codebook = {t.codebook: t for t in themes}
    assert set(by_codebook) == {"grant funding", "Demonstration sites", None}  # unused entries vanish
    grant, demo = by_codebook["grant funding"], by_codebook["Demonstration sites"]
    assert set(grant.members) == {i for i, g in groups.items() if g == "grants"}
    assert set(demo.members) == {i for i, g in groups.items() if g == "demonstration"}
    assert (grant.id, grant.label) == ("cb-grant-funding", "grant funding")
    assert demo.id == "cb-demonstration-sites"
    discovered = {frozenset(t.members) for t in themes if t.codebook is None}
    assert discovered == {frozenset(i for i, g in groups.items() if g == name) for name in ("training", "data")}
    assert [t.codebook is not None for t in themes] == sorted((t.codebook is not None for t in themes), reverse=True)


def test_codebook_order_does_not_matter(four_groups):
    items, _ = four_groups
    embedder = KeywordEmbedder()
    vectors = embedder.embed([embedding_text(i) for i in items])
    forward = build_themes(items, vectors, codebook=CODEBOOK, embedder=embedder, with_labels=False)
    backward = build_themes(items, vectors, codebook=CODEBOOK[::-1], embedder=embedder, with_labels=False)
    assert forward == backward


def test_unfitted_tfidf_embedder_cannot_match_a_codebook(four_groups):
    items, _ = four_groups
    vectors, _ = tfidf_vectors(items)
    with pytest.raises(ValueError, match="fit"):
        build_themes(items, vectors, codebook=CODEBOOK, embedder=TfidfSvdEmbedder())


def test_default_codebook_file_loads():
    entries = load_codebook(ROOT / "models" / "codebook.json")
    assert 10 <= len(entries) <= 16
    assert all(e.name and e.description for e in entries)


@pytest.mark.parametrize(
    "content, reason",
    [
        ('{"name": "x"}', "list"),
        ('[{"name": "a", "description": ""}, {"name": "A ", "description": ""}]', "duplicate"),
        ("[{", "JSON"),
    ],
)
def test_bad_codebook_files_say_why(tmp_path, content, reason):
    path = tmp_path / "codebook.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=reason):
        load_codebook(path)


# ------------------------------------------------------------------------------------------ incremental


def test_new_practices_join_the_nearest_theme_or_none(four_groups):
    items, groups = four_groups
    new = [
        ThemeInput(id="new:P1", report_id="new", text="Organize training courses for party branch secretaries"),
        ThemeInput(id="new:P2", report_id="new", text="Ship nuclear waste to a geologic repository"),
    ]
    vectors, embedder = tfidf_vectors(items, extra=[embedding_text(i) for i in new])
    themes = build_themes(items, vectors, embedder=embedder, with_labels=False)
    training = next(t for t in themes if "zj:P1" in t.members)
    assigned = assign_to_themes(new, embedder.embed([embedding_text(i) for i in new]), themes, embedder_name=embedder.name)
    assert assigned == {"new:P1": training.id, "new:P2": None}
    # the members themselves go back to their own themes
    again = assign_to_themes(items, vectors, themes, embedder_name=embedder.name)
    own = {m: t.id for t in themes for m in t.members}
    assert again == own


def test_assignment_checks_dimensions(four_groups):
    items, _ = four_groups
    vectors, embedder = tfidf_vectors(items)
    themes = build_themes(items, vectors, embedder=embedder, with_labels=False)
    with pytest.raises(ValueError, match="dimensions"):
        assign_to_themes(items[:1], np.ones((1, 3)), themes)
    assert assign_to_themes([], np.zeros((0, 3)), themes) == {}


# ---------------------------------------------------------------------------------------------- labels


def test_labels_are_one_short_noun_phrase_and_key_phrases_are_distinct(zhejiang):
    items, _ = zhejiang
    vectors, embedder = tfidf_vectors(items)
    themes = build_themes(items, vectors, embedder=embedder)
    opening_verbs = {i.text.split()[0].lower() for i in items}  # the headlines open on their verb
    for theme in themes:
        assert " · " not in theme.label and 1 <= len(theme.label.split()) <= 5, theme.label
        assert theme.label.split()[0].lower() not in opening_verbs | {"the", "a", "an", "its", "their", "this"}
        assert theme.key_phrases[0] == theme.label and 1 <= len(theme.key_phrases) <= 5
        words = [set(p.split()) for p in theme.key_phrases]
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                assert not (a <= b or b <= a), theme.key_phrases  # none repeats or contains another
    assert len({t.label for t in themes}) == len(themes)
    assert sum(len(t.label.split()) > 1 for t in themes) >= len(themes) - 1  # phrases, not lone words
    assert any("demonstration site" in t.label for t in themes)
    assert any("leadership and guidance" in t.key_phrases for t in themes)


def test_labels_name_what_the_groups_are_about(four_groups):
    items, groups = four_groups
    vectors, embedder = tfidf_vectors(items)
    label_of = {}
    for theme in build_themes(items, vectors, embedder=embedder):
        label_of[groups[theme.members[0]]] = theme.label
    assert "demonstration site" in label_of["demonstration"]
    assert "training" in label_of["training"] or "party branch secretary" in label_of["training"]
    assert "tax data" in label_of["data"]
    assert "grant" in label_of["grants"]


def test_theme_records_carry_reports_and_regions(zhejiang):
    items, _ = zhejiang
    vectors, embedder = tfidf_vectors(items)
    themes = build_themes(items, vectors, embedder=embedder, with_labels=False)
    assert {r for t in themes for r in t.reports} == {"zhejiang-two-new-organizations"}
    assert {g for t in themes for g in t.regions} == {"Jinhua", "Wenzhou", "Yiwu"}
    for theme in themes:
        assert len(theme.centroid) == embedder.dim
        assert abs(float(np.linalg.norm(theme.centroid)) - 1.0) < 1e-4


# ---------------------------------------------------------------------------------------------- helpers


def test_silhouette_matches_scikit_learn():
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(0)
    points = rng.normal(size=(40, 5))
    labels = np.repeat(np.arange(4), 10)
    labels[0] = 3
    distances = np.linalg.norm(points[:, None] - points[None], axis=2)
    assert silhouette_by_labels(distances, labels) == pytest.approx(
        silhouette_score(distances, labels, metric="precomputed"), abs=1e-9
    )


def test_embedding_text_joins_headline_and_detail_and_cuts_long_text():
    item = ThemeInput(id="r:P1", report_id="r", text="Strengthen the leadership and guidance.", detail="Leaders  grasp it.")
    assert embedding_text(item) == "Strengthen the leadership and guidance. Leaders grasp it."
    long = ThemeInput(id="r:P2", report_id="r", text="word " * 200)
    assert len(embedding_text(long)) <= 300 and not embedding_text(long).endswith(" ")


def synthetic_blobs(n_per_blob: int, blobs: int, seed: int) -> tuple[list[ThemeInput], np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(blobs, 16))
    items, rows = [], []
    for b in range(blobs):
        for j in range(n_per_blob):
            items.append(ThemeInput(id=f"blob{b}:P{j}", report_id=f"blob{b}", text=f"practice {b} {j}"))
            rows.append(centres[b] + 0.25 * rng.normal(size=16))
    vectors = np.array(rows, dtype=np.float32)
    return items, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


# ----------------------------------------------------------------------------------- real data, real model


def gao_bullets(corpus: Path) -> list[ThemeInput]:
    items = []
    for path in sorted((corpus / "gao").glob("*.md")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            text = line.strip().lstrip("•").strip()
            if line.strip().startswith("•") and len(text) >= 15:
                items.append(ThemeInput(id=f"{path.stem}:L{n}", report_id=path.stem, text=text))
    return items


def test_gao_bullet_items_each_get_a_theme(shared_corpus):
    items = gao_bullets(shared_corpus)
    if len(items) < 3:
        pytest.skip("too few bullet items in ../shared/corpus/gao")
    vectors, embedder = tfidf_vectors(items)
    themes = build_themes(items, vectors, embedder=embedder)
    assert_partition(themes, items)


@pytest.mark.slow
def test_minilm_themes_of_the_model_report_with_the_default_codebook(zhejiang, four_groups):
    embedder = MiniLMEmbedder()
    items, groups = four_groups
    vectors = embedder.embed([embedding_text(i) for i in items])
    assert member_sets(build_themes(items, vectors, embedder=embedder)) == expected_groups(groups)

    items, _ = zhejiang
    vectors = embedder.embed([embedding_text(i) for i in items])
    themes = build_themes(items, vectors, embedder=embedder)
    assert 3 <= len(themes) <= 10
    codebook = load_codebook(ROOT / "models" / "codebook.json")
    coded = build_themes(items, vectors, codebook=codebook, embedder=embedder)
    theme_of = {m: t for t in coded for m in t.members}
    assert theme_of["zhejiang-two-new-organizations:P6.3"].codebook == "demonstration sites and pilots"
    assert theme_of["zhejiang-two-new-organizations:P5.2"].codebook == "cadre and staff training"
    assert theme_of["zhejiang-two-new-organizations:P1"].codebook == "leadership and guidance"
