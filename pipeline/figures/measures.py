"""What a Chinese figure measures: the noun phrase before the number in its clause (the English measure needs
the parse and lives in :mod:`pipeline.components.measures`)."""
from __future__ import annotations

import re
from typing import Optional


_ZH_PERIOD = r"(?:由|从)?(?:(?:1[89]|20)\d\d年(?:底|末|初)?|去年|上年|今年|前年)?"


def chinese_measure(segment: str, lex: dict, previous: Optional[str], is_change: bool) -> Optional[str]:
    """The noun phrase before the number: "国内生产总值达到" -> "国内生产总值"; "增长" after another
    figure of the same clause -> that figure's subject + "增长"."""
    phrase = segment.strip(" 、，")
    phrase = phrase.replace("分别", "")
    # "国内生产总值从1997年的" -> "国内生产总值"; "增加到2002年的" -> "增加到" (then the previous subject);
    # the year and the compared period have fields of their own (year, change.reference)
    phrase = re.sub(_ZH_PERIOD + r"的?$", "", phrase)
    phrase = re.sub(r"^(?:(?:1[89]|20)\d\d年(?:底|末|初)?|今年|去年|明年|上年)", "", phrase)
    phrase = re.sub(r"(?:比上年同期|比上年|比去年|同比|环比|比(?:1[89]|20)\d\d年)", "", phrase)
    phrase = re.sub(r"(?:由|从|和|及|与|、)$", "", phrase)
    trailing = sorted(lex["measure_trailing_words"], key=len, reverse=True)
    changed = True
    while changed and phrase:
        changed = False
        for word in trailing:
            if phrase.endswith(word) and len(phrase) > len(word) - (0 if is_change else 1):
                phrase = phrase[: -len(word)]
                changed = True
                break
    for word in sorted(lex["measure_leading_words"], key=len, reverse=True):
        if phrase.startswith(word) and len(phrase) > len(word):
            phrase = phrase[len(word):]
    phrase = re.sub(r"[〇一二两三四五六七八九十百]+$", "", phrase).strip(" 、，")  # "支出五(年累计)"
    verbs = lex["change_up"] + lex["change_down"]
    if not phrase:
        return previous
    if phrase in verbs and previous:
        subject = previous
        for verb in sorted(verbs, key=len, reverse=True):
            if subject.endswith(verb):
                subject = subject[: -len(verb)]
                break
        return subject + phrase
    return phrase[-24:]
