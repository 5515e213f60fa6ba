"""What an English figure measures, read from the dependency parse: the counted noun and its modifiers, the
owner of a share and its base, the verb a money figure hangs on, a fallback phrase for lists, the region."""
from __future__ import annotations

from typing import Optional

from spacy.tokens import Doc, Span

from ..figures.units import lexicon
from .clauses import (FigureTokens, antecedent, clause, governing_verb, join_tokens, noun_phrase, number_part,  # noqa: F401
                      predicate, resolve, subject_of, subject_verb)


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
        lead = join_tokens([t for t in before if t.dep_ != "det"])
    elif not tail:
        return None, None
    if not lead:
        return None, None
    return " ".join(part for part in (lead, join_tokens(tail)) if part), lead


def _attributive_measure(span: Span, ctx: FigureTokens) -> str:
    """ "its 13-day goal to process paper returns" -> "IRS goal to process paper returns (days)": the thing the
    hyphenated number describes, its owner for a possessive pronoun, and the unit."""
    head = span.root.head
    owner = next((c for c in head.children if c.dep_ == "poss"), None)
    phrase = noun_phrase(head, ctx)
    if owner is not None and owner.pos_ == "PRON":
        named = antecedent(owner, ctx.own)
        rest = noun_phrase(head, FigureTokens(ctx.own | {owner.i}, ctx.number, ctx.others, ctx.other_numbers,
                                               ctx.blockers | {owner.i}))
        phrase = f"{noun_phrase(named, ctx)} {rest}" if named is not None else rest
    unit = span._.figure_unit or ""
    return f"{phrase} ({unit if unit.endswith('s') else unit + 's'})" if unit else phrase


def _count_measure(span: Span, ctx: FigureTokens, base: Optional[str]) -> tuple[Optional[str], Optional[str], None]:
    """The counted noun and its modifiers: "non-public economic organizations in the province"; with a host
    ("N organizations, with M employees") or a holder ("data on 3.7 million loans") or its verb."""
    lex = lexicon("en")
    root = span.root
    noun = root
    phrase = noun_phrase(noun, ctx, own_phrase=True)
    last = span[-1]
    if last.dep_ == "conj" and last.head == root and last.tag_ == "NNS":
        # "30,800 program and operational benefits": the coordinated modifiers and the plural noun they share
        phrase = join_tokens([t for t in span if t.i not in ctx.number and t.i > max(ctx.number, default=-1)])
    with_prep = noun.head if noun.dep_ == "pobj" and noun.head.lower_ == "with" else None
    if with_prep is not None:
        host = with_prep.head
        if host.pos_ in ("VERB", "AUX"):  # "there were N organizations ..., with M employees"
            host = subject_of(host) or next((c for c in host.children if c.dep_ in ("attr", "dobj")), None)
        host = resolve(host, ctx.own)
        if host is not None and host.pos_ in ("NOUN", "PROPN"):
            return f"{phrase} of {noun_phrase(host, ctx)}", base, None
    holder = noun.head.head if noun.dep_ == "pobj" and noun.head.lower_ in ("on", "about", "from") else None
    if holder is not None and holder.pos_ == "NOUN" and holder.i not in ctx.others and len(phrase.split()) <= 3:
        # "data on almost 3.7 million approved loans": the loans of that data set
        return f"{phrase} in {noun_phrase(holder, ctx)}", base, None
    its_verb = subject_verb(noun)
    if its_verb is not None and len(phrase.split()) <= 6 and its_verb.lemma_ not in lex["light_verbs"]:
        return f"{phrase} {predicate(its_verb, ctx)}".strip(), base, None
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
        return f"{phrase} {clause(verb, said)}".strip(), base, None
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
        return noun_phrase(holder, ctx) or None, base, None
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
                base = "of " + join_tokens(words) if words else base
    base_np = None
    if of_pobj is not None:
        target = resolve(of_pobj, ctx.own)
        base_np = noun_phrase(target, ctx) if target is not None else None
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
    its_verb = subject_verb(root)
    if its_verb is not None and kind == "percent":
        measure = f"share of {base_np}" if base_np else "share"
        return f"{measure} that {predicate(its_verb, ctx)}".strip(), base, None
    verb = governing_verb(root)
    if verb is None:
        return (f"share of {base_np}" if base_np else None), base, None
    if verb.dep_ == "acl" and verb.head.pos_ in ("NOUN", "PROPN"):
        return f"{verb.lemma_} of {noun_phrase(verb.head, ctx)}", base, None
    subject = subject_of(verb)
    resolved = resolve(subject, ctx.own)
    owner = noun_phrase(resolved, ctx) if resolved is not None and resolved.i not in ctx.own else None
    if owner and resolved.lemma_.lower() in lex["generic_subjects"] and len(owner.split()) <= 3:
        generic = owner
    in_clause = root.dep_ == "pobj" and root.head.dep_ == "prep" and root.head.head == verb
    if kind == "percent" and base_np and (root.dep_ == "dobj" and verb.pos_ == "VERB" or in_clause) \
            and verb.lemma_ not in lex["share_verbs"] and (in_clause or verb.lemma_ not in lex["light_verbs"]):
        # "funding is a key challenge for an estimated 85 percent of museums"
        # "ORR allocated 84 percent of the appropriations to these programs"
        return f"share of {base_np} {clause(verb, ctx)}", base, generic
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
            return noun_phrase(root, ctx, own_phrase=True) or None, base, None
        return owner, base, generic
    of_what = next((c for c in root.children if c.dep_ == "prep" and c.lower_ in ("in", "of", "for")), None)
    of_what = next((c for c in of_what.children if c.dep_ == "pobj"), None) if of_what is not None else None
    thing = noun_phrase(of_what, ctx) if of_what is not None else "share" if kind == "percent" else ""
    # "approved over $377 billion in COVID-19 EIDL funding" -> "COVID-19 EIDL funding SBA approved"
    said = ctx if of_what is None else FigureTokens(ctx.own, ctx.number, ctx.others, ctx.other_numbers,
                                                    ctx.blockers, ctx.tree | {t.i for t in of_what.head.subtree},
                                                    ctx.thresholds)
    return " ".join(p for p in (thing, clause(verb, said)) if p) or None, base, None


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
    return noun_phrase(obj, FigureTokens(set(), set(), set(), set(), set())) if obj is not None else None

