"""Which abstract sentences the LLM sees, within a word budget, and which it quotes when generation fails.

Every sentence of a retrieved abstract carries its cosine similarity to the question. Ranking adds cues a small
model needs: sentences holding the question's key terms; when the question asks for a quantity, sentences holding
numbers; and sentences that name the paper's contribution ("we propose X"), which "which method" questions ask
for. The budget adapts: when one paper clearly leads (both retrievers rank it first, or its dense score leads by
a margin) it gets most of the words, up to its whole abstract, and the others their best sentence; when several
papers are close, or the question names things found in different papers (a comparison), the words are spread
over them, best sentences first. In a comparison (two or more sources hold things the question names) each named
paper gets an equal share of the lead budget, its "we propose" sentences first, and the others their best sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from rag.citations import content_words
from rag.facts import holders, mentions, numbers, phrases

QUESTION_WORDS = frozenset("does did do how what which who why when where there any work paper papers".split())
QUANTITY = re.compile(
    r"\b(how (much|many|large|big|fast|far|deep|long|small|often)|by what|what (accuracy|error|score|percentage|rate|"
    r"speed-?up|gain|improvement|size|fraction|share)|which (accuracy|error|score))\b",
    re.IGNORECASE,
)
CONTRIBUTION = re.compile(
    r"\b(we (propose|introduce|present|develop|call|name|design)|(called|named|dubbed|termed)\b)", re.IGNORECASE
)
LINK = re.compile(r"https?://|www\.", re.IGNORECASE)  # "Code is available at https://...": no finding to compare
TERM_WEIGHT = 0.15  # a sentence holding all of the question's key terms gains this much
NUMBER_WEIGHT = 0.10  # a sentence with a number gains this much when the question asks for a quantity
CONTRIBUTION_WEIGHT = 0.05  # a sentence that names the paper's contribution ("we propose X") gains this much


class Scored(Protocol):
    text: str
    start: int
    score: float


class Ranked(Protocol):
    """What the budget needs of a retrieved paper (a `Source`)."""

    n: int
    title: str
    abstract: str
    evidence: list
    dense: float | None
    bm25: float | None


@dataclass(frozen=True)
class Budget:
    """Words the prompt may spend on evidence."""

    spread_words: int = 120  # shared by all sources when no paper clearly leads
    lead_words: int = 130  # for a clear leader (its whole abstract when it fits)
    lead_margin: float = 0.06  # dense-cosine lead over the runner-up that makes a paper the clear leader


def key_terms(question: str) -> set[str]:
    """Content words of the question without the question's own scaffolding.

    >>> sorted(key_terms("How much does the adapter cut word error rate?"))
    ['adapter', 'cut', 'error', 'much', 'rate', 'word']
    """
    return content_words(question) - QUESTION_WORDS


def asks_quantity(question: str) -> bool:
    """Whether the question asks for a number.

    >>> asks_quantity("By how much did FLOPs drop?"), asks_quantity("What pooling layer does it use?")
    (True, False)
    """
    return bool(QUANTITY.search(question))


NUMBER_WORDS = re.compile(
    r"\b(half|twice|double|triple|one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|"
    r"billion|orders? of magnitude)\b",
    re.IGNORECASE,
)


def states_number(text: str) -> bool:
    """Whether the text states a quantity, in digits or words.

    >>> states_number("about half the steps"), states_number("it is stable")
    (True, False)
    """
    return bool(numbers(text) or NUMBER_WORDS.search(text))


def relevance(question: str, sentence: Scored, terms: set[str] | None = None) -> float:
    """The sentence's cosine to the question plus the key-term and number cues."""
    terms = key_terms(question) if terms is None else terms
    share = len(terms & content_words(sentence.text)) / len(terms) if terms else 0.0
    bonus = NUMBER_WEIGHT if asks_quantity(question) and numbers(sentence.text) else 0.0
    bonus += CONTRIBUTION_WEIGHT if CONTRIBUTION.search(sentence.text) else 0.0
    return sentence.score + TERM_WEIGHT * share + bonus


