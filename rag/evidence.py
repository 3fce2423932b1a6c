"""Which abstract sentences the LLM sees, within a word budget (`rag.quotes` picks what it quotes).

Every sentence of a retrieved abstract carries its cosine similarity to the question. Ranking adds cues a small
model needs: sentences holding the question's key terms; when the question asks for a quantity, sentences holding
numbers; and sentences that name the paper's contribution ("we propose X"), which "which method" questions ask
for. The budget adapts: when one paper clearly leads (both retrievers rank it first, or its dense score leads by
a margin) it gets most of the words, up to its whole abstract, and the others their best sentence (or nothing,
for a model that answers from them instead of the leader); when several papers are close, or the question names
things found in different papers (a comparison), the words are spread over them, best sentences first. When the
question asks for a list ("what anomalies...") and the leader's abstract numbers one ("three anomalies: (1) ...
(2) ..."), the numbered items come first. In a comparison (two or more sources hold things the question names)
each named paper gets an equal share of the lead budget, its "we propose" sentences first, and the others their
best sentence; a question about several papers without naming them ("which papers...", "what approaches...",
"compare two ways...") never has a leader, and every source gets such a share.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from rapidfuzz.distance import OSA
from rapidfuzz.process import extractOne

from rag.citations import content_words
from rag.facts import PROPOSAL, holders, mentions, numbers, phrases, says_title, sole_holder

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
RECORD = re.compile(  # questions about a paper's record rather than its findings: who wrote it, when, where
    r"\b(who|whom|whose|authors?|authored|wrote|written|published|publication|what year|which year|venue|journal|"
    r"conference|(?:papers?|work|works|articles?) by)\b",
    re.IGNORECASE,
)
AUTHORS = re.compile(  # questions answered by people: "who wrote ...", "papers by ...", "list the authors" (not
    # a relative "adults who exercise", nor "what do the authors propose", which asks for the abstract's findings)
    r"(?:^\s*|[,;:]\s*|\band\s+)(?:who|whom)\b|\b(?:wrote|authored|written by)\b|\b(?:papers?|works?|articles?) by\b|"
    r"\b(?:list|name|give)\s+(?:me\s+)?(?:the\s+)?authors?\b",
    re.IGNORECASE,
)
ANOTHER_ASK = re.compile(  # where a question goes on to ask something else: "Who proposed X and what rank ...?"
    r",?\s+and\s+(?=(?:what|which|how|why|when|where|who|whom|does|do|did|is|are|was|were|can)\b)|[;?]\s*",
    re.IGNORECASE,
)
LIST_HEAD = re.compile(  # "what anomalies ...", "which three stages ...", "what are the main contributions ..."
    r"^(?:what|which)\s+(?:(?:are|were)\s+)?(?:the\s+)?(?:(?:two|three|four|five|six|main|key)\s+)?([a-z-]{3,}s)\b",
    re.IGNORECASE,
)
NOT_PLURAL = frozenset(  # words ending in s after "what" that are not a plural noun asked for
    "does was has is its this thus less loss bias gives makes uses causes leads helps means happens".split()
)
MARKER = re.compile(r"(?:^|[\s:;,])\(((?:[1-9]|i{1,3}|iv|vi{0,3}|[a-f]))\)\s", re.IGNORECASE)  # "(1) ", "(ii) ", "(b) "
LINK = re.compile(r"https?://|www\.", re.IGNORECASE)  # "Code is available at https://...": no finding to compare
TERM_WEIGHT = 0.15  # a sentence holding all of the question's key terms gains this much
NEAR_LENGTH = 6  # a key term this long also matches a word one edit away: "tumour"/"tumor", "embeding"
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
    compare_words: int = 0  # for each paper a comparison asks about (0: an equal part of `lead_words`) ...
    compare_total: int = 0  # ... and for all of them together, at most (0: no cap)


FORM = re.compile(  # what a question asks of the answer's form, not of the papers: "Summarize ... in two sentences"
    r"^\W*(?:please\s+)?(?:(?:can|could|would)\s+you\s+(?:please\s+)?)?(?:summari[sz]e|explain|describe|outline|"
    r"tell\s+me\s+(?:more\s+)?about|give\s+me\s+(?:an?\s+)?(?:short\s+|brief\s+|quick\s+)?(?:summary|overview|"
    r"explanation|description)\s+of)\b|"
    r"\b(?:in\s+(?:one|two|three|four|five|a\s+few|\d+)\s+(?:sentences?|words|lines|paragraphs?|bullet\s+points|"
    r"bullets)|briefly|in\s+(?:simple|plain)\s+(?:terms|words|english|language)|like\s+i'?m\s+(?:five|5))\b|"
    r"\bthe\s+paper\s+(?:on|about)\s+",
    re.IGNORECASE,
)


def topic(question: str) -> str:
    """The question without what it asks of the answer's form, for searching: "Summarize the paper on RITUAL in
    two sentences" is about RITUAL, and its other words match unrelated abstracts ("Summarizing Patch Tokens").
    The question itself is unchanged when nothing would be left.

    >>> topic("Summarize the paper on RITUAL in two sentences.")
    'RITUAL.'
    >>> topic("Could you briefly explain how Block Transformer speeds up decoding?")
    'how Block Transformer speeds up decoding?'
    >>> topic("Explain."), topic("Which paper describes HoME?")
    ('Explain.', 'Which paper describes HoME?')
    """
    if not FORM.search(question):
        return question
    left = question
    for _ in range(3):  # "Could you briefly explain ...": once "briefly" is gone, the request opens the question
        left = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(FORM.sub(" ", left).split())).lstrip(" ,;:")
    return left if content_words(left) else question


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


def relevance(question: str, sentence: Scored, terms: set[str] | None = None) -> float:
    """The sentence's cosine to the question plus the key-term and number cues."""
    terms = key_terms(question) if terms is None else terms
    share = found(terms, content_words(sentence.text)) / len(terms) if terms else 0.0
    bonus = NUMBER_WEIGHT if asks_quantity(question) and numbers(sentence.text) else 0.0
    bonus += CONTRIBUTION_WEIGHT if CONTRIBUTION.search(sentence.text) else 0.0
    return sentence.score + TERM_WEIGHT * share + bonus


