"""The one answering path used by the CLI, the UI and the evaluation: `Pipeline.stream()` and `Pipeline.ask()`.

question -> validate -> resolve follow-ups -> hybrid retrieval -> abstain if nothing is relevant enough ->
prompt with numbered sources -> stream the LLM's answer -> check every sentence's citations -> `Answer`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from rag import prompts
from rag.citations import CheckedSentence, SupportScorer, check_answer, content_words
from rag.config import Settings
from rag.embed import Embedder, load_embedder
from rag.errors import InputError
from rag.llm import LLM, load_llm
from rag.retrieve import Evidence, Hit, Retriever

Turn = tuple[str, str]  # (user question, assistant answer)
FOLLOW_UP = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her|the (paper|method|model|approach|authors?|"
    r"dataset|study|work|technique|system|framework|benchmark))\b",
    re.IGNORECASE,
)


@dataclass
class Source:
    """A numbered source as shown to the LLM and to the reader."""

    n: int
    paper_id: str
    title: str
    dates: list[str]
    url: str
    authors: str
    abstract: str
    evidence: list[Evidence]  # the sentences given to the LLM
    score: float
    cited: bool = False


@dataclass
class Answer:
    """A checked answer: text, sentences with citations and support, and the numbered sources."""

    question: str
    answer: str
    abstained: bool
    reason: str
    sentences: list[CheckedSentence] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    query: str = ""  # what was searched (differs from the question for follow-ups)
    raw_answer: str = ""
    model: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (citation keys become strings, as JSON requires)."""
        return json.loads(json.dumps(asdict(self)))


@dataclass
class Event:
    """A streaming event: a piece of generated text, a status line, or the final answer."""

    kind: str  # "status" | "token" | "answer"
    text: str = ""
    answer: Answer | None = None


def validate_question(question: str, max_chars: int) -> str:
    """The question stripped, or an InputError that says what is wrong."""
    if question is None or not str(question).strip():
        raise InputError("the question is empty: please type a question")
    question = " ".join(str(question).split())
    if len(question) > max_chars:
        raise InputError(f"the question is {len(question):,} characters long; the limit is {max_chars:,}")
    return question


