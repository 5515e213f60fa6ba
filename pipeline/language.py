"""Language detection from the script mix of the cleaned text (and Latin stopwords)."""
from __future__ import annotations

import re


_LATIN_STOPWORDS = {
    "en": set("the and of to in is that for with was are on as by be this it from".split()),
    "fr": set("le la les et des est une dans pour que qui sur du au avec pas".split()),
    "de": set("der die das und ist nicht mit den von zu ein eine für auf dem sich".split()),
    "es": set("el la los las y es que en por con para una del como se".split()),
}


def detect_language(text: str) -> str:
    """ISO 639-1 code from the script mix: Han -> 'zh', kana -> 'ja', Hangul -> 'ko', Cyrillic -> 'ru';
    Latin text -> the language whose stopwords are most frequent ('en' when unsure).

    Each CJK character counts as about a third of an English word's letters, so a Chinese report with
    English URLs and names is still 'zh'; samples of the start, middle and end keep it cheap on big files.
    """
    if len(text) > 300_000:
        middle = len(text) // 2
        text = text[:100_000] + text[middle - 50_000: middle + 50_000] + text[-100_000:]
    han = kana = hangul = cyrillic = latin = 0
    for ch in text:
        if ch.isascii():
            if ch.isalpha():
                latin += 1
            continue
        code = ord(ch)
        if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF or code >= 0x20000:
            han += 1
        elif 0x3040 <= code <= 0x30FF:
            kana += 1
        elif 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:
            hangul += 1
        elif 0x0400 <= code <= 0x04FF:
            cyrillic += 1
        elif ch.isalpha():
            latin += 1
    cjk = han + kana + hangul
    if cjk and cjk * 3 >= latin:
        if kana >= 0.1 * cjk:
            return "ja"
        if hangul >= 0.3 * cjk:
            return "ko"
        return "zh"
    if cyrillic > latin:
        return "ru"
    words = re.findall(r"[a-zà-ÿ]+", text[:200_000].lower())
    if not words:
        return "en"
    scores = {lang: sum(1 for w in words if w in stops) for lang, stops in _LATIN_STOPWORDS.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] > 1.2 * scores["en"] else "en"
