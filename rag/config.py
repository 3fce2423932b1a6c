"""One frozen settings object, read from `RAG_*` environment variables and overridable per call.

Every function that needs a setting takes `settings` explicitly; nothing reads globals.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from rag.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_EMBED_MODEL = "bundled:all-MiniLM-L6-v2"
EMBED_BACKENDS = ("torch", "onnx", "onnx-int8")  # how the embedding model runs (rag.embed, rag.onnx_embed)
LEADER_ONLY = ("auto", "on", "off")
BM25_DOCUMENTS = ("chunks", "papers")
FUSIONS = ("rrf", "zscore")  # how the dense and BM25 rankings are combined (rag.retrieve)
LEADER_ONLY_LLMS = frozenset({"fast"})  # the LLMs that 'auto' shows a clear leader alone (measured, README)


@dataclass(frozen=True)
class ChunkSettings:
    """How abstracts are cut into embeddable chunks."""

    max_tokens: int = 256  # the embedding model's hard limit, special tokens included
    target_tokens: int = 128  # aim for chunks about this long (title prefix included)
    overlap_sentences: int = 1  # sentences repeated from the previous chunk
    title_prefix: bool = True  # prefix every chunk with the paper title


@dataclass(frozen=True)
class StoreSettings:
    """Where vectors live: an embedded Chroma folder, or a Chroma server."""

    chroma_host: str | None = None
    chroma_port: int = 8000
    collection_prefix: str = "papers"
    # HNSW search breadth: the smallest of 100/200/400/800/1000 that finds >= 99.9% of the exact 60 nearest chunks
    # on SciFact (benchmarks/search_breadth.py; Chroma's default 100 finds 97%, and which ones varies per start)
    ef_search: int = 800


@dataclass(frozen=True)
class IngestSettings:
    """Batching and input limits of `rag ingest`."""

    batch_chunks: int = 256  # chunks embedded and written per transaction (whole papers)
    max_line_chars: int = 100_000  # a longer line is rejected as malformed input
    max_abstract_chars: int = 50_000
    max_title_chars: int = 1_000


@dataclass(frozen=True)
class RetrievalSettings:
    """Hybrid retrieval: dense (Chroma) and BM25 rankings, grouped by paper, fused by reciprocal rank."""

    k: int = 3  # papers given to the LLM as numbered sources (prompt length drives time to first token)
    candidates: int = 60  # chunks (or BM25 papers) taken from each retriever before grouping
    rrf_k: int = 60  # reciprocal rank fusion constant
    # 'rrf' (reciprocal rank), or 'zscore': every candidate scored on both sides, each side standardised over the
    # candidates, summed with the weights below (README "Ranking")
    fusion: str = "rrf"
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    # what BM25 indexes: 'chunks', or 'papers' (title and whole abstract as one document: SciFact nDCG@10 0.727
    # against 0.719, a third of the documents; but 54 instead of 58 development answers passed, README "Ranking")
    bm25_documents: str = "chunks"
    bm25_k1: float = 1.5  # BM25 term saturation and length normalisation, fixed when the index is built (bm25s's
    bm25_b: float = 0.75  # defaults; Anserini's BEIR runs use 0.9 and 0.4)
    # z-score fusion only: a third side, each candidate paper's best stored sentence vector, with this weight
    sentence_weight: float = 0.0
    floor: float = 0.25  # best dense cosine below this (and no clear BM25 leader): abstain, no LLM call
    bm25_floor: float = 4.0  # a BM25 leader must score at least this ...
    bm25_margin: float = 1.5  # ... and this many times the runner-up to count as found without the dense side
    prompt_words: int = 120  # evidence words spread over the sources when no paper clearly leads
    lead_words: int = 130  # evidence words for a clear leader (its whole abstract when it fits)
    lead_margin: float = 0.06  # dense lead over the runner-up that makes a paper the clear leader
    # a comparison's papers each get compare_words, or an equal part of compare_total when there are more; 0: an
    # equal part of lead_words (the earlier rule, which left their mechanisms out: README "How answering works")
    compare_words: int = 120
    compare_total: int = 360
    adaptive_budget: bool = True  # off: every source shares `prompt_words`, best sentences first
    leader_only: str = "auto"  # beside a clear leader the LLM sees no other source: 'on', 'off' or 'auto' (fast)
    cover_names: bool = True  # a paper for each name the question asks about that no hit mentions (comparisons)
    stored_sentences: bool = True  # off: embed the sources' sentences on every question (the earlier path)

    def __post_init__(self) -> None:
        if self.leader_only not in LEADER_ONLY:
            raise ConfigError(f"leader_only must be one of {', '.join(LEADER_ONLY)}, got {self.leader_only!r}")
        if self.bm25_documents not in BM25_DOCUMENTS:
            raise ConfigError(f"bm25_documents must be one of {', '.join(BM25_DOCUMENTS)}, got {self.bm25_documents!r}")
        if self.fusion not in FUSIONS:
            raise ConfigError(f"fusion must be one of {', '.join(FUSIONS)}, got {self.fusion!r}")
        if self.bm25_k1 <= 0 or not 0 <= self.bm25_b <= 1:
            raise ConfigError(f"bm25_k1 must be above 0 and bm25_b within [0, 1], got {self.bm25_k1} and {self.bm25_b}")
        if self.sentence_weight < 0:
            raise ConfigError(f"sentence_weight must not be negative, got {self.sentence_weight}")

    def shows_leader_only(self, llm: str) -> bool:
        """Whether a clear leader is the only source the LLM `llm` sees. 'auto' is on for the fast model, which
        otherwise often answers from another source's one sentence (README: the fast model), and off for the
        default model, whose development-set answers it did not improve."""
        return self.leader_only == "on" or (self.leader_only == "auto" and llm in LEADER_ONLY_LLMS)


@dataclass(frozen=True)
class LLMSettings:
    """Which LLM answers: a bundled GGUF ('default', 'fast', 'tiny'), any GGUF file, or an OpenAI-compatible API."""

    backend: str = "default"  # default | fast | tiny | path | openai
    path: Path | None = None  # GGUF file for backend 'path'
    base_url: str | None = None  # for backend 'openai'
    model: str | None = None  # model name for backend 'openai'
    api_key_env: str = "RAG_LLM_API_KEY"  # environment variable holding the API key
    n_ctx: int = 4096
    threads: int | None = None  # llama.cpp threads (default: all cores)
    gpu_layers: int | None = None  # layers offloaded to a GPU (default: all when the llama.cpp build can, else 0)
    max_tokens: int = 200
    temperature: float = 0.0
    timeout_s: float = 120.0


@dataclass(frozen=True)
class AnswerSettings:
    """Answer length and citation checking."""

    max_question_chars: int = 2000
    support_threshold: float = 0.5  # support score a cited source must reach for a sentence to count as backed
    reattribute_margin: float = 0.25  # a citation moves to a source that supports its sentence this much better
    history_turns: int = 3  # earlier turns used to resolve follow-ups
    check_facts: bool = True  # numbers and names of a sentence must appear in a source it cites
    relevance_floor: float = 0.2  # a generated answer this far from the question (cosine) is not about it
    quote_floor: float = 0.70  # quote the best evidence sentence when generation fails and it matches this well
    topic_floor: float = 0.45  # abstain before the LLM when no abstract sentence matches the question this well
    min_novel: int = 2  # a generated answer must add this many content words the question did not say
    extractive: bool = True  # quote evidence when generation fails (off: abstain)
    pipeline_decides: bool = True  # off: the model's own refusal is final and questions are not name-checked
    prompt: str = "prefix"  # 'prefix': fixed rules and worked example (KV-cached); 'plain': the earlier prompt


@dataclass(frozen=True)
class Settings:
    """All settings; `Settings.from_env()` is the usual way to get one."""

    home: Path = PROJECT_ROOT / ".rag"
    data_paths: tuple[Path, ...] = (PROJECT_ROOT / "data",)
    embed_model: str = BUNDLED_EMBED_MODEL
    embed_device: str = "auto"  # 'auto' (CUDA when torch sees a device, else CPU), 'cpu', 'cuda', 'cuda:N'
    embed_backend: str = "torch"  # 'torch', 'onnx' (same vectors) or 'onnx-int8' (int8 weights: its own collection)
    chunk: ChunkSettings = field(default_factory=ChunkSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    llm: LLMSettings = field(default_factory=LLMSettings)
    answer: AnswerSettings = field(default_factory=AnswerSettings)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Read `RAG_HOME`, `RAG_EMBED_MODEL[_BACKEND]`, `RAG_DEVICE`, `RAG_CHROMA_HOST/PORT`,
        `RAG_BM25_DOCUMENTS|_K1|_B`, `RAG_FUSION`, `RAG_SENTENCE_WEIGHT` and `RAG_LLM[_BASE_URL|_MODEL]`, then apply
        the overrides."""
        env = dict(os.environ if env is None else env)
        s = cls()
        if env.get("RAG_HOME"):
            s = replace(s, home=Path(env["RAG_HOME"]).expanduser())
        if env.get("RAG_EMBED_MODEL"):
            s = replace(s, embed_model=env["RAG_EMBED_MODEL"])
        if env.get("RAG_EMBED_BACKEND"):
            s = replace(s, embed_backend=env["RAG_EMBED_BACKEND"])
        if env.get("RAG_DEVICE"):
            s = s.with_device(env["RAG_DEVICE"])
        store = s.store
        if env.get("RAG_CHROMA_HOST"):
            store = replace(store, chroma_host=env["RAG_CHROMA_HOST"])
        if env.get("RAG_CHROMA_PORT"):
            store = replace(store, chroma_port=_int(env["RAG_CHROMA_PORT"], "RAG_CHROMA_PORT"))
        s = replace(s, store=store)
        if env.get("RAG_BM25_DOCUMENTS"):
            s = replace(s, retrieval=replace(s.retrieval, bm25_documents=env["RAG_BM25_DOCUMENTS"]))
        if env.get("RAG_FUSION"):
            s = replace(s, retrieval=replace(s.retrieval, fusion=env["RAG_FUSION"]))
        for name, key in (
            ("bm25_k1", "RAG_BM25_K1"),
            ("bm25_b", "RAG_BM25_B"),
            ("sentence_weight", "RAG_SENTENCE_WEIGHT"),
        ):
            if env.get(key):
                s = replace(s, retrieval=replace(s.retrieval, **{name: _float(env[key], key)}))
        llm = s.llm
        if env.get("RAG_LLM"):
            llm = replace(llm, backend=env["RAG_LLM"])
        if env.get("RAG_LLM_BASE_URL"):
            llm = replace(llm, base_url=env["RAG_LLM_BASE_URL"])
        if env.get("RAG_LLM_MODEL"):
            llm = replace(llm, model=env["RAG_LLM_MODEL"])
        s = replace(s, llm=llm)
        return s.override(**overrides)

    def with_device(self, device: str | None) -> Settings:
        """Run on `device` ('auto', 'cpu', 'cuda', 'cuda:N'): the embedding model there, and on 'cpu' no LLM layer
        offloaded either."""
        if device is None:
            return self
        s = replace(self, embed_device=device)
        return replace(s, llm=replace(s.llm, gpu_layers=0)) if device == "cpu" else s

    def override(self, **overrides: object) -> Settings:
        """Replace top-level fields, or nested ones as `store__chroma_port=9000`; None values are ignored."""
        top: dict[str, object] = {}
        nested: dict[str, dict[str, object]] = {}
        for key, value in overrides.items():
            if value is None:
                continue
            if "__" in key:
                part, name = key.split("__", 1)
                nested.setdefault(part, {})[name] = value
            else:
                top[key] = value
        s = replace(self, **top) if top else self
        for part, values in nested.items():
            s = replace(s, **{part: replace(getattr(s, part), **values)})
        return s

    @property
    def bm25_dir(self) -> Path:
        """Folder of the BM25 indexes (one per collection)."""
        return self.home / "bm25"

    @property
    def chroma_dir(self) -> Path:
        """Folder of the embedded Chroma database."""
        return self.home / "chroma"

    def collection_name(self) -> str:
        """Name derived from what shapes the vectors: change the model or chunking, get a new collection."""
        shaping: dict[str, object] = {"embed_model": self.embed_model, "chunk": asdict(self.chunk), "scheme": 1}
        if self.embed_backend == "onnx-int8":  # other vectors; 'onnx' gives torch's vectors and shares its index
            shaping["embed_backend"] = self.embed_backend
        digest = hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:10]
        model = re.sub(r"[^a-zA-Z0-9]+", "-", self.embed_model.rsplit("/", 1)[-1].split(":")[-1]).strip("-")
        return f"{self.store.collection_prefix}-{model[:40].lower()}-{digest}"


def _int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {text!r}") from None


def _float(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {text!r}") from None