def looks_like_follow_up(question: str) -> bool:
    """A question that refers back ('what dataset did it use?') or is too short to stand alone."""
    return bool(FOLLOW_UP.search(question)) or len(content_words(question)) < 3


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
        query = self.resolve(question, history)
        yield Event("status", "searching the abstracts")
        hits = self.retriever.search(query, k or self.settings.retrieval.k, where=where)
        retrieval_s = time.perf_counter() - started
        sources = [self._source(n, hit) for n, hit in enumerate(hits, start=1)]
        answer = Answer(question=question, answer="", abstained=True, reason="", sources=sources, query=query)
        answer.timings["retrieval_s"] = round(retrieval_s, 3)
        if not hits or self.retriever.top_similarity(hits) < self.settings.retrieval.floor:
            answer.answer, answer.reason = prompts.NO_ANSWER, "no indexed abstract is relevant enough"
            answer.sources = []  # below the floor nothing is evidence worth showing
            answer.timings["total_s"] = round(time.perf_counter() - started, 3)
            yield Event("answer", answer=answer)
            return
        messages = self.messages(question, sources, history, context)
        answer.model = self.llm.name
        pieces: list[str] = []
        yield Event("status", "writing the answer")
        for piece in self.llm.stream(messages, self.settings.llm.max_tokens, self.settings.llm.temperature):
            if not pieces:
                answer.timings["first_token_s"] = round(time.perf_counter() - started, 3)
            pieces.append(piece)
            yield Event("token", piece)
        answer.raw_answer = "".join(pieces).strip()
        self._check(answer)
        answer.timings["total_s"] = round(time.perf_counter() - started, 3)
        yield Event("answer", answer=answer)

    def resolve(self, question: str, history: list[Turn]) -> str:
        """The question to search for: follow-ups are rewritten with the conversation.

        A capable LLM rewrites the question; the tiny model cannot, so the previous question is prepended
        instead (it names what 'it' refers to, which is what retrieval needs).
        """
        if not history or not looks_like_follow_up(question):
            return question
        previous = history[-1][0]
        if not self.llm.capable:
            return f"{previous} {question}"
        convo = "\n".join(f"User: {q}\nAssistant: {a[:300]}" for q, a in history)
        messages = [
            {"role": "system", "content": prompts.CONDENSE_SYSTEM},
            {"role": "user", "content": prompts.CONDENSE_USER.format(history=convo, question=question)},
        ]
        rewritten = "".join(self.llm.stream(messages, 60, 0.0)).strip().strip('"').splitlines()
        text = rewritten[0].strip() if rewritten else ""
        return text if 3 <= len(text) <= 400 else f"{previous} {question}"

    def messages(self, question: str, sources: list[Source], history: list[Turn], context: str) -> list[dict]:
        """The chat messages: system rules, numbered sources (evidence sentences or whole abstracts), question."""
        chosen = budget_evidence(sources, self.settings.retrieval.prompt_words)
        blocks = []
        for source in sources:
            if context == "abstracts":
                text = source.abstract
            else:
                text = " ".join(e.text for e in sorted(chosen[source.n], key=lambda e: e.start))
            blocks.append(prompts.SOURCE_BLOCK.format(n=source.n, title=source.title or source.paper_id, text=text))
        user = prompts.ANSWER_USER.format(sources="\n\n".join(blocks), question=question)
        messages = [{"role": "system", "content": prompts.ANSWER_SYSTEM}]
        for q, a in history[-1:]:  # one earlier turn keeps the prompt short
            messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        return [*messages, {"role": "user", "content": user}]

    def _source(self, n: int, hit: Hit) -> Source:
        return Source(
            n=n,
            paper_id=hit.paper_id,
            title=hit.title,
            dates=hit.dates,
            url=hit.url,
            authors=hit.authors,
            abstract=hit.abstract,
            evidence=hit.evidence,
            score=round(hit.score, 5),
        )

    def _check(self, answer: Answer) -> None:
        """Verify citations; decide whether the result is an answer or an abstention."""
        raw = answer.raw_answer
        if not raw or prompts.NO_ANSWER.lower().rstrip(".") in raw.lower():
            answer.answer, answer.reason = prompts.NO_ANSWER, "the model found no answer in the sources"
            return
        scorer = SupportScorer(self.embedder, [(s.title, s.abstract) for s in answer.sources])
        answer.sentences = check_answer(raw, scorer, self.settings.answer.support_threshold)
        cited = {n for s in answer.sentences for n in s.citations}
        for source in answer.sources:
            source.cited = source.n in cited
        if not any(s.supported for s in answer.sentences):
            answer.answer = prompts.NO_ANSWER
            answer.reason = "no sentence of the generated answer is supported by the sources"
            return
        answer.abstained, answer.reason = False, ""
        answer.answer = " ".join(render_sentence(s) for s in answer.sentences)


def budget_evidence(sources: list[Source], words: int) -> dict[int, list[Evidence]]:
    """Evidence sentences per source within a word budget: every source's best sentence first, then the
    next-best sentences of the higher-ranked sources while the budget lasts."""
    chosen: dict[int, list[Evidence]] = {s.n: [] for s in sources}
    ranked = {s.n: sorted(s.evidence, key=lambda e: -e.score) for s in sources}
    used = 0
    for depth in range(max((len(r) for r in ranked.values()), default=0)):
        for source in sources:
            if depth < len(ranked[source.n]):
                evidence = ranked[source.n][depth]
                size = len(evidence.text.split())
                if depth == 0 or used + size <= words:
                    chosen[source.n].append(evidence)
                    used += size
    return chosen


def render_sentence(sentence: CheckedSentence) -> str:
    """A sentence with its verified markers, or flagged as unverified."""
    marks = "".join(f"[{n}]" for n in sentence.citations) if sentence.supported else "[unverified]"
    text = sentence.text
    if text and text[-1] in ".!?":
        return f"{text[:-1]} {marks}{text[-1]}"
    return f"{text} {marks}"
