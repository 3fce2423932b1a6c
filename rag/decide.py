"""When to answer, quote, or abstain: decided by the pipeline from signals it can calibrate, not by the LLM alone.

Before the LLM: abstain when retrieval found nothing about the question (neither the dense floor nor a clear
BM25 leader), when the question names something (an acronym, a model, a place) that no retrieved abstract
mentions, when it asks for a paper by name ("the original ResNet paper") and no retrieved paper is that paper
(its title or its own "we propose X" sentence), when no sentence of the retrieved abstracts matches the
question (a question that shares words with the corpus but not its topic, such as error-correcting "codes" in
quantum computing against learned codes), or when it asks who wrote a paper and no retrieved record lists authors
(the seed listings have none; "Who wrote the MUVERA paper?" was answered "Neur embedding models [1]").
After the LLM: keep its answer when at least one sentence survives the citation and fact checks and the answer is
about the question: similar to it (cosine), adding something it did not already say (new content words), and stating
a number when it asks "how much/many" and an abstract it cites states any. Otherwise quote the evidence sentences
that best match the question when they match well enough (the quote floor; mode 'extractive'); otherwise abstain.
The model's own refusal is one input: it triggers the quote path, never an abstention by itself when the evidence is
good. An answer to "which method..." or "is there a model that..." that names nothing the question did not say gives
way to the quote when the quote is good and names something, and is kept otherwise (a name can be lower-case,
"weight decay", which the name test cannot see, so it never causes an abstention alone).
Two failures come with evidence of their own, so their quote needs only to be on the topic (the topic floor,
checked before the LLM), not the quote floor, which was set on machine-learning abstracts whose sentences score
higher than those of other fields: an answer that only restates the question, as small models answer "is it true
that..." ("Yes, X [1]"; the citation check found a source sentence close to the question itself), and an answer
that rests only on other papers when one paper clearly leads retrieval and holds the best-matching sentence (a
small model sometimes answers from a distractor's one sentence; never an abstention on its own).
An answer to "which paper/method ..." that names one the question did not is no restatement, however short.
A quote about a model the question names comes from that model's own paper when one is among the sources and the
quoted paper never mentions it (`rag.quotes.from_subject`; a restatement is quoted from the papers it cited or that
support it best): "What accuracy does SimQ-NAS reach?" is not answered with NASNet's accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.results import Signals

GENERATED, EXTRACTIVE, ABSTAINED = "generated", "extractive", "abstained"
QUOTING = "quoting the best-matching evidence instead"
RESTATES = "the generated answer only restates the question"


@dataclass(frozen=True)
class Rules:
    """The thresholds and switches of the decision (from `AnswerSettings`)."""

    relevance_floor: float = 0.2
    quote_floor: float = 0.70
    topic_floor: float = 0.45
    min_novel: int = 2
    extractive: bool = True  # quote evidence when generation fails (off: abstain instead)
    pipeline_decides: bool = True  # off: the model's refusal is final, as before


def before_llm(signals: Signals, rules: Rules) -> str | None:
    """The reason to abstain without calling the LLM, or None to go on."""
    if not signals.retrieved:
        return "no indexed abstract is relevant enough"
    if rules.pipeline_decides and signals.missing_names:
        return f"no retrieved abstract mentions {', '.join(signals.missing_names)}"
    if rules.pipeline_decides and signals.missing_papers:
        papers = " and ".join(signals.missing_papers)
        return f"the {papers} paper is not indexed (the retrieved abstracts only mention it)"
    if rules.pipeline_decides and signals.quote < rules.topic_floor and not signals.named:
        # (a paper the question names, "HoME", is its topic, however little the embedding model makes of the name)
        return "no sentence of the retrieved abstracts is about the question"
    if rules.pipeline_decides and signals.no_authors:  # the model would make names up from the abstract's words
        return "the retrieved papers' records list no authors"
    return None


def after_llm(signals: Signals, rules: Rules) -> tuple[str, str]:
    """(mode, reason): generated, extractive or abstained, with the reason for anything but generated."""
    if not rules.pipeline_decides:
        if signals.refused:
            return ABSTAINED, "the model found no answer in the sources"
        if not signals.supported:
            return ABSTAINED, "no sentence of the generated answer is supported by the sources"
        return GENERATED, ""
    quotable = rules.extractive and signals.quote >= rules.quote_floor  # good evidence to quote instead
    on_topic = rules.extractive and signals.quote >= rules.topic_floor  # evidence about the question at all
    if signals.refused:
        why = "the model found no answer in the sources"
    elif not signals.supported:
        why = "no sentence of the generated answer is supported by the sources"
    elif signals.relevance < rules.relevance_floor and not (signals.named and signals.cites_leader):
        # (an answer from the paper the question names is about it, however little the embedding makes of "HoME")
        why = "the generated answer is not about the question"
    elif signals.novel < rules.min_novel and not (signals.wants_name and signals.has_name):
        # (a name answering "which paper ..." is the answer however few new words come with it: "... is RCMHA [1]")
        why = RESTATES
        # a supported restatement ("Yes, statins cut hip fractures [1]") means a source sentence says what the
        # question asks about: its evidence is quoted whenever it is on topic, the floor checked before the LLM
        quotable = on_topic
    elif signals.wants_number and not signals.has_number and signals.cited_number:
        # (an abstract stating no quantity at all, "only a few coefficients are learned", cannot give one)
        why = "the question asks for a number and the verified answer gives none"
    elif signals.wants_name and not signals.has_name and quotable and signals.quote_names:
        # (never an abstention on its own, nor a quote that names nothing either: the block of "is there an
        # attention block cheap enough for mobile robots?" has no name, and the best sentence was background)
        why = "the question asks which one and the verified answer names none"
    elif signals.leader and not signals.cites_leader and signals.quote_from == signals.leader and on_topic:
        # the best-matching sentence is the leader's: on topic is enough, as for a restatement
        why = f"the verified answer cites none of the clearly leading paper [{signals.leader}]"
        quotable = on_topic
    else:
        return GENERATED, ""
    if quotable:
        return EXTRACTIVE, f"{why}; {QUOTING}"
    return ABSTAINED, why


def set_aside(reason: str) -> str:
    """Why the model's answer gave way to a quote, from an extractive answer's reason (for the quote's label).

    >>> set_aside("the generated answer only restates the question; quoting the best-matching evidence instead")
    'the generated answer only restates the question'
    """
    return reason.removesuffix(f"; {QUOTING}")
