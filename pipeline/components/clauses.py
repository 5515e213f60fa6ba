"""The figure's clause, read from the dependency parse: the tokens a figure owns and must not repeat
(:class:`FigureTokens`), noun phrases without the figure's own words, the subject and governing verb of a token,
and a verb's predicate, time frame and modifiers as text. :mod:`.measures` builds what a figure measures from
these."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from spacy.tokens import Span, Token

from ..figures.units import lexicon


_PRUNED_DEPS = {"punct", "cc", "conj", "appos", "relcl", "advcl", "parataxis", "det", "predet", "mark", "dep",
                "preconj", "meta", "ccomp"}


def noun_phrase(token: Token, ctx: "FigureTokens", own_phrase: bool = False, limit: int = 14) -> str:
    """The words of ``token``'s phrase, without determiners and clauses. Left out: the figure's own number,
    other figures' numbers where they count this head, and any modifier holding another statistic
    ("organizations in the province[, with 7,776,200 employees]"); a threshold ("with more than 50 employees")
    stays, it defines the thing counted."""
    blockers = ctx.blockers if own_phrase else ctx.blockers | ctx.own
    keep: list[Token] = []

    def walk(tok: Token, top: bool) -> None:
        if not top:
            if tok.i in ctx.number or tok.dep_ in _PRUNED_DEPS:
                return
            if tok.i in ctx.other_numbers and tok.head.i == token.i:
                return
            if any(t.i in blockers for t in tok.subtree):
                return
        for child in tok.lefts:
            walk(child, False)
        keep.append(tok)
        for child in tok.rights:
            walk(child, False)

    walk(token, True)
    keep.sort(key=lambda t: t.i)
    if len(keep) > limit:
        head_pos = next((k for k, t in enumerate(keep) if t.i == token.i), 0)
        lo = max(0, min(head_pos - 4, len(keep) - limit))
        keep = keep[lo:lo + limit]
    return join_tokens(keep)


def join_tokens(tokens: list[Token]) -> str:
    """Tokens as text; a hyphen between two kept words stays ("full-time"), gaps become spaces."""
    out = []
    for k, tok in enumerate(tokens):
        out.append(tok.text)
        nxt = tokens[k + 1] if k + 1 < len(tokens) else None
        if nxt is None:
            break
        gap = tok.doc[tok.i + 1:nxt.i]
        if len(gap) == 1 and gap[0].text in "-–/" and not tok.whitespace_ and not gap[0].whitespace_:
            out.append(gap[0].text)
        elif tok.whitespace_ or nxt.i != tok.i + 1:
            out.append(" ")
    joined = re.sub(r"\s+", " ", "".join(out)).strip(" ,;:-")
    return re.sub(r"(?:\s+(?:and|or|but|as well as))+$", "", joined)


@dataclass
class FigureTokens:
    """Token indices around one figure: its own, its number part, and what the other figures occupy."""

    own: set[int]
    number: set[int]
    others: set[int]
    other_numbers: set[int]
    blockers: set[int]
    tree: set[int] = field(default_factory=set)  # the figure's base and asides ("84 percent [of the funds]")
    thresholds: set[int] = field(default_factory=set)  # bounds that define a thing ("backlog of over $100,000")

    @property
    def skip(self) -> set[int]:
        return self.own | (self.others - self.thresholds) | self.tree


def number_part(span: Span) -> set[int]:
    """The qualifier, currency, number and scale tokens of a figure span (not its counted noun)."""
    last = max((t.i for t in span if t.like_num or t.text in ("%", "$", "£", "€")), default=span.start)
    return {t.i for t in span if t.i <= last} | {t.i for t in span if t.lower_ in ("percent", "%")}


def subject_of(verb: Token) -> Optional[Token]:
    """The subject of ``verb``, climbing through xcomp/conj/acl/aux chains ("decided to raise" -> decided's)."""
    seen = 0
    tok = verb
    while tok is not None and seen < 5:
        for child in tok.children:
            if child.dep_ in ("nsubj", "nsubjpass", "expl") and child.dep_ != "expl":
                return child
        if tok.dep_ in ("xcomp", "conj", "advcl", "ccomp", "pcomp") and tok.head != tok:
            tok = tok.head
            seen += 1
            continue
        break
    return None


def subject_verb(token: Token) -> Optional[Token]:
    """The verb ``token`` is the subject of, also as an appositive or conjunct of the subject ("17,047
    employees, around 17 percent of the workforce, left"; "73 percent, or about 11,900 museums, cited")."""
    if token.dep_ in ("nsubj", "nsubjpass"):
        return token.head
    if token.dep_ in ("appos", "conj") and token.head.dep_ in ("nsubj", "nsubjpass"):
        return token.head.head
    return None


def governing_verb(token: Token) -> Optional[Token]:
    tok = token
    for _ in range(4):
        if tok.head == tok:
            return tok if tok.pos_ in ("VERB", "AUX") else None
        tok = tok.head
        if tok.pos_ in ("VERB", "AUX"):
            return tok
    return None


def antecedent(pronoun: Token, skip: set[int]) -> Optional[Token]:
    """The noun a pronoun stands for: the nearest earlier subject noun, else the nearest top-level noun."""
    plural = pronoun.lower_ in ("they", "them", "these", "those", "their")
    nouns = [t for t in pronoun.doc[:pronoun.i] if t.pos_ in ("NOUN", "PROPN") and t.i not in skip
             and t.dep_ in ("nsubj", "nsubjpass", "pobj", "dobj", "attr")
             and (t.tag_ in ("NNS", "NNPS")) == plural and not in_opening_phrase(t)]
    top = [t for t in nouns if not any(a in nouns for a in t.ancestors)]
    subjects = [t for t in top if t.dep_ in ("nsubj", "nsubjpass")]
    pick = (subjects or top)
    return pick[-1] if pick else None


def in_opening_phrase(token: Token) -> bool:
    """ "In contrast, ...": a noun inside the prepositional phrase a sentence opens with."""
    first = token.sent[0]
    return first.dep_ == "prep" and token.i in {t.i for t in first.subtree}


def resolve(token: Optional[Token], skip: set[int]) -> Optional[Token]:
    if token is not None and token.pos_ == "PRON" and token.lower_ in lexicon("en")["pronouns"]:
        return antecedent(token, skip)
    return token


def predicate(verb: Token, ctx: FigureTokens) -> str:
    """ "have party members", "were obtained from ... to the municipal demonstration sites": a verb with its
    objects and prepositional phrases, without the figure itself."""
    words = [verb] + [c for c in verb.lefts if c.dep_ in ("aux", "auxpass", "neg") and c.i not in ctx.skip]
    aside = asides(verb, ctx)
    for child in verb.rights:
        # an infinitive of purpose says what the thing counted is for ("established rules ... to connect
        # renewable sources to the grid"); other adverbial clauses are asides
        purpose = child.dep_ == "advcl" and any(c.dep_ == "aux" and c.lower_ == "to" for c in child.lefts)
        # "reported burnout" (tagged an adverb): a content word right of the verb, not "also" or "sharply"
        content_adverb = child.dep_ == "advmod" and child.i > verb.i and child.is_alpha \
            and child.lower_ not in lexicon("en")["function_adverbs"] and not child.lower_.endswith("ly")
        # "use donations or fundraising to ...": a verb sharing the subject; "expect maintenance to persist"
        shared = child.dep_ == "conj" and child.pos_ in ("VERB", "NOUN") \
            and not any(c.dep_ in ("nsubj", "nsubjpass") for c in child.children)
        complement = child.dep_ == "ccomp" and (child.tag_ == "VBG"  # "reported experiencing burnout"
                                                 or any(c.dep_ in ("nsubj", "nsubjpass") for c in child.children))
        if (shared or complement) and any(t.i in ctx.blockers for t in child.subtree):
            continue  # another statistic's clause
        if child.dep_ in ("dobj", "attr", "prep", "acomp", "xcomp", "prt", "agent", "oprd", "dative") \
                or purpose or content_adverb or shared or complement:
            if child.dep_ == "prep" and child.lower_ in lexicon("en")["attribution_preps"]:
                continue  # "according to a survey": where the number comes from, not what it counts
            words.extend(t for t in child.subtree if t.i not in ctx.skip and t.i not in aside
                         and t.dep_ not in ("punct", "det"))
    words = sorted(set(words), key=lambda t: t.i)
    return join_tokens(words[:16])


def asides(verb: Token, ctx: FigureTokens) -> set[int]:
    """The prepositional phrases holding another statistic inside the clause ("..., up [from an estimated 32
    percent in 2018]"): they say something of their own, so they leave the clause with the figure they hold."""
    out: set[int] = set()
    doc, sent = verb.doc, verb.sent
    for i in ctx.blockers:
        if not sent.start <= i < sent.end:
            continue
        tok = doc[i]
        while tok.dep_ not in ("prep", "dative", "agent") and tok.head != verb and tok.head != tok:
            tok = tok.head
        if tok.dep_ in ("prep", "dative", "agent") and tok.head != verb or tok.head.dep_ == "advmod":
            out.update(t.i for t in tok.subtree)
            if tok.head.dep_ == "advmod" and tok.head.head == verb:
                out.add(tok.head.i)
    return out


_RELATIVE = {"that", "which", "who", "whom"}


def clause(verb: Token, ctx: FigureTokens) -> str:
    """The figure's clause without the figure, read as a relative clause on what it counts: "DHS granted
    humanitarian parole to" (for "to 259,000 Ukrainians"), "a continuing resolution appropriated to IRS"; a
    time frame fronted on the verb or the sentence ("For fiscal year 2025, ...") goes last."""
    subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is None and verb.dep_ in ("xcomp", "conj", "advcl"):
        subject = subject_of(verb)
    words = ""
    if subject is not None and subject.i not in ctx.skip:
        if subject.lower_ in _RELATIVE and verb.dep_ == "relcl" and verb.head.pos_ in ("NOUN", "PROPN"):
            subject = verb.head
        resolved = resolve(subject, ctx.own)
        if resolved is not None and not any(t.i in ctx.blockers for t in [resolved]):
            words = noun_phrase(resolved, ctx)
            if resolved.pos_ == "PRON":
                words = words.lower()
    said = predicate(verb, ctx)
    frame = time_frame(verb, ctx)
    if frame[:1].isupper() and not frame.split()[0].isupper() and frame.split()[0] not in ("FY",):
        frame = frame[:1].lower() + frame[1:]
    return ", ".join(p for p in (" ".join(w for w in (words, said) if w), frame) if p)


def time_frame(verb: Token, ctx: FigureTokens) -> str:
    """A prepositional phrase before the verb, on it or on the sentence root, that names a year ("From fiscal
    years 2022 through 2024", "In 2025")."""
    heads = [verb] + ([verb.sent.root] if verb.sent.root != verb else [])
    for head in heads:
        for child in head.lefts:
            if child.dep_ != "prep" or any(t.i in ctx.skip for t in child.subtree):
                continue
            tokens = [t for t in child.subtree if t.dep_ not in ("punct", "det")]
            if any(t.like_num and len(t.text) == 4 and t.text[:2] in ("19", "20") for t in tokens):
                extra = [t for sib in head.rights if sib.dep_ == "prep" and sib.i < head.i + 6
                         and sib.i > child.i and sib.i < head.i for t in sib.subtree]
                return join_tokens(sorted(tokens + extra, key=lambda t: t.i))
    return ""


def verb_modifiers(verb: Token, ctx: FigureTokens) -> str:
    """The prepositional phrases after a verb ("in the 67 years before the pandemic"), other statistics left out."""
    words = []
    for child in verb.rights:
        if child.dep_ == "prep" and not any(t.i in ctx.blockers | ctx.own for t in child.subtree):
            words.extend(t for t in child.subtree if t.dep_ not in ("punct", "det"))
    return join_tokens(sorted(words, key=lambda t: t.i)[:10])
