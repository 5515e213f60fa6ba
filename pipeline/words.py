"""Word knowledge and word repair: the ``Vocabulary`` (wordfreq frequencies plus the document's own
words) that decides dehyphenation and split-word joins, split words re-joined ('propos ed' ->
'proposed'), small-caps artefacts and stray spaces before punctuation."""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

_ASCII_UPPER = re.compile(r"[A-Z]")
_ASCII_LOWER = re.compile(r"[a-z]")
_ASCII_LOWER_RUN = re.compile(r"[a-z]{4}.*[a-z]{4}")


def mostly_upper(text: str, share: float = 0.85, limit: int = 200) -> bool:
    """Are at least ``share`` of the ASCII letters in the first ``limit`` characters upper case?"""
    head = text[:limit]
    if _ASCII_LOWER_RUN.search(head[:60]) and share >= 0.7:
        return False  # a lower-case word near the start: ordinary text (the common case, decided cheaply)
    upper = len(_ASCII_UPPER.findall(head))
    lower = len(_ASCII_LOWER.findall(head))
    return upper + lower >= 4 and upper >= share * (upper + lower)


_ALPHA_WORD = re.compile(r"[A-Za-z]+")


class Vocabulary:
    """English word knowledge for re-joining words: wordfreq frequencies plus the document's own words."""

    #: parts that are common as words but are also the usual leftovers of a split ('propos ed', 'Th e')
    FRAGMENTS = frozenset("ed ing ly th al er es ment tion tions ness ity ive ous ful ble ence ance st nd rd".split())

    def __init__(self, document_words: Counter[str] | None = None):
        self.document_words = document_words or Counter()
        self._zipf_cache: dict[str, float] = {}
        self.standalone_cache: dict[str, bool] = {}

    @classmethod
    def from_text(cls, text: str) -> "Vocabulary":
        return cls(Counter(_ALPHA_WORD.findall(text.lower())))

    def zipf(self, word: str) -> float:
        key = word.lower()
        value = self._zipf_cache.get(key)
        if value is None:
            value = _zipf_frequency(key)
            self._zipf_cache[key] = value
        return value

    def is_known(self, word: str) -> bool:
        return self.zipf(word) >= 2.5 or self.document_words.get(word.lower(), 0) >= 2

    def is_standalone(self, word: str) -> bool:
        """Would this token normally stand on its own in running text?"""
        cached = self.standalone_cache.get(word)
        if cached is None:
            cached = self.standalone_cache[word] = self._is_standalone(word)
        return cached

    def _is_standalone(self, word: str) -> bool:
        lower = word.lower()
        if len(lower) == 1:
            return lower in ("a", "i")
        if lower in self.FRAGMENTS:
            return False
        return self.zipf(lower) >= 3.0

    def should_dehyphenate(self, left: str, right: str) -> bool:
        """Was 'left-' + newline + 'right' one word broken at the line end ('imple-', 'mentation')
        rather than a compound ('co-', 'chaired')?"""
        joined = (left + right).lower()
        if self.document_words.get(joined, 0) >= 1 and self.zipf(joined) >= 1.0:
            return True
        if self.is_standalone(left) and self.is_standalone(right) and self.zipf(joined) < 3.0:
            return False  # 'co-\nchaired' is 'co-chaired'; 'Foundation-\nfunded' keeps its hyphen
        return self.zipf(joined) >= 2.5 or (self.zipf(joined) > 0 and not self.is_standalone(right))

    def should_join_split(self, left: str, right: str) -> bool:
        if len(left) + len(right) < 3 or (len(left) == 1 and len(right) == 1):
            return False
        if self.is_standalone(left) and self.is_standalone(right):
            return False
        joined = left + right
        # with one real word among the parts ('Q in'), only a common joined word is convincing ('T he')
        threshold = 3.5 if (self.is_standalone(left) or self.is_standalone(right)) else 3.0
        return self.zipf(joined) >= threshold or self.document_words.get(joined.lower(), 0) >= 2


@lru_cache(maxsize=1)
def _wordfreq():
    try:
        import wordfreq
    except ImportError:  # pragma: no cover - the document's own vocabulary still works
        return None
    return wordfreq


def _zipf_frequency(word: str) -> float:
    module = _wordfreq()
    if module is None:
        return 0.0
    return module.zipf_frequency(word, "en")


