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


_ZH_BREAK = "，,。；;：:、（(）)“”\"和与及并"


def chinese_frame(measure: Optional[str], sentence: str, start: int, end: int, kind: str, unit: Optional[str],
                  lex: dict) -> Optional[str]:
    """What a Chinese measure borrows from its sentence (``lex`` keys ``rate_adverbials``, ``subject_ends``,
    ``outlay_verbs``, ``target_words``): the sentence's subject for a rate clause that has none ("国内生产总值
    ..., 年均增长10.6%"), the thing an amount is of ("长达3500多公里的长江干堤", "发行6600亿元长期建设国债"), a
    target the sentence announces, and the unit of a physical quantity ("粮食产量（吨）")."""
    after = sentence[end:]
    of_thing = re.match(rf"的([^{_ZH_BREAK}0-9０-９]{{2,12}})", after)
    verb = next((v for v in sorted(lex["outlay_verbs"], key=len, reverse=True) if (measure or "").endswith(v)), None)
    object_after = re.match(rf"([^{_ZH_BREAK}0-9０-９的]{{2,12}})(?=[{_ZH_BREAK}]|$)", after)
    if of_thing:
        measure = of_thing.group(1)
    elif verb and object_after:
        measure = object_after.group(1) + verb
    elif measure is not None and _is_bare_rate(measure, lex):
        subject = sentence_subject(sentence[:start], lex)
        if subject and subject not in measure:
            measure = subject + measure
    if measure is not None:
        target = next((w for w in lex["target_words"] if re.search(rf"{w}(?:是|为)?[：:]", sentence[:start])), None)
        if target and target not in measure:
            measure += target
        if kind == "quantity" and unit and unit not in measure:
            measure += f"（{unit}）"
    return measure


def _is_bare_rate(measure: str, lex: dict) -> bool:
    """ "年均增长", "比2002年增长", "平均每年增长": a change with no subject of its own."""
    rest = re.sub(r"比(?:(?:1[89]|20)\d\d年|上年|去年)", "", measure)
    for word in sorted(lex["rate_adverbials"] + lex["change_up"] + lex["change_down"], key=len, reverse=True):
        rest = rest.replace(word, "")
    return rest.strip("，, 了") == "" and measure != ""


def sentence_subject(text: str, lex: dict) -> Optional[str]:
    """The noun phrase a Chinese sentence opens with, before its first verb ("2007年，国内生产总值达到..." ->
    "国内生产总值")."""
    text = re.sub(r"^\s*(?:(?:1[89]|20)\d\d年(?:底|末|初)?|今年|去年|上年|前年)[，,]?", "", text)
    head = re.split(rf"[{_ZH_BREAK}0-9０-９]", text, maxsplit=1)[0]
    masked = head
    for noun in lex["subject_nouns"]:  # "工业增加值" is a noun, not "工业" + 增加
        masked = masked.replace(noun, "\u3007" * len(noun))
    cuts = [masked.find(w) for w in lex["subject_ends"] if masked.find(w) > 0]
    subject = head[:min(cuts)] if cuts else head
    return subject if 2 <= len(subject) <= 12 else None