def clear_leader(sources: Sequence[Ranked], margin: float, question: str = "") -> bool:
    """One paper leads: both retrievers rank it first among the sources, or its dense score leads by `margin`;
    and the question does not name things found in different sources (a comparison needs them all)."""
    if len(sources) < 2:
        return bool(sources)
    lead, rest = sources[0], sources[1:]
    for name in phrases(question):  # something the leader never mentions but another source does: compare
        if not mentions(f"{lead.title} {lead.abstract}", name) and any(
            mentions(f"{s.title} {s.abstract}", name) for s in rest
        ):
            return False
    dense = [s.dense for s in rest if s.dense is not None]
    bm25 = [s.bm25 for s in rest if s.bm25 is not None]
    top_dense = lead.dense is not None and all(lead.dense >= d for d in dense)
    top_bm25 = lead.bm25 is not None and all(lead.bm25 >= b for b in bm25)
    leads_dense = lead.dense is not None and (not dense or lead.dense - max(dense) >= margin)
    return (top_dense and top_bm25) or leads_dense


def choose(question: str, sources: Sequence[Ranked], budget: Budget) -> dict[int, list]:
    """Evidence per source number, each list in reading order."""
    terms = key_terms(question)
    ranked = {s.n: sorted(s.evidence, key=lambda e: -relevance(question, e, terms)) for s in sources}
    chosen: dict[int, list] = {s.n: [] for s in sources}
    used = 0
    if sources and clear_leader(sources, budget.lead_margin, question):
        lead = sources[0]
        for s in sources[1:]:  # every other source keeps its best sentence
            if ranked[s.n]:
                chosen[s.n].append(ranked[s.n][0])
        words = budget.lead_words
        for sentence in ranked[lead.n]:
            size = len(sentence.text.split())
            if not chosen[lead.n] or used + size <= words:
                chosen[lead.n].append(sentence)
                used += size
    else:
        asked = phrases(question)  # beyond each source's best sentence, the words go to the papers the question names
        held = holders(asked, [f"{s.title} {s.abstract}" for s in sources])
        named = [s for i, s in enumerate(sources) if any(i in found for found in held.values())]
        if comparison(held):  # each named paper gets an equal share, what it proposes first
            share = budget.lead_words / len(named)
            for i, s in enumerate(sources):
                mine = [name for name in asked if i in held[name]]
                order = [e for e in ranked[s.n] if not LINK.search(e.text)] if mine else []
                order.sort(key=lambda e: (not CONTRIBUTION.search(e.text), not any(mentions(e.text, m) for m in mine)))
                spent = 0
                for sentence in order or ranked[s.n][:1]:
                    size = len(sentence.text.split())
                    if not chosen[s.n] or spent + size <= share:
                        chosen[s.n].append(sentence)
                        spent += size
        else:
            for depth in range(max((len(r) for r in ranked.values()), default=0)):
                for s in sources if depth == 0 or not named else named:
                    if depth < len(ranked[s.n]):
                        sentence = ranked[s.n][depth]
                        size = len(sentence.text.split())
                        if depth == 0 or used + size <= budget.spread_words:
                            chosen[s.n].append(sentence)
                            used += size
    return {n: sorted(items, key=lambda e: e.start) for n, items in chosen.items()}


def comparison(held: dict[str, list[int]]) -> bool:
    """Whether the question compares, given which sources hold each name it asks about (`rag.facts.holders`): it
    names two or more things found in the sources, and no one source holds them all ("Compare MUVERA and
    NV-Embed", not "Does Stable-SPAM beat Adam?" where the Stable-SPAM paper mentions Adam too)."""
    found = [set(sources) for sources in held.values() if sources]
    return len(found) >= 2 and not set.intersection(*found)


def best_sentences(question: str, sources: Sequence[Ranked], most: int = 2) -> list[tuple[int, Scored, float]]:
    """The sentences that best match the question, as (source number, sentence, relevance), best first.

    A second sentence is kept only when it scores close to the first (within 0.05).
    """
    terms = key_terms(question)
    scored = sorted(((s.n, e, relevance(question, e, terms)) for s in sources for e in s.evidence), key=lambda t: -t[2])
    if not scored:
        return []
    top = scored[0][2]
    return [item for item in scored[:most] if item[2] >= top - 0.05]