def found(terms: set[str], words: set[str]) -> int:
    """How many of the terms the words hold, a long term also as a word one edit away (a spelling variant or a
    typo: "modelling", "optimisation", "embedings"), so a question's spelling does not decide what it matches.

    >>> found({"tumour", "modelling", "embeding", "brain"}, {"tumor", "modeling", "embedding", "train"})
    3
    """
    near = [t for t in terms - words if len(t) >= NEAR_LENGTH]
    return len(terms & words) + sum(extractOne(t, words, scorer=OSA.distance, score_cutoff=1) is not None for t in near)


def asks_record(question: str) -> bool:
    """Whether the question asks who wrote a paper, when or where it was published.

    >>> asks_record("Who are the authors of MUVERA?"), asks_record("Which papers by Hinton use capsules?")
    (True, True)
    >>> asks_record("When does Adam diverge?"), asks_record("What pooling does NV-Embed use?")
    (False, False)
    """
    return bool(RECORD.search(question))


def asks_authors(question: str) -> bool:
    """Whether the question can only be answered from the papers' authors (an abstract never names them).

    >>> asks_authors("Who wrote MUVERA?"), asks_authors("Which papers by Hinton use capsules?")
    (True, True)
    >>> asks_authors("When was MUVERA published?"), asks_authors("What is the code written in?")
    (False, False)
    >>> asks_authors("Do adults who exercise remember more?"), asks_authors("What do the authors propose?")
    (False, False)
    >>> asks_authors("Which paper introduced Adam and who wrote it?"), asks_authors("List the authors of HoME.")
    (True, True)
    """
    return bool(AUTHORS.search(question))


def beside_authors(question: str) -> str:
    """What else the question asks, beside who wrote a paper ('' when it asks nothing else).

    >>> beside_authors("Who proposed Perfusion and what rank are its updates?")
    'what rank are its updates'
    >>> beside_authors("Who wrote MUVERA?"), beside_authors("Who are the authors of HoME, and who funded it?")
    ('', '')
    """
    parts = [part.strip(" ,.") for part in ANOTHER_ASK.split(question) if part and part.strip(" ,.")]
    return " ".join(part for part in parts if not AUTHORS.search(part)) if len(parts) > 1 else ""


def asks_several(question: str) -> bool:
    """Whether the question asks about several papers at once.

    >>> asks_several("Which papers use quantization?"), asks_several("Compare two ways to prune a U-Net.")
    (True, True)
    >>> asks_several("How does Stable-SPAM compare with Adam?"), asks_several("What does the MUVERA paper show?")
    (False, False)
    """
    return bool(SEVERAL.search(question.strip()))


