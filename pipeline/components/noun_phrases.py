"""Noun phrases of parsed practices, the candidates of English theme labels (textacy style: a Doc in, plain
phrases out, no side effects on the Doc).

:func:`noun_phrases` reads noun chunks ("municipal demonstration site" and its tails "demonstration site"),
coordinated heads ("leadership and guidance") and prepositional noun phrases ("transfer of membership",
"party organizations in private firms"). Verbs are no label: "deter employee" or "train party cadre" are not
offered. :func:`parse_phrases` parses practice texts with the statistical model (cached per text) and gives
each text's phrases with a weight (a phrase of the detail counts half: the headline says what the practice is).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc, Token

DATA = Path(__file__).resolve().parents[1] / "data" / "themes"
MAX_PHRASE_WORDS = 6
DETAIL_WEIGHT = 0.5
LINKING_PREPOSITIONS = frozenset({"of", "in"})
DROP_EDGE_POS = frozenset({"DET", "PRON", "NUM", "PUNCT", "CCONJ", "ADP", "PART", "SYM", "X", "VERB", "AUX", "ADV"})
DROP_DEP = frozenset({"det", "poss", "case", "predet", "nummod", "punct", "cc", "prep", "neg", "quantmod"})
PLACE_HEADS = frozenset({"city", "province", "county", "district", "state", "town", "village", "country"})
# entities that name a place or a people ("Ontario", "the Yangtze", "Canadian"): regions are a field, no label
PLACE_ENTITIES = frozenset({"GPE", "LOC", "NORP", "FAC"})


@lru_cache(maxsize=1)
def generic_words() -> frozenset[str]:
    """Head words too vague to name a theme alone (``data/themes/generic_words_en.txt``)."""
    lines = (DATA / "generic_words_en.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if not line.startswith("#") for w in line.split())


def _word(token: "Token", last: bool) -> str:
    """A token as a label writes it: acronyms as written ("IRS"), other words lower-cased, the last word in
    the singular when the lemma is a plain singular ("secretaries" -> "secretary"; "data" stays)."""
    if token.text.isupper() and len(token.text) > 1:
        return token.text
    word = token.lower_
    if last and token.tag_ in {"NNS", "NNPS"}:
        lemma = token.lemma_.lower()
        if lemma and word.startswith(lemma[: max(len(lemma) - 1, 1)]):
            return lemma
    return word


def clean_words(tokens: Sequence["Token"], singular: bool = True) -> list[str]:
    """Words of a phrase: function words, verbs and vague leading words dropped at the edges, hyphenated
    words rejoined ("non-public"), the last word in the singular (``singular``: the form phrases are counted
    under; the words as written are what a label shows)."""
    generic = generic_words()
    kept = [t for t in tokens if (t.dep_ not in DROP_DEP and t.pos_ not in {"PUNCT", "DET", "PRON", "NUM"}) or t.text == "-"]
    while kept and (kept[0].pos_ in DROP_EDGE_POS or (kept[0].lower_ in generic and len(kept) > 1) or kept[0].text == "-"):
        kept = kept[1:]
    while kept and (kept[-1].pos_ in DROP_EDGE_POS or kept[-1].text == "-"):
        kept = kept[:-1]
    words: list[str] = []
    previous: "Token | None" = None
    for token in kept:
        word = _word(token, singular and token is kept[-1])
        glued = previous is not None and previous.i == token.i - 1 and not previous.whitespace_
        if words and glued and (token.text == "-" or previous.text == "-"):
            words[-1] += word
        else:
            words.append(word)
        previous = token
    return [w for w in words if re.search(r"[^\W\d_]", w)]


def informative(words: list[str]) -> bool:
    generic = generic_words()
    if not words or len(words) > MAX_PHRASE_WORDS:
        return False
    if len(words) == 1 and words[0].lower() in generic:
        return False
    return any(w.lower() not in generic and len(w) > 2 for w in words)


def _is_place_name(tokens: Sequence["Token"]) -> bool:
    """"Jinhua City", "Zhejiang Province", "Ontario Realty Corporation": regions are a field, never a label."""
    tokens = [t for t in tokens if t.pos_ not in {"DET", "PUNCT"}]
    if any(t.ent_type_ in PLACE_ENTITIES for t in tokens):
        return True
    return bool(tokens) and all(t.pos_ == "PROPN" or (t.lower_ in PLACE_HEADS and t is tokens[-1]) for t in tokens) \
        and (tokens[-1].lower_ in PLACE_HEADS or tokens[-1].ent_type_ in {"GPE", "LOC"})


def noun_phrases(doc: "Doc", head_chars: int | None = None, surfaces: dict[str, str] | None = None
                 ) -> dict[str, float]:
    """Candidate label phrases of one parsed practice with their weight (1, or ``DETAIL_WEIGHT`` for a phrase
    starting at or after ``head_chars``, in the detail). ``surfaces`` receives each phrase as written
    ("party organizations in private firms" for "party organization in private firm")."""
    head_chars = len(doc.text) if head_chars is None else head_chars
    phrases: dict[str, float] = {}
    written: dict[tuple[str, ...], list[str]] = {}  # singular words -> the words as written

    def add(words: list[str], at_char: int) -> None:
        if informative(words):
            phrase = " ".join(words)
            weight = 1.0 if at_char < head_chars else DETAIL_WEIGHT
            phrases[phrase] = max(phrases.get(phrase, 0.0), weight)
            if surfaces is not None and phrase not in surfaces:
                surfaces[phrase] = " ".join(written.get(tuple(words), words))

    chunk_by_root: dict[int, list[str]] = {}
    for chunk in doc.noun_chunks:
        tokens = list(chunk)
        places = [k for k, t in enumerate(tokens) if t.ent_type_ in PLACE_ENTITIES]
        if places and tokens[places[-1]] is not chunk.root:
            tokens = tokens[places[-1] + 1:]  # "the Canadian leasing model": "leasing model"
        if not tokens or _is_place_name(tokens):
            continue
        words = clean_words(tokens)
        as_written = clean_words(tokens, singular=False)
        if informative(words):
            chunk_by_root[chunk.root.i] = words
            for start in range(max(1, len(words) - 1)):  # "municipal demonstration site" also supports "demonstration site"
                if len(as_written) == len(words):
                    written[tuple(words[start:])] = as_written[start:]
                add(words[start:], tokens[0].idx)
    for root_index, words in chunk_by_root.items():
        root = doc[root_index]
        for child in root.children:
            other = chunk_by_root.get(child.i)
            if child.dep_ == "conj" and other and other != words and len(words) + len(other) <= 4:
                written[(*words, "and", *other)] = [*written.get(tuple(words), words), "and",
                                                    *written.get(tuple(other), other)]
                add([*words, "and", *other], root.idx)
            if child.dep_ == "prep" and child.lower_ in LINKING_PREPOSITIONS:
                objects = [t for t in child.children if t.dep_ == "pobj" and t.i in chunk_by_root]
                other = chunk_by_root[objects[0].i] if objects else []
                # "waste of facility" yes, "EM waste of EM facility" no: the two sides name different things
                if other and len(words) + len(other) < MAX_PHRASE_WORDS and not set(words) & set(other):
                    written[(*words, child.lower_, *other)] = [*written.get(tuple(words), words), child.lower_,
                                                               *written.get(tuple(other), other)]
                    add([*words, child.lower_, *other], root.idx)
    return phrases


_CACHE: dict[tuple[str, int], tuple[dict[str, float], dict[str, str]]] = {}
_CACHE_LIMIT = 100_000


def parse_phrases(texts: Iterable[tuple[str, int]]) -> list[dict[str, float]]:
    """Weighted noun phrases of each ``(text, headline length)``, parsed with the statistical model."""
    texts = list(texts)
    missing = sorted({t for t in texts if t not in _CACHE})
    if missing:
        from pipeline.nlp import statistical

        nlp = statistical()
        disabled = [name for name in ("ner",) if name in nlp.pipe_names]
        if len(_CACHE) + len(missing) > _CACHE_LIMIT:
            _CACHE.clear()
        with nlp.select_pipes(disable=disabled):
            docs = list(nlp.pipe((text for text, _ in missing), batch_size=256))
            # Practice headlines are mostly imperative ("Build demonstration points step by step"), and the
            # small model often reads a sentence-initial verb as a noun. Re-parse those with a subject in
            # front; keep the re-parse only when it turns that word into the root verb.
            suspects = [k for k, doc in enumerate(docs) if len(doc) > 1 and doc[0].is_title and doc[0].pos_ != "VERB"]
            with_subject = [f"We {missing[k][0][0].lower()}{missing[k][0][1:]}" for k in suspects]
            for k, doc in zip(suspects, nlp.pipe(with_subject, batch_size=256)):
                if doc[1].pos_ == "VERB" and doc[1].dep_ == "ROOT":
                    docs[k] = doc
        if disabled:  # places: the recognizer only where a proper noun could hold one (see nlp.parse_with_places)
            for _ in nlp.get_pipe("ner").pipe([d for d in docs if any(t.pos_ == "PROPN" for t in d)], batch_size=256):
                pass
        for key, doc in zip(missing, docs):
            shift = len(doc.text) - len(key[0])  # 3 when the re-parse with "We " was kept
            surfaces: dict[str, str] = {}
            _CACHE[key] = (noun_phrases(doc, key[1] + shift, surfaces), surfaces)
    return [_CACHE[t][0] for t in texts]


def surface_forms(texts: Iterable[tuple[str, int]]) -> list[dict[str, str]]:
    """Each text's phrases as written (parsed and cached by :func:`parse_phrases`)."""
    texts = list(texts)
    parse_phrases(texts)
    return [_CACHE[t][1] for t in texts]
