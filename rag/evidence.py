"""Which abstract sentences the LLM sees, within a word budget, and which it quotes when generation fails.

Every sentence of a retrieved abstract carries its cosine similarity to the question. Ranking adds cues a small
model needs: sentences holding the question's key terms; when the question asks for a quantity, sentences holding
numbers; and sentences that name the paper's contribution ("we propose X"), which "which method" questions ask
for. The budget adapts: when one paper clearly leads (both retrievers rank it first, or its dense score leads by
a margin) it gets most of the words, up to its whole abstract, and the others their best sentence (or nothing,
for a model that answers from them instead of the leader); when several
papers are close, or the question names things found in different papers (a comparison), the words are spread
over them, best sentences first. In a comparison (two or more sources hold things the question names) each named
paper gets an equal share of the lead budget, its "we propose" sentences first, and the others their best sentence;
a question about several papers without naming them ("which papers...", "what approaches...", "compare two
ways...") never has a leader, and every source gets such a share.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rag.citations import content_words
from rag.facts import PROPOSAL, holders, mentions, names, numbers, phrases

QUESTION_WORDS = frozenset("does did do how what which who why when where there any work paper papers".split())
QUANTITY = re.compile(
    r"\b(how (much|many|large|big|fast|far|deep|long|small|often)|by what|what (accuracy|error|score|percentage|rate|"
    r"speed-?up|gain|improvement|size|fraction|share)|which (accuracy|error|score))\b",
    re.IGNORECASE,
)
CONTRIBUTION = re.compile(
    r"\b(we (propose|introduce|present|develop|call|name|design)|(called|named|dubbed|termed)\b)", re.IGNORECASE
)
SEVERAL = re.compile(  # questions about more than one paper: "which papers...", "what approaches...", "compare..."
    r"^(compare|contrast)\b|\b(papers|studies|approaches|ways)\b", re.IGNORECASE
)
ASKS_NAME = re.compile(  # questions answered by naming something: "which method", "is there a model that..."
    r"(?:^|[,;:]\s+)(which|who|is there|are there|can|could|does any|do any|has any)\b|\b(called|named)\b",
    re.IGNORECASE,
)
ASKED_TYPE = re.compile(  # "which statistical physics framework is ...": the words saying what kind of thing is asked
    r"\bwhich\s+((?:[\w-]+\s+){0,3}[\w-]+)\s+(?:is|are|was|were|do|does|did|can|could|has|have|had|would|will|"
    r"should|helps|lets|gets|beats|predicts|outperforms|works|came|beat|won|gave|made|took|found|led|held|got|"
    r"[a-z]+es|[a-z]+ed)\b",
    re.IGNORECASE,
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
    others: bool = True  # beside a clear leader the other sources keep their best sentence (off: none)


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


def asks_several(question: str) -> bool:
    """Whether the question asks about several papers at once.

    >>> asks_several("Which papers use quantization?"), asks_several("Compare two ways to prune a U-Net.")
    (True, True)
    >>> asks_several("How does Stable-SPAM compare with Adam?"), asks_several("What does the MUVERA paper show?")
    (False, False)
    """
    return bool(SEVERAL.search(question.strip()))


def clear_leader(sources: Sequence[Ranked], margin: float, question: str = "") -> bool:
    """One paper leads: both retrievers rank it first among the sources, or its dense score leads by `margin`;
    and the question neither asks about several papers nor names things found in different sources (a
    comparison needs them all)."""
    if len(sources) < 2:
        return bool(sources)
    if asks_several(question):
        return False
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
        for s in sources[1:] if budget.others else []:  # every other source keeps its best sentence
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
        compares = comparison(held)
        if compares or asks_several(question):  # each paper asked about gets an equal share, what it proposes first
            group = {s.n for s in (named if compares else sources)}
            share = budget.lead_words / len(group)
            for i, s in enumerate(sources):
                if s.n not in group:
                    chosen[s.n] = ranked[s.n][:1]
                    continue
                mine = [name for name in asked if i in held[name]]
                chosen[s.n] = paper_share(question, ranked[s.n], mine, share)
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


def paper_share(question: str, ranked: Sequence[Scored], names: Sequence[str], words: float) -> list[Scored]:
    """One paper's evidence when several papers share the budget: what it proposes (its best "we propose"
    sentence) and, when the question asks how much, its best sentence with a number, always; then, within
    `words`, its other contributions and sentences naming what the question names, best first. Code links never."""
    order = [e for e in ranked if not LINK.search(e.text)] or list(ranked[:1])
    essential = [e for e in order if PROPOSAL.search(e.text)][:1]
    if asks_quantity(question) and not any(numbers(e.text) for e in essential):
        essential += [e for e in order if numbers(e.text)][:1]
    rest = sorted(
        (e for e in order if e not in essential),
        key=lambda e: (not PROPOSAL.search(e.text), not any(mentions(e.text, m) for m in names)),
    )
    picked: list[Scored] = []
    spent = 0
    for sentence in [*essential, *rest]:
        size = len(sentence.text.split())
        if not picked or sentence in essential or spent + size <= words:
            picked.append(sentence)
            spent += size
    return picked


def comparison(held: dict[str, list[int]]) -> bool:
    """Whether the question compares, given which sources hold each name it asks about (`rag.facts.holders`): it
    names two or more things found in the sources, and no one source holds them all ("Compare MUVERA and
    NV-Embed", not "Does Stable-SPAM beat Adam?" where the Stable-SPAM paper mentions Adam too)."""
    found = [set(sources) for sources in held.values() if sources]
    return len(found) >= 2 and not set.intersection(*found)


def best_sentences(question: str, sources: Sequence[Ranked], most: int = 2) -> list[tuple[int, Scored, float]]:
    """The sentences that best match the question, as (source number, sentence, relevance), best first.

    A second sentence is kept only when it scores close to the first (within 0.05). When the question asks for a
    number, or for a name ("which method...", "is there a model that..."), and neither sentence gives one, the
    second place goes to the best sentence of the first one's abstract that does: the quote should hold the kind
    of thing asked for, not only the words of the question.
    """
    terms = key_terms(question)
    scored = sorted(((s.n, e, relevance(question, e, terms)) for s in sources for e in s.evidence), key=lambda t: -t[2])
    if not scored:
        return []
    top = scored[0][2]
    picked = [item for item in scored[:most] if item[2] >= top - 0.05]
    gives = answer_kind(question)
    if most > 1 and gives is not None and not any(gives(e.text) for _, e, _ in picked):
        same = [item for item in scored[1:] if item[0] == picked[0][0] and gives(item[1].text)]
        kind = asked_type(question)  # of those, the ones that also say the asked kind ("framework") come first
        same.sort(key=lambda item: not (kind & content_words(item[1].text)))
        picked = picked[:1] + same[:1]
    return picked


def asked_type(question: str) -> set[str]:
    """The content words saying what kind of thing a "which" question asks for (empty when it has no such phrase).

    >>> sorted(asked_type("Which statistical physics framework is used to describe continual learning?"))
    ['framework', 'physic', 'statistical']
    >>> asked_type("Which optimizer makes 4-bit training stable?"), asked_type("How does warmup help?")
    ({'optimizer'}, set())
    """
    match = ASKED_TYPE.search(question)
    return content_words(match.group(1)) if match else set()


def answer_kind(question: str) -> Callable[[str], bool] | None:
    """A test for sentences that hold what the question asks for: a number, or a name the question does not
    already say; None when the question asks for neither (a 'how' or 'why' question)."""
    if asks_quantity(question):
        return states_number
    if asks_name(question):
        return lambda text: names_new(question, text)
    return None


def asks_name(question: str) -> bool:
    """Whether the question is answered by naming something ("which method...", "is there a model that...").

    >>> asks_name("Which optimizer is stable in 4-bit?"), asks_name("Is there a linear-time transformer?")
    (True, True)
    >>> asks_name("How does the warmup speed up training?"), asks_name("How many GPUs, and which ones?")
    (False, False)
    """
    return bool(ASKS_NAME.search(question)) and not asks_quantity(question)


def names_new(question: str, text: str) -> bool:
    """Whether the text names something (an acronym, a model, a capitalised term) the question does not say.

    >>> q = "Which framework describes continual learning in binary networks?"
    >>> names_new(q, "We cast it as a Franz-Parisi potential."), names_new(q, "Binary networks learn continually.")
    (True, False)
    """
    return any(not mentions(question, name) for name in names(text))
