"""The one answering path used by the CLI, the UI and the evaluation: `Pipeline.stream()` and `Pipeline.ask()`.

question -> validate -> resolve follow-ups -> hybrid retrieval -> abstain if nothing is relevant enough or the
question names what no source mentions -> prompt (fixed prefix, then numbered sources within an adaptive evidence
budget) -> stream the LLM's answer -> check every sentence's citations and facts and decide (`rag.verify`,
`rag.decide`): generated, extractive (quoted evidence) or abstained -> `Answer`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

from rag import decide, evidence, facts, prompts, quotes, verify
from rag.citations import content_words
from rag.config import Settings
from rag.embed import Embedder, load_embedder
from rag.errors import InputError
from rag.llm import LLM, load_llm
from rag.results import Answer, Event, Source, Turn, Usage
from rag.retrieve import Retriever

FOLLOW_UP = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her|the (paper|method|model|approach|authors?|"
    r"dataset|study|work|technique|system|framework|benchmark))\b"
    r"|^\W*(and|also|but|or|so)\b|\b(what|how) about\b|\bwhat else\b",  # "And what about anomaly detection?"
    re.IGNORECASE,
)


def validate_question(question: str, max_chars: int) -> str:
    """The question stripped, or an InputError that says what is wrong."""
    if question is None or not str(question).strip():
        raise InputError("the question is empty: please type a question")
    question = " ".join(str(question).split())
    if len(question) > max_chars:
        raise InputError(f"the question is {len(question):,} characters long; the limit is {max_chars:,}")
    return question


def looks_like_follow_up(question: str) -> bool:
    """A question that refers back ('what dataset did it use?'), goes on from the last one ('and what about
    anomaly detection?') or is too short to stand alone.

    >>> looks_like_follow_up("And what about anomaly detection?"), looks_like_follow_up("How about on ImageNet?")
    (True, True)
    >>> looks_like_follow_up("What does TimesNet do for anomaly detection?")
    False
    """
    return bool(FOLLOW_UP.search(question)) or len(content_words(question)) < 3


def thread(history: list[Turn], most: int = 3) -> list[str]:
    """The earlier questions a follow-up may refer to: back to the latest that stands alone, at most `most`.

    >>> thread([("What is NV-Embed?", "..."), ("What pooling does it use?", "...")])
    ['What is NV-Embed?', 'What pooling does it use?']
    >>> thread([("What is NV-Embed?", "..."), ("What is MUVERA for multi-vector retrieval?", "...")])
    ['What is MUVERA for multi-vector retrieval?']
    """
    questions: list[str] = []
    for asked, _ in reversed(history):
        questions.insert(0, asked)
        if len(questions) == most or not looks_like_follow_up(asked):
            break
    return questions


def words(text: str) -> set[str]:
    """The content words of `text`, hyphenated ones also as their parts ("DeltaNet-style" holds "DeltaNet")."""
    return content_words(text) | content_words(text.replace("-", " "))


class Pipeline:
    """Loads the embedder, retriever and LLM once; answers many questions."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        llm: LLM | None = None,
        retriever: Retriever | None = None,
    ):
        self.settings = settings
        self.embedder = embedder or (retriever.embedder if retriever else load_embedder(settings))
        self.retriever = retriever or Retriever(settings, self.embedder)
        self._llm = llm

    @property
    def llm(self) -> LLM:
        if self._llm is None:
            self._llm = load_llm(self.settings.llm)
        return self._llm

    def ask(self, question: str, history: list[Turn] | None = None, **kwargs: Any) -> Answer:
        """Answer and return the checked Answer (the non-streaming form of `stream`)."""
        for event in self.stream(question, history, **kwargs):
            if event.kind == "answer" and event.answer is not None:
                return event.answer
        raise RuntimeError("the pipeline ended without an answer")  # pragma: no cover - stream always answers

    def stream(
        self,
        question: str,
        history: list[Turn] | None = None,
        k: int | None = None,
        where: dict | None = None,
        context: str = "evidence",
    ) -> Iterator[Event]:
        """Yield status and token events, then one `answer` event. `context='abstracts'` gives whole abstracts."""
        started = time.perf_counter()
        question = validate_question(question, self.settings.answer.max_question_chars)
        history = list(history or [])[-self.settings.answer.history_turns :]
        usage = Usage()
        query = self.resolve(question, history, usage)
        searched = evidence.topic(query)  # what the sources must be about: not "summarize ... in two sentences"
        yield Event("status", "searching the abstracts")
        hits, vectors = self.retriever.search_with_vectors(searched, k or self.settings.retrieval.k, where=where)
        sources = hits
        answer = Answer(
            question=question, answer="", abstained=True, reason="", sources=sources, query=searched, usage=usage
        )
        answer.timings["retrieval_s"] = round(time.perf_counter() - started, 3)
        signals = answer.signals
        signals.dense = round(self.retriever.top_similarity(hits), 4)
        signals.retrieved = bool(hits) and self.retriever.relevant(hits, searched)
        signals.named = self.retriever.named(searched, hits)
        known = " ".join(f"{s.title} {verify.shown_abstract(query, s)}" for s in sources)
        signals.missing_names = facts.unknown_names(searched, known)
        signals.missing_papers = [
            name
            for name in facts.asked_papers(query)
            if not any(facts.own_paper(name, s.title, [e.text for e in s.evidence]) for s in sources)
        ]
        only_authors = evidence.asks_authors(query) and not evidence.beside_authors(query)
        signals.no_authors = only_authors and not any(s.authors for s in sources)
        best = quotes.best_sentences(searched, sources)  # over every sentence of the retrieved abstracts
        signals.quote, signals.quote_from = (round(best[0][2], 4), best[0][0]) if best else (0.0, 0)
        leads = hits and evidence.clear_leader(hits, self.budget().lead_margin, searched)
        signals.leader = hits[0].n if leads else 0
        rules = self.rules()
        reason = decide.before_llm(signals, rules)
        if reason:
            answer.answer, answer.reason = prompts.NO_ANSWER, reason
            answer.sources = []  # nothing retrieved is evidence worth showing
            answer.timings["total_s"] = round(time.perf_counter() - started, 3)
            yield Event("answer", answer=answer)
            return
        messages = self.messages(query, searched, sources, context)
        answer.model = self.llm.name
        pieces: list[str] = []
        yield Event("status", "writing the answer")
        if self.settings.answer.prompt == "prefix":
            self.llm.keep_prefix(prompts.ANSWER_PREFIX)
        llm = self.settings.llm
        for piece in self.llm.stream(messages, llm.max_tokens, llm.temperature, usage=usage):
            if not pieces:
                answer.timings["first_token_s"] = round(time.perf_counter() - started, 3)
            pieces.append(piece)
            yield Event("token", piece)
        answer.raw_answer = "".join(pieces).strip()
        verify.settle(answer, self.embedder, self.settings.answer, rules, vectors, best)
        answer.timings["total_s"] = round(time.perf_counter() - started, 3)
        yield Event("answer", answer=answer)

    def rules(self) -> decide.Rules:
        """The decision's thresholds and switches, from the settings."""
        a = self.settings.answer
        return decide.Rules(
            a.relevance_floor, a.quote_floor, a.topic_floor, a.min_novel, a.extractive, a.pipeline_decides
        )

    def resolve(self, question: str, history: list[Turn], usage: Usage | None = None) -> str:
        """The question to search for: follow-ups are rewritten with the conversation.

        A capable LLM rewrites the question (in its own llama.cpp context, so the answer prompt's cached prefix
        survives); the tiny model cannot, and a rewrite that brings in nothing is discarded, so the earlier
        questions are prepended instead, back to the latest that stands alone (they name what 'it' refers to, which
        is what retrieval needs; the previous question alone is itself a follow-up in a longer chat).
        """
        if not history or not looks_like_follow_up(question):
            return question
        previous = " ".join(thread(history))
        if not self.llm.capable:
            return f"{previous} {question}"
        convo = "\n".join(f"User: {q}\nAssistant: {a[:300]}" for q, a in history)
        messages = [
            {"role": "system", "content": prompts.CONDENSE_SYSTEM},
            {"role": "user", "content": prompts.CONDENSE_USER.format(history=convo, question=question)},
        ]
        reply = "".join(self.llm.stream(messages, 60, 0.0, purpose="rewrite", usage=usage))
        rewritten = reply.strip().strip('"').splitlines()
        text = rewritten[0].strip() if rewritten else ""
        # a rewrite must bring in what 'it' refers to from the chat ("How large was the model they trained?" brings
        # in nothing), not the words of a declined turn ("the indexed abstracts"), and a question must stay a
        # question: "They propose a framework to ..." answers it from the chat instead
        added = (words(text) - words(question) - words(prompts.NO_ANSWER)) & words(convo)
        still_asks = text.endswith("?") or not question.rstrip().endswith("?")
        return text if 3 <= len(text) <= 400 and added and still_asks else f"{previous} {question}"

    def budget(self) -> evidence.Budget:
        """The evidence budget, from the settings (without the adaptive budget no paper leads by its dense score)."""
        r = self.settings.retrieval
        lead = r.lead_words if r.adaptive_budget else r.prompt_words
        margin = r.lead_margin if r.adaptive_budget else float("inf")
        others = not r.shows_leader_only(self.settings.llm.backend)
        compare = (r.compare_words, r.compare_total) if r.adaptive_budget else (0, 0)
        return evidence.Budget(r.prompt_words, lead, margin, others, *compare)

    def messages(self, question: str, searched: str, sources: list[Source], context: str = "evidence") -> list[dict]:
        """The chat messages: the fixed prefix (rules and a worked example), then the numbered sources (evidence
        within the adaptive budget, chosen for `searched`, the question's topic, or whole abstracts) and the
        stand-alone question. Each source's `evidence` becomes what the LLM was shown."""
        plain = self.settings.answer.prompt == "plain"
        chosen = evidence.choose(searched, sources, self.budget())
        blocks = []
        for source in sources:
            source.evidence = [] if context == "abstracts" else chosen[source.n]
            text = source.abstract if context == "abstracts" else " ".join(e.text for e in source.evidence)
            if not text:  # left out beside a clear leader (or nothing to show): not in the prompt
                continue
            if record := verify.record(question, source):
                text = f"{record}\n{text}"
            blocks.append(prompts.SOURCE_BLOCK.format(n=source.n, title=source.title or source.paper_id, text=text))
        if plain:
            user = prompts.PLAIN_USER.format(sources="\n\n".join(blocks), question=question)
            return [{"role": "system", "content": prompts.PLAIN_SYSTEM}, {"role": "user", "content": user}]
        user = prompts.ANSWER_USER.format(sources="\n\n".join(blocks), question=question)
        return [*prompts.ANSWER_PREFIX, {"role": "user", "content": user}]
