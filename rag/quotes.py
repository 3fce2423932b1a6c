"""Which sentences of the retrieved abstracts are quoted when generation fails, and what an answer must hold.

A quote is the one or two sentences that best match the question (`rag.evidence.relevance`); when the question
asks for a number or a name and neither gives one, the second place goes to a sentence of the same abstract that
does (for "how" questions, one saying what the paper proposes; for yes/no questions, one reporting a finding).
A restatement's quote comes from the papers it cited (`from_cited`), and a quote about a named model from that
model's own paper rather than a rival's that never mentions it (`from_subject`).
The same tests tell the decision (`rag.decide`) whether a generated answer states what was asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rag.citations import content_words
from rag.evidence import Ranked, Scored, asks_quantity, key_terms, relevance
from rag.facts import PROPOSAL, mentions, names, numbers, own_paper, says_title

Quote = list[tuple[int, Scored, float]]  # (source number, sentence, relevance), best first: `best_sentences`
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
ASKS_HOW = re.compile(r"\s*how\s+(?:do|does|did|can|could|would|should|might|is|are|to)\b", re.IGNORECASE)
ASKS_YES_NO = re.compile(r"\s*(?:is|are|was|were|does|do|did|has|have|had|will|would|should)\b", re.IGNORECASE)
POINTS_TO_CODE = re.compile(  # "Code is available at https://...": it answers no question but "where is the code?"
    r"github\.com|\b(?:code|implementation)\b[^.]{0,40}?\b(?:available|released|accessible|at)\b",
    re.IGNORECASE,
)
ASKS_CODE = re.compile(r"\b(?:code|github|repository|repo|link|url|implementation|open[- ]source|released?)\b", re.I)
ASKS_ITSELF = re.compile(  # an aim or background sentence: it asks what a finding would answer
    r"^\s*(?:objectives?|aims?|purpose|background|context|introduction|methods?|design)\b|\bwhether\b", re.IGNORECASE
)
CONCLUDES = re.compile(r"\s*(?:conclusions?|interpretation)\b", re.IGNORECASE)
FINDING = re.compile(  # a sentence reporting what a study found, as abstracts commonly say it
    r"^\s*(?:results?|conclusions?|findings|interpretation)\b|"
    r"\b(?:we|our (?:results|findings|data|study|analysis))\b[^.;]{0,60}?\b(?:find|found|show|showed|shown|"
    r"demonstrate|demonstrated|observe|observed|reveal|revealed|suggest|suggested|indicate|indicated|confirm|"
    r"confirmed|prove|proved|establish|established)\b|"
    r"\b(?:results|findings|data|analyses|analysis|study)\s+(?:show|showed|suggest|suggested|indicate|indicated|"
    r"demonstrate|demonstrated|reveal|revealed|support|supported|confirm|confirmed)\b|"
    r"\b(?:was|were|is|are|be)\s+(?:\w+ly\s+)?(?:associated|correlated|linked)\b|\bsignificant(?:ly)?\b",
    re.IGNORECASE,
)
ENUMERATION = re.compile(r"\(\s*(?:\d{1,2}|[ivx]{1,4}|[a-h])\s*\)|(?<![\w.])\d\)", re.IGNORECASE)  # "(1)", "(ii)", "2)"
NUMBER_WORDS = re.compile(
    r"\b(half|twice|double|triple|one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|"
    r"billion|orders? of magnitude)\b",
    re.IGNORECASE,
)


def asks(sentence: str) -> bool:
    """Whether an abstract's sentence is a question (it ends with a question mark, before any closing quote).

    >>> asks("In this paper we ask: how to robustify a CNN-based MoE model?"), asks("We robustify it.")
    (True, False)
    """
    return sentence.rstrip().rstrip("\"')\u201d").endswith("?")


def points_to_code(sentence: str, question: str) -> bool:
    """Whether an abstract's sentence only says where its code is, for a question that does not ask for it.

    >>> points_to_code("Our code is accessible at: https://github.com/HazyResearch/zoology.", "What did Zoology find?")
    True
    >>> points_to_code("Code is available at github.com/x/y.", "Is the code released?")
    False
    >>> points_to_code("Our NV-Embed model, using only publicly available data, ranks first.", "What is NV-Embed?")
    False
    >>> points_to_code("We measure melt with drones. See ![x](http://example.org/a.png).", "How is melt measured?")
    False
    """
    return bool(POINTS_TO_CODE.search(sentence)) and not ASKS_CODE.search(question)


def states_number(text: str) -> bool:
    """Whether the text states a quantity, in digits or words.

    >>> states_number("about half the steps"), states_number("it is stable")
    (True, False)
    """
    return bool(numbers(text) or NUMBER_WORDS.search(text))


def states_quantity(abstract: str) -> bool:
    """Whether an abstract states a quantity anywhere, list numbers ("(1) ...", "(ii) ...") aside.

    >>> states_quantity("We ask (1) whether blocks help and (2) how."), states_quantity("It is 2x faster.")
    (False, True)
    """
    return states_number(ENUMERATION.sub(" ", abstract))


def best_sentences(question: str, sources: Sequence[Ranked], most: int = 2) -> Quote:
    """The sentences that best match the question, as (source number, sentence, relevance), best first.

    A second sentence is kept only when it scores close to the first (within 0.05). When the question asks for a
    number, or for a name ("which method...", "is there a model that..."), and neither sentence gives one, the
    second place goes to the best sentence of the first one's abstract that does: the quote should hold the kind
    of thing asked for, not only the words of the question. When it asks how something is done and the one
    sentence kept proposes nothing (background: "deep networks often fail on medical scans"), the best sentence
    of that abstract saying what the paper proposes comes second, one that names the method first. When it asks
    yes or no ("Is it true that statins prevent hip fractures?", "Does X improve Y?") and neither sentence reports
    a finding (an objective or background sentence restates the question best), the best sentence of that abstract
    that does ("CONCLUSIONS ...", "we found ...", "... was associated with ...") comes second, a conclusion first.
    A sentence that is itself a question ("... in this paper we ask: how to robustify a MoE model?") answers
    nothing and is never quoted, nor is one saying where the code is, unless the question asks for it.
    """
    terms = key_terms(question)
    answers = [  # neither "... we ask: how to ...?" nor "Code is at https://..." answers anything
        (s.n, e) for s in sources for e in s.evidence if not asks(e.text) and not points_to_code(e.text, question)
    ]
    scored = sorted(((n, e, relevance(question, e, terms)) for n, e in answers), key=lambda t: -t[2])
    if not scored:
        return []
    top = scored[0][2]
    picked = [item for item in scored[:most] if item[2] >= top - 0.05]
    gives = answer_kind(question)
    if most > 1 and gives is not None and not any(gives(e.text) for _, e, _ in picked):
        kind = asked_type(question)  # of those, the ones that also say the asked kind ("framework") come first
        picked = picked[:1] + next_from_same(scored, gives, lambda text: bool(kind & content_words(text)))
    elif most > 1 and len(picked) == 1 and asks_how(question) and not PROPOSAL.search(picked[0][1].text):
        proposes, names_method = lambda text: bool(PROPOSAL.search(text)), lambda text: names_new(question, text)
        picked += next_from_same(scored, proposes, names_method)  # one naming its method first
    elif most > 1 and asks_yes_no(question) and not any(reports_finding(e.text) for _, e, _ in picked):
        concludes = CONCLUDES.match  # a stated conclusion first; with no finding at all the quote stays as it is
        if found := next_from_same(scored, reports_finding, lambda text: bool(concludes(text))):
            picked = picked[:1] + found
    return picked


def from_cited(question: str, sources: Sequence[Ranked], cited: set[int], best: Quote, floor: float) -> Quote:
    """The quote for a verified restatement: the best sentences of the papers it cited, when they are on topic.

    A restatement ("Yes, CD28 initiates tonic signaling [1]") that passed the citation check says that the cited
    abstract holds what the question asks about; another paper's sentence that only shares more of the question's
    words is not the better quote. `best` (over every source) stays when the cited papers have nothing on topic.
    The pipeline counts as cited the paper that supports the restatement best, too: "The NTK remains constant
    during training [2]" passed on [2], a paper about the NTK's limits, while [1] says "it stays constant".
    """
    if not cited or {n for n, _, _ in best} <= cited:
        return best
    own = best_sentences(question, [s for s in sources if s.n in cited])
    return own if own and own[0][2] >= floor else best


def from_subject(question: str, sources: Sequence[Ranked], best: Quote, floor: float) -> Quote:
    """The quote from the own papers of what the question names, when the best sentences come from a paper that
    does not even mention it.

    "What accuracy does SimQ-NAS reach on ImageNet?": NASNet's abstract reports an ImageNet accuracy and matches
    the question best, but quoting it answers for the wrong model. When a source is the own paper of a model-like
    name in the question (two capitals or a digit, `facts.names(capitalised=False)`; `facts.own_paper`: its title
    names it, or it presents it) and a quoted paper is neither such a paper nor mentions that name, the best
    sentences of the own papers are quoted instead, when they are on topic; otherwise `best` stays. A quoted paper
    that mentions the name ("CD28 costimulation augments ...") stays, and so does one beside a paper that only has
    a plain word of the question in its title ("Erythromycin resistance ..." is no model's own paper).
    """
    asked = names(question, capitalised=False)
    own, owned = [], []
    for source in sources:
        held = [name for name in asked if own_paper(name, source.title, [e.text for e in source.evidence])]
        if held:
            own.append(source)
            owned += held
    by_n = {s.n: s for s in sources}
    strays = {n for n, _, _ in best} - {s.n for s in own}
    if not strays or all(mentions(by_n[n].text, name) for n in strays for name in owned):
        return best
    theirs = best_sentences(question, own)
    return theirs if theirs and theirs[0][2] >= floor else best


def next_from_same(
    scored: list[tuple[int, Scored, float]], gives: Callable[[str], bool], preferred: Callable[[str], bool]
) -> list[tuple[int, Scored, float]]:
    """The best sentence after the first of `scored` (best first) from the same abstract that `gives` what was
    asked, one that is also `preferred` ahead of the others; empty when there is none."""
    same = [item for item in scored[1:] if item[0] == scored[0][0] and gives(item[1].text)]
    same.sort(key=lambda item: not preferred(item[1].text))  # stable: best first within each group
    return same[:1]


def asks_how(question: str) -> bool:
    """Whether the question asks how something is done ("How can models stay reliable...?"), not how much.

    >>> asks_how("How can medical image models stay reliable?"), asks_how("How much faster is it?")
    (True, False)
    """
    return bool(ASKS_HOW.match(question)) and not asks_quantity(question)


def reports_finding(text: str) -> bool:
    """Whether an abstract sentence reports what the study found, not what it set out to find.

    >>> reports_finding("CONCLUSIONS Statin use was associated with fewer fractures.")
    True
    >>> reports_finding("OBJECTIVE To determine whether statin use is associated with fewer fractures.")
    False
    >>> reports_finding("Theoretically, we prove that sigmoid attention is a universal approximator.")
    True
    """
    return bool(FINDING.search(text)) and not ASKS_ITSELF.search(text)


def asks_yes_no(question: str) -> bool:
    """Whether the question asks yes or no ("Is it true that...?", "Does X cut Y?"), not which one or how much.

    >>> asks_yes_no("Is it true that statins reduce hip fractures?"), asks_yes_no("Does the adapter cut errors?")
    (True, True)
    >>> asks_yes_no("Is there a linear-time transformer?"), asks_yes_no("What does NV-Embed use?")
    (False, False)
    """
    return bool(ASKS_YES_NO.match(question)) and not asks_name(question) and not asks_quantity(question)


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


def names_paper(question: str, text: str, titles: Sequence[str]) -> bool:
    """Whether the text names a paper by its title (`facts.says_title`) where the question does not: "Generative
    kernel continual learning ..." answers "which method avoids storing past samples?" with a name, lower case
    or not.

    >>> names_paper("Which method avoids memory?", "Generative kernel continual learning does.",
    ...     ["Generative Kernel Continual learning"])
    True
    """
    return any(says_title(text, title) and not says_title(question, title) for title in titles)


def names_new(question: str, text: str) -> bool:
    """Whether the text names something (an acronym, a model, a capitalised term) the question does not say.

    >>> q = "Which framework describes continual learning in binary networks?"
    >>> names_new(q, "We cast it as a Franz-Parisi potential."), names_new(q, "Binary networks learn continually.")
    (True, False)
    """
    return any(not mentions(question, name) for name in names(text))
