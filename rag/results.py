"""What retrieval and answering return: plain dataclasses shared by the library and its front ends.

The CLI, the chat page, the API and the evaluation read these without importing the pipeline.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

Turn = tuple[str, str]  # (user question, assistant answer)


@dataclass(frozen=True)
class Evidence:
    """One sentence of an abstract, with its offsets and its similarity to the question."""

    text: str
    start: int
    end: int
    score: float


@dataclass
class Source:
    """One retrieved paper; numbered (`n`) as the LLM and the reader see it."""

    n: int
    paper_id: str
    title: str
    dates: list[str]
    url: str
    authors: str
    abstract: str
    evidence: list[Evidence]  # after retrieval every sentence of the abstract, scored; after the prompt, those shown
    score: float  # fused retrieval score
    cited: bool = False
    dense: float | None = None  # best chunk cosine similarity, if the dense side found it
    bm25: float | None = None  # best BM25 score of its chunks (or abstract), if the BM25 side found it
    chunk_ids: list[str] = field(default_factory=list)
    year: int | None = None
    venue: str = ""
    doi: str = ""
    key: str = ""  # citation key from the user's own BibTeX or RIS, if it came from one
    content_hash: str = ""  # the version of the paper that was retrieved

    @property
    def text(self) -> str:
        """Title and abstract as one text: where a name the question asks about is looked for."""
        return f"{self.title} {self.abstract}"


@dataclass
class CheckedSentence:
    """One answer sentence after checking: its citations (source numbers), support, and what was changed."""

    text: str
    citations: list[int] = field(default_factory=list)
    supported: bool = False
    support: float = 0.0
    notes: list[str] = field(default_factory=list)  # e.g. "dropped [7]: no such source"
    evidence: dict[int, str] = field(default_factory=dict)  # citation -> the source sentence it rests on
    cited: list[int] = field(default_factory=list)  # the markers the model wrote, before checking
    scores: list[float] = field(default_factory=list)  # support of the sentence by each source 1..k

    @property
    def best_source(self) -> int:
        """The number of the source that supports the sentence best (the one cited only had to pass); 0: none."""
        return max(range(len(self.scores)), key=self.scores.__getitem__) + 1 if self.scores else 0


@dataclass
class Signals:
    """What the decision looks at; kept on the answer so evaluation can sweep the thresholds offline."""

    dense: float = 0.0  # best dense cosine of the retrieved papers
    retrieved: bool = False  # retrieval found something (dense floor or clear BM25 leader)
    missing_names: list[str] = field(default_factory=list)  # names in the question no retrieved abstract has
    missing_papers: list[str] = field(default_factory=list)  # papers asked for by name that no retrieved paper is
    no_authors: bool = False  # the question asks who wrote a paper, and no retrieved paper's record lists authors
    named: bool = False  # the first source alone mentions what the question names, and BM25 clearly leads with it
    refused: bool = False  # the model replied with the fixed refusal
    supported: int = 0  # answer sentences that passed the citation and fact checks
    relevance: float = 0.0  # cosine between the question and the supported part of the answer
    novel: int = 0  # content words and numbers of the supported part that the question did not already say
    wants_number: bool = False  # the question asks for a quantity ...
    has_number: bool = False  # ... and the supported part states one ...
    cited_number: bool = True  # ... which the abstracts it cites could give: one of them states a quantity
    wants_name: bool = False  # the question asks which method, model or work ...
    has_name: bool = False  # ... and the supported part names one the question did not
    quote: float = 0.0  # how well the best retrieved abstract sentence matches the question (rag.evidence.relevance)
    quote_from: int = 0  # the source number of that best sentence
    quote_names: bool = True  # the best sentences name something the question does not (`rag.quotes.names_new`)
    leader: int = 0  # the source number of a paper that clearly leads retrieval (rag.evidence.clear_leader), 0: none
    cites_leader: bool = False  # the supported part of the answer cites that paper


@dataclass
class Usage:
    """Tokens one request cost, summed over its LLM calls (the follow-up rewrite and the answer); 0 where the
    backend does not report them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class Answer:
    """A checked answer: text, sentences with citations and support, and the numbered sources.

    `mode` says what the reader gets: 'generated' (the LLM's checked answer), 'extractive' (evidence sentences
    quoted because the LLM's answer failed its checks) or 'abstained'.
    """

    question: str
    answer: str
    abstained: bool
    reason: str
    sentences: list[CheckedSentence] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    query: str = ""  # what was searched: a follow-up made stand-alone, less what it asks of the answer's form
    raw_answer: str = ""
    model: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    mode: str = "abstained"  # generated | extractive | abstained (rag.decide)
    signals: Signals = field(default_factory=Signals)
    usage: Usage = field(default_factory=Usage)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (citation keys become strings, as JSON requires)."""
        return json.loads(json.dumps(asdict(self)))


@dataclass
class Event:
    """A streaming event: a piece of generated text, a status line, or the final answer."""

    kind: str  # "status" | "token" | "answer"
    text: str = ""
    answer: Answer | None = None