_APOSTROPHE_SPLIT = re.compile(r"(?<=[A-Za-z])([’'])\s+(?=(?:s|t|re|ve|ll|d|m)\b)")
_CLITICS = frozenset("s t re ve ll d m".split())  # what follows the apostrophe in "GAO’s", "didn’t", "we’re"
_SPACE_BEFORE_PUNCT = re.compile(r"(?<=[\w)”’\"]) +(?=[,;](?:\s|$))")
_PAREN_SPACE = re.compile(r"\( +(?=\S)|(?<=\S) +\)")


def repair_split_words(text: str, vocabulary: Vocabulary) -> str:
    """Re-join words that PDF extraction broke with a stray space, when the joined form is a known word
    and the parts are not both ordinary words ('propos ed' -> 'proposed', but 'in to' stays)."""
    text = _APOSTROPHE_SPLIT.sub(r"\1", text)
    # [before, word, separator, word, separator, ..., word, after]: one C-level split, then a cheap loop
    parts = _ALPHA_SPLIT.split(text)
    words = parts[1::2]
    separators = parts[2::2]
    standalone = vocabulary.standalone_cache
    changed = False
    index = 0
    count = len(words)
    while index < count - 1:
        if separators[index] != " ":
            index += 1
            continue
        left, right = words[index], words[index + 1]
        if left.lower() in _CLITICS and (separators[index - 1] if index else parts[0]).endswith(("’", "'")):
            index += 1
            continue  # the clitic ends its word: 'Hanford’s low-activity' is not 'Hanford’slow-activity'
        left_ok = standalone.get(left)
        if left_ok is None:
            left_ok = vocabulary.is_standalone(left)
        right_ok = standalone.get(right)
        if right_ok is None:
            right_ok = vocabulary.is_standalone(right)
        if not right_ok and len(right) == 1 and separators[index + 1] == "-" and index + 2 < count:
            # a letter that opens a hyphenated compound ('e-commerce', 'x-ray') is a word of its own: a
            # real word before it keeps its space ('the e-commerce' is not 'thee-commerce')
            right_ok = True
        # two ordinary words (by far the most common pair) never join
        if left_ok and right_ok or not _compatible_case(left, right) or \
                not vocabulary.should_join_split(left, right):
            index += 1
            continue
        if index + 2 < count and separators[index + 1] == " ":
            follow = words[index + 2]
            if _compatible_case(right, follow) and vocabulary.should_join_split(right, follow) and \
                    vocabulary.zipf(right + follow) > vocabulary.zipf(left + right):
                index += 1
                continue  # 'OF C ONCLUSIONS': the better join is 'C ONCLUSIONS'
        separators[index] = ""
        changed = True
        index += 2
    if not changed:
        return text
    out = [parts[0]]
    for word, separator in zip(words, separators):
        out.append(word)
        out.append(separator)
    if len(words) > len(separators):
        out.append(words[-1])
    return "".join(out)


_ALPHA_SPLIT = re.compile(r"([A-Za-z]+)")


def _compatible_case(left: str, right: str) -> bool:
    """'propos ed', 'Seve ral', 'T he', 'C ONCLUSIONS': the right part has the left part's case pattern."""
    if right.islower():
        return True
    return right.isupper() and left.isupper()


_SMALL_CAPS_WORD = re.compile(r"\b[A-Z]+[a-z][A-Z]+\b|\b[A-Z][a-z][A-Z]\b")


def repair_small_caps(text: str) -> str:
    """'ChAPTER 1: GROWING ThE UK’S' -> upper case: small-caps fonts come out of PDFs with stray lowercase
    letters. Only in mostly upper-case blocks, so 'PhD' in a sentence is left alone."""
    if not mostly_upper(text, share=0.7, limit=400):
        return text
    return _SMALL_CAPS_WORD.sub(lambda m: m.group(0).upper(), text)


_MULTI_SPACE = re.compile(r"[ \u3000]{2,}")


def tidy_block_text(text: str, vocabulary: Vocabulary, repair_words: bool) -> str:
    text = _MULTI_SPACE.sub(" ", text).strip()
    text = repair_small_caps(text)
    if repair_words:
        text = repair_split_words(text, vocabulary)
        text = _SPACE_BEFORE_PUNCT.sub("", text)
        text = _PAREN_SPACE.sub(lambda m: m.group(0).replace(" ", ""), text)
    return text
