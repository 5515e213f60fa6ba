"""What an English figure measures, read from the dependency parse: the counted noun and its modifiers, the
owner of a share and its base, the verb a money figure hangs on, a fallback phrase for lists, the region."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from spacy.tokens import Doc, Span, Token

from ..figures.units import lexicon


_PRUNED_DEPS = {"punct", "cc", "conj", "appos", "relcl", "advcl", "parataxis", "det", "predet", "mark", "dep",
                "preconj", "meta", "ccomp"}


def _noun_phrase(token: Token, ctx: "FigureTokens", own_phrase: bool = False, limit: int = 14) -> str:
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
    return _join(keep)


def _join(tokens: list[Token]) -> str:
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


def _subject(verb: Token) -> Optional[Token]:
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


def _subject_verb(token: Token) -> Optional[Token]:
    """The verb ``token`` is the subject of, also as an appositive or conjunct of the subject ("17,047
    employees, around 17 percent of the workforce, left"; "73 percent, or about 11,900 museums, cited")."""
    if token.dep_ in ("nsubj", "nsubjpass"):
        return token.head
    if token.dep_ in ("appos", "conj") and token.head.dep_ in ("nsubj", "nsubjpass"):
        return token.head.head
    return None


def _governing_verb(token: Token) -> Optional[Token]:
    tok = token
    for _ in range(4):
        if tok.head == tok:
            return tok if tok.pos_ in ("VERB", "AUX") else None
        tok = tok.head
        if tok.pos_ in ("VERB", "AUX"):
            return tok
    return None


def _antecedent(pronoun: Token, skip: set[int]) -> Optional[Token]:
    """The noun a pronoun stands for: the nearest earlier subject noun, else the nearest top-level noun."""
    plural = pronoun.lower_ in ("they", "them", "these", "those", "their")
    nouns = [t for t in pronoun.doc[:pronoun.i] if t.pos_ in ("NOUN", "PROPN") and t.i not in skip
             and t.dep_ in ("nsubj", "nsubjpass", "pobj", "dobj", "attr")
             and (t.tag_ in ("NNS", "NNPS")) == plural and not _in_opening_phrase(t)]
    top = [t for t in nouns if not any(a in nouns for a in t.ancestors)]
    subjects = [t for t in top if t.dep_ in ("nsubj", "nsubjpass")]
    pick = (subjects or top)
    return pick[-1] if pick else None


def _in_opening_phrase(token: Token) -> bool:
    """ "In contrast, ...": a noun inside the prepositional phrase a sentence opens with."""
    first = token.sent[0]
    return first.dep_ == "prep" and token.i in {t.i for t in first.subtree}


def _resolve(token: Optional[Token], skip: set[int]) -> Optional[Token]:
    if token is not None and token.pos_ == "PRON" and token.lower_ in lexicon("en")["pronouns"]:
        return _antecedent(token, skip)
    return token


def _predicate(verb: Token, ctx: FigureTokens) -> str:
    """ "have party members", "were obtained from ... to the municipal demonstration sites": a verb with its
    objects and prepositional phrases, without the figure itself."""
    words = [verb] + [c for c in verb.lefts if c.dep_ in ("aux", "auxpass", "neg") and c.i not in ctx.skip]
    asides = _asides(verb, ctx)
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
            words.extend(t for t in child.subtree if t.i not in ctx.skip and t.i not in asides
                         and t.dep_ not in ("punct", "det"))
    words = sorted(set(words), key=lambda t: t.i)
    return _join(words[:16])


def _asides(verb: Token, ctx: FigureTokens) -> set[int]:
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


def _clause(verb: Token, ctx: FigureTokens) -> str:
    """The figure's clause without the figure, read as a relative clause on what it counts: "DHS granted
    humanitarian parole to" (for "to 259,000 Ukrainians"), "a continuing resolution appropriated to IRS"; a
    time frame fronted on the verb or the sentence ("For fiscal year 2025, ...") goes last."""
    subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is None and verb.dep_ in ("xcomp", "conj", "advcl"):
        subject = _subject(verb)
    words = ""
    if subject is not None and subject.i not in ctx.skip:
        if subject.lower_ in _RELATIVE and verb.dep_ == "relcl" and verb.head.pos_ in ("NOUN", "PROPN"):
            subject = verb.head
        resolved = _resolve(subject, ctx.own)
        if resolved is not None and not any(t.i in ctx.blockers for t in [resolved]):
            words = _noun_phrase(resolved, ctx)
            if resolved.pos_ == "PRON":
                words = words.lower()
    predicate = _predicate(verb, ctx)
    frame = _time_frame(verb, ctx)
    if frame[:1].isupper() and not frame.split()[0].isupper() and frame.split()[0] not in ("FY",):
        frame = frame[:1].lower() + frame[1:]
    return ", ".join(p for p in (" ".join(w for w in (words, predicate) if w), frame) if p)


def _time_frame(verb: Token, ctx: FigureTokens) -> str:
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
                return _join(sorted(tokens + extra, key=lambda t: t.i))
    return ""


def _verb_modifiers(verb: Token, ctx: FigureTokens) -> str:
    """The prepositional phrases after a verb ("in the 67 years before the pandemic"), other statistics left out."""
    words = []
    for child in verb.rights:
        if child.dep_ == "prep" and not any(t.i in ctx.blockers | ctx.own for t in child.subtree):
            words.extend(t for t in child.subtree if t.dep_ not in ("punct", "det"))
    return _join(sorted(words, key=lambda t: t.i)[:10])


def fallback_measure(span: Span, ctx: FigureTokens, lead: Optional[str] = None) -> tuple[Optional[str], Optional[str]]:
    """Without a verb to hang on ("Interest rate 3.75 percent for businesses"): the noun phrase just before the
    figure and the phrase attached after it. A list's later items ("; 2.75 percent for nonprofits") have no
    phrase before them and take ``lead``, the one the previous figure used. Returns ``(measures, lead)``."""
    before = None
    for chunk in span.doc.noun_chunks:
        if span.start - 3 <= chunk.end <= span.start and not any(t.i in ctx.others for t in chunk) \
                and not any(a.i in ctx.others for a in chunk.root.ancestors):
            before = chunk
    after = [c for c in span.root.rights if c.dep_ == "prep" and c.i >= span.end
             and not any(t.i in ctx.blockers for t in c.subtree)]
    tail = [t for prep in after[:1] for t in prep.subtree if t.dep_ not in ("punct", "det")]
    if before is not None:
        lead = _join([t for t in before if t.dep_ != "det"])
    elif not tail:
        return None, None
    if not lead:
        return None, None
    return " ".join(part for part in (lead, _join(tail)) if part), lead


def _attributive_measure(span: Span, ctx: FigureTokens) -> str:
    """ "its 13-day goal to process paper returns" -> "IRS goal to process paper returns (days)": the thing the
    hyphenated number describes, its owner for a possessive pronoun, and the unit."""
    head = span.root.head
    owner = next((c for c in head.children if c.dep_ == "poss"), None)
    phrase = _noun_phrase(head, ctx)
    if owner is not None and owner.pos_ == "PRON":
        antecedent = _antecedent(owner, ctx.own)
        rest = _noun_phrase(head, FigureTokens(ctx.own | {owner.i}, ctx.number, ctx.others, ctx.other_numbers,
                                               ctx.blockers | {owner.i}))
        phrase = f"{_noun_phrase(antecedent, ctx)} {rest}" if antecedent is not None else rest
    unit = span._.figure_unit or ""
    return f"{phrase} ({unit if unit.endswith('s') else unit + 's'})" if unit else phrase


def _count_measure(span: Span, ctx: FigureTokens, base: Optional[str]) -> tuple[Optional[str], Optional[str], None]:
    """The counted noun and its modifiers: "non-public economic organizations in the province"; with a host
    ("N organizations, with M employees") or a holder ("data on 3.7 million loans") or its verb."""
    lex = lexicon("en")
    root = span.root
    noun = root
    phrase = _noun_phrase(noun, ctx, own_phrase=True)
    last = span[-1]
    if last.dep_ == "conj" and last.head == root and last.tag_ == "NNS":
        # "30,800 program and operational benefits": the coordinated modifiers and the plural noun they share
        phrase = _join([t for t in span if t.i not in ctx.number and t.i > max(ctx.number, default=-1)])
    with_prep = noun.head if noun.dep_ == "pobj" and noun.head.lower_ == "with" else None
    if with_prep is not None:
        host = with_prep.head
        if host.pos_ in ("VERB", "AUX"):  # "there were N organizations ..., with M employees"
            host = _subject(host) or next((c for c in host.children if c.dep_ in ("attr", "dobj")), None)
        host = _resolve(host, ctx.own)
        if host is not None and host.pos_ in ("NOUN", "PROPN"):
            return f"{phrase} of {_noun_phrase(host, ctx)}", base, None
    holder = noun.head.head if noun.dep_ == "pobj" and noun.head.lower_ in ("on", "about", "from") else None
    if holder is not None and holder.pos_ == "NOUN" and holder.i not in ctx.others and len(phrase.split()) <= 3:
        # "data on almost 3.7 million approved loans": the loans of that data set
        return f"{phrase} in {_noun_phrase(holder, ctx)}", base, None
    subject_verb = _subject_verb(noun)
    if subject_verb is not None and len(phrase.split()) <= 6 and subject_verb.lemma_ not in lex["light_verbs"]:
        return f"{phrase} {_predicate(subject_verb, ctx)}".strip(), base, None
    # "took an average of 16 days to ...": the noun an "of" phrase hangs on carries the clause
    holder = noun
    while holder.dep_ == "conj" and holder.head.i in ctx.others:  # "... $1.6 trillion in X and 30,800 Y"
        holder = holder.head
    while holder.dep_ == "pobj" and holder.head.lower_ == "of" and holder.head.head.pos_ == "NOUN" \
            and holder.head.head.i not in ctx.others:
        holder = holder.head.head
    verb = holder.head if holder.dep_ == "dobj" else holder.head.head if holder.dep_ == "pobj" \
        and holder.head.dep_ in ("prep", "dative", "agent") else None
    # "had seven different commissioners" counts what is had; "there were N ..." and "reached N" do not
    if verb is not None and verb.pos_ in ("VERB", "AUX") and len(phrase.split()) <= 6 \
            and (verb.lemma_ not in lex["light_verbs"] or verb.lemma_ == "have"):
        said = FigureTokens(ctx.own, ctx.number, ctx.others, ctx.other_numbers, ctx.blockers,
                            ctx.tree | {t.i for t in noun.subtree}
                            | ({t.i for t in holder.subtree} if noun.dep_ == "conj" else set()), ctx.thresholds)
        return f"{phrase} {_clause(verb, said)}".strip(), base, None
    return phrase or None, base, None


def describe_figure(span: Span, ctx: FigureTokens) -> tuple[Optional[str], Optional[str], Optional[str]]:
    """``(measures, base, generic owner)`` of a figure span from the dependency parse."""
    lex = lexicon("en")
    kind = span._.figure_kind
    root = span.root
    base = span._.figure_base
    generic = None

    if kind in ("money", "percent") and _is_threshold(span):  # "a backlog of more than $100,000 each"
        holder = root.head.head
        return _noun_phrase(holder, ctx) or None, base, None
    if kind in ("quantity", "duration") and any(t.text == "-" for t in span) and root.head.i >= span.end \
            and root.head.pos_ in ("NOUN", "PROPN"):
        return _attributive_measure(span, ctx), base, None
    if kind in ("count", "quantity", "duration") and root.pos_ in ("NOUN", "PROPN") and root.i not in ctx.number:
        return _count_measure(span, ctx, base)

    # a share: "X accounts for 47% of the province's GDP", "95.6% of them have party members"
    of_pobj = None
    for child in root.children:
        if child.dep_ == "prep" and child.lower_ == "of":
            of_pobj = next((c for c in child.children if c.dep_ == "pobj"), None)
            if of_pobj is not None:
                words = []
                for t in of_pobj.subtree:  # stop at a parenthesis or another statistic
                    if t.text in "([" or t.i in ctx.blockers:
                        break
                    words.append(t)
                base = "of " + _join(words) if words else base
    base_np = None
    if of_pobj is not None:
        target = _resolve(of_pobj, ctx.own)
        base_np = _noun_phrase(target, ctx) if target is not None else None
        if target is not None and target != of_pobj:
            base = f"of {base_np}"
    climb = root
    while climb.dep_ in ("pobj", "prep", "quantmod", "nummod", "compound", "npadvmod", "advmod") \
            and climb.head != climb and climb.head.pos_ not in ("VERB", "AUX"):
        if climb.head.i in ctx.others:
            break
        climb = climb.head
    if climb.head.i in ctx.others and span._.figure_change:
        return None, base, None  # "up 10.5% from 2000" measures the growth of the figure it hangs on
    subject_verb = _subject_verb(root)
    if subject_verb is not None and kind == "percent":
        measure = f"share of {base_np}" if base_np else "share"
        return f"{measure} that {_predicate(subject_verb, ctx)}".strip(), base, None
    verb = _governing_verb(root)
    if verb is None:
        return (f"share of {base_np}" if base_np else None), base, None
    if verb.dep_ == "acl" and verb.head.pos_ in ("NOUN", "PROPN"):
        return f"{verb.lemma_} of {_noun_phrase(verb.head, ctx)}", base, None
    subject = _subject(verb)
    resolved = _resolve(subject, ctx.own)
    owner = _noun_phrase(resolved, ctx) if resolved is not None and resolved.i not in ctx.own else None
    if owner and resolved.lemma_.lower() in lex["generic_subjects"] and len(owner.split()) <= 3:
        generic = owner
    in_clause = root.dep_ == "pobj" and root.head.dep_ == "prep" and root.head.head == verb
    if kind == "percent" and base_np and (root.dep_ == "dobj" and verb.pos_ == "VERB" or in_clause) \
            and verb.lemma_ not in lex["share_verbs"] and (in_clause or verb.lemma_ not in lex["light_verbs"]):
        # "funding is a key challenge for an estimated 85 percent of museums"
        # "ORR allocated 84 percent of the appropriations to these programs"
        return f"share of {base_np} {_clause(verb, ctx)}", base, generic
    if kind == "percent" and (base_np or verb.lemma_ in lex["share_verbs"]):
        measure = f"{owner} share" if owner else "share"
        if base_np:
            measure += f" of {base_np}"
        return measure, base, generic
    if verb.lemma_ in lex["light_verbs"] or root.dep_ in ("nsubj", "nsubjpass"):
        if span._.figure_change and owner:
            direction = "growth" if span._.figure_change == "up" else "decline"
            return f"{owner} {direction}", base, generic
        if owner is None and span._.figure_change and root.pos_ == "NOUN" and root.i not in ctx.number:
            # "This is a 5.9 percent increase over the FY 2026 enacted level"
            return _noun_phrase(root, ctx, own_phrase=True) or None, base, None
        return owner, base, generic
    of_what = next((c for c in root.children if c.dep_ == "prep" and c.lower_ in ("in", "of", "for")), None)
    of_what = next((c for c in of_what.children if c.dep_ == "pobj"), None) if of_what is not None else None
    thing = _noun_phrase(of_what, ctx) if of_what is not None else "share" if kind == "percent" else ""
    # "approved over $377 billion in COVID-19 EIDL funding" -> "COVID-19 EIDL funding SBA approved"
    said = ctx if of_what is None else FigureTokens(ctx.own, ctx.number, ctx.others, ctx.other_numbers,
                                                    ctx.blockers, ctx.tree | {t.i for t in of_what.head.subtree},
                                                    ctx.thresholds)
    return " ".join(p for p in (thing, _clause(verb, said)) if p) or None, base, None


def _is_threshold(span: Span) -> bool:
    """ "enterprises with more than 50 employees": a bound that defines a class of things, not a statistic
    (a bound after a comma, "organizations, with more than 40,000 workers", is a statistic)."""
    if span._.figure_qualifier in ("=", "~"):
        return False
    root = span.root
    prep = root.head if root.dep_ == "pobj" else None
    if prep is None or prep.dep_ != "prep" or prep.head.pos_ not in ("NOUN", "PROPN"):
        return False
    return prep.i == 0 or not prep.doc[prep.i - 1].is_punct


def _host_figure(span: Span, spans: list[Span]) -> Optional[Span]:
    """The other figure a span hangs on in the parse ("670 billion yuan, up 10.5%": the yuan figure)."""
    for ancestor in span.root.ancestors:
        for other in spans:
            if other is not span and other.start <= ancestor.i < other.end:
                return other
    return None


def nearest_region(doc: Doc, start: int, end: int) -> Optional[Span]:
    """The place entity nearest a token range: the closest before it, else the closest after it."""
    places = [e for e in doc.ents if e.label_ == "GPE"]
    before = [e for e in places if e.end <= start]
    if before:
        return before[-1]
    after = [e for e in places if e.start >= end]
    return after[0] if after else None


def main_object_phrase(doc: Doc) -> Optional[str]:
    """The object of a sentence's main verb ("domestic production"): what a generic "the total value" refers to."""
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None:
        return None
    obj = next((c for c in root.children if c.dep_ in ("dobj", "attr")), None)
    return _noun_phrase(obj, FigureTokens(set(), set(), set(), set(), set())) if obj is not None else None