def clear_leader(sources: Sequence[Ranked], margin: float, question: str = "") -> bool:
    """One paper leads: both retrievers rank it first among the sources, its dense score leads by `margin`, the
    question names it by its title ("what does the survey on what comes after transformers cover?"), or it alone
    mentions what the question names ("What does Brain-Diffuser use in its second stage?"); and the
    question neither asks about several papers nor names things found in different sources (a comparison needs
    them all)."""
    if len(sources) < 2:
        return bool(sources)
    if asks_several(question):
        return False
    lead, rest = sources[0], sources[1:]
    asked = phrases(question)
    for name in asked:  # something the leader never mentions but another source does: compare
        if not mentions(lead.text, name) and any(mentions(s.text, name) for s in rest):
            return False
    if says_title(question, lead.title):
        return True
    if sole_holder(asked, [s.text for s in sources]) == 0:  # it alone mentions what the question names
        return True
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
        items = listed(question, lead.evidence)  # a list of what the question asks for goes first, in order
        for sentence in [*items, *(e for e in ranked[lead.n] if e not in items)]:
            size = len(sentence.text.split())
            if not chosen[lead.n] or used + size <= words:
                chosen[lead.n].append(sentence)
                used += size
    else:
        asked = phrases(question)  # beyond each source's best sentence, the words go to the papers the question names
        held = holders(asked, [s.text for s in sources])
        named = [s for i, s in enumerate(sources) if any(i in found for found in held.values())]
        compares = comparison(held)
        if compares or asks_several(question):  # each paper asked about gets an equal share, what it proposes first
            group = {s.n for s in (named if compares else sources)}
            share = compare_share(budget, len(group))
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


def asked_list(question: str) -> str:
    """The plural noun a question asks a list of ("What anomalies did they observe?" -> 'anomalies'), or ''.

    >>> asked_list("What anomalies of MoE did Kuaishou observe?"), asked_list("What are the main contributions?")
    ('anomalies', 'contributions')
    >>> asked_list("What does NV-Embed use?"), asked_list("Which optimizer makes training stable?")
    ('', '')
    """
    match = LIST_HEAD.match(question.strip())
    word = match.group(1).lower() if match else ""
    return "" if word in NOT_PLURAL or word.endswith(("ss", "us", "is")) else word


def listed(question: str, sentences: Sequence[Scored]) -> list[Scored]:
    """The items of an enumeration of what the question asks a list of, in reading order: the sentences holding
    its markers ("(1) Expert Collapse: ...", "(2) ...", "(i) ..."), when the abstract numbers two or more items and
    the sentence opening the list names the asked thing ("we observe three anomalies: (1) ..."); else none."""
    noun = content_words(asked_list(question))
    marked = [e for e in sorted(sentences, key=lambda e: e.start) if MARKER.search(e.text)]
    labels = {m.group(1).lower() for e in marked for m in MARKER.finditer(e.text)}
    if not noun or len(labels) < 2:
        return []
    first = marked[0]
    opening = first.text[: MARKER.search(first.text).start()]  # "..., we observe three anomalies:" (or the
    if not opening.strip():  # sentence before, when the list starts a sentence of its own)
        before = [e for e in sentences if e.start < first.start]
        opening = max(before, key=lambda e: e.start).text if before else ""
    return marked if noun & content_words(opening) else []


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


def compare_share(budget: Budget, papers: int) -> float:
    """The words for each of `papers` papers a comparison asks about.

    >>> compare_share(Budget(lead_words=130), 2), compare_share(Budget(compare_words=120, compare_total=360), 2)
    (65.0, 120)
    >>> compare_share(Budget(compare_words=120, compare_total=360), 10)
    36.0
    """
    if not budget.compare_words:
        return budget.lead_words / papers
    return min(budget.compare_words, budget.compare_total / papers) if budget.compare_total else budget.compare_words


def comparison(held: dict[str, list[int]]) -> bool:
    """Whether the question compares, given which sources hold each name it asks about (`rag.facts.holders`): it
    names two or more things found in the sources, and no one source holds them all ("Compare MUVERA and
    NV-Embed", not "Does Stable-SPAM beat Adam?" where the Stable-SPAM paper mentions Adam too)."""
    found = [set(sources) for sources in held.values() if sources]
    return len(found) >= 2 and not set.intersection(*found)
