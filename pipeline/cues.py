"""Rule data of the structure stages (``data/structure/*.json``) and the small matchers over it: cue lists,
and the shapes a statement must have (a sentence, not a caption, a heading or a fragment)."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Iterable, Optional

from pipeline.nlp import CHINESE


@lru_cache(maxsize=None)
def load_data(name: str) -> dict:
    with resources.files("pipeline").joinpath(f"data/structure/{name}").open(encoding="utf-8") as fh:
        return json.load(fh)


def matches_any(patterns: Iterable[str], text: str, flags: int = re.I) -> bool:
    return any(re.search(p, text, flags) for p in patterns)


def cue_kind(text: str, table: dict, order: tuple[str, ...]) -> Optional[str]:
    for kind in order:
        if matches_any(table.get(kind, []), text):
            return kind
    return None



def skip_paragraph(paragraph: str) -> bool:
    skips = load_data("cues.json")["finding_paragraph_skip"] + [r"^\*?\[", r"^#"]
    if CHINESE.search(paragraph):
        return matches_any(skips, paragraph.strip())
    # titles, captions and signatures carry no sentence end
    return matches_any(skips, paragraph.strip()) or len(paragraph.split()) < 8 or \
        not re.search(r"[.!?][\"”’)]*(?:\s|$)", paragraph)


def skip_sentence(sentence: str) -> bool:
    """Captions, citations, signatures and boilerplate; an English sentence also ends as one does."""
    skips = load_data("cues.json")["finding_paragraph_skip"] + [r"^\*?\[", r"^#"]
    if CHINESE.search(sentence):
        return matches_any(skips, sentence)
    # a closing "(Recommendation 1)" or "(Paragraph 20)" follows the full stop
    core = re.sub(r"\s*\([^()]{1,40}\)\s*$", "", sentence)
    return matches_any(skips, sentence) or not re.search(r"[.!?][\"”’)]*$", core)


def is_heading_like(sentence: str) -> bool:
    """A heading ("What We Recommend") or a caption: short and not ended as a sentence is (a longer sentence
    without an end is more likely cut by a footnote than a heading)."""
    return matches_any(load_data("cues.json")["finding_paragraph_skip"], sentence.strip()) or \
        (len(sentence.split()) < 8 and skip_sentence(sentence.strip()))


def is_fragment(statement: str) -> bool:
    """A piece of a sentence cut by a page break or a misread layout ("understanding of the risks ... should
    challenges be found."): English statements open with a capital, a digit or a quote."""
    first = statement.lstrip("*_\"“‘'([ ")[:1]
    return first.isascii() and first.isalpha() and first.islower()


WORD = re.compile(r"[^\W\d_]{2,}")


def is_thin(statement: str) -> bool:
    """Too little to stand as a statement: a marker, a citation or a stray bracket (")", "(A)", ", 134 Stat"),
    whatever part or list it came from."""
    if CHINESE.search(statement):
        return len(CHINESE.findall(statement)) < 4
    return len(WORD.findall(statement)) < 3 or statement.lstrip()[:1] in ",;:)]}"


def _barriers() -> dict:
    return load_data("barriers.json")


def is_barrier_heading(heading: Optional[str]) -> bool:
    """A heading about problems, risks or challenges only ("Challenges", "Risk factors", "存在的问题")."""
    return bool(heading) and re.search(_barriers()["heading"], heading.strip(" #*\t"), re.I) is not None


def announces_barriers(sentence: str) -> bool:
    """A lead-in announcing problems, risks or difficulties ("... meets difficulties in the following
    respects:", "工作中也面临一些困难："), not the measures taken against them ("To overcome these ...")."""
    cues = _barriers()
    return re.search(cues["lead_in"], sentence, re.I) is not None and \
        re.search(cues["practice_lead_in"], sentence, re.I) is None


def states_problem(headline: str) -> bool:
    """An item that states a problem ("Insufficient funding leaves ...", "资金投入不足") rather than a measure
    ("针对资金不足，设立专项资金" addresses one: a measure)."""
    cues = _barriers()
    text = headline.strip()
    return (re.search(cues["item_opener"], text, re.I) is not None or re.search(cues["item_predicate"], text) is not None) \
        and re.search(cues["practice_lead_in"], text, re.I) is None
