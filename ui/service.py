"""What the chat page and the HTTP API share: one embedder and retriever, a pipeline per LLM choice, uploads
and feedback. Both call `ChatService.stream()`, which is `Pipeline.stream()` with per-request options."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.config import LLMSettings, Settings
from rag.embed import Embedder, load_embedder
from rag.errors import ConfigError, InputError
from rag.feedback import Feedback, FeedbackLog
from rag.ingest import IngestSummary, ingest
from rag.llm import LLM, LLM_CHOICES
from rag.metadata import where_all, where_years
from rag.parsers import SUFFIXES
from rag.pipeline import Pipeline
from rag.results import Answer, Event, Turn
from rag.retrieve import Retriever
from rag.store import ChunkStore

MAX_K = 10


@dataclass(frozen=True)
class ChatOptions:
    """Per-request choices from the settings panel or the API."""

    llm: str = ""  # "" = the server's default
    k: int = 0  # 0 = the settings' k
    dates: tuple[str, ...] = ()  # only papers listed on one of these days ("MM-DD"); empty = all
    base_url: str = ""  # for llm "openai"
    model: str = ""  # for llm "openai"
    since: int | None = None  # only papers published in or after this year
    until: int | None = None  # ... and in or before this year


class ChatService:
    """One index, many conversations; safe to call from several threads."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        llm_factory: Callable[[LLMSettings], LLM] | None = None,
    ):
        """`llm_factory` makes the LLM for a choice (default: the bundled or configured model, loaded once)."""
        self.settings = settings
        self.embedder = embedder or load_embedder(settings)
        self._llm_factory = llm_factory
        self.feedback = FeedbackLog(settings.home / "feedback.jsonl")
        self.uploads = settings.home / "uploads"
        self._lock = threading.Lock()  # guards the pipeline cache and the dates cache
        self._ingest_lock = threading.Lock()  # one upload at a time
        self._pipelines: dict[Settings, Pipeline] = {}
        self._retriever = self._open()
        self._dates: dict[str, list[str]] | None = None
        self._dates_key = ""

    def _open(self) -> Retriever:
        store = ChunkStore(self.settings)  # creates an empty collection on a fresh home
        return Retriever(self.settings, self.embedder, store)

    def pipeline(self, options: ChatOptions) -> Pipeline:
        """The pipeline for the chosen LLM (models load once and are shared)."""
        llm = options.llm or self.settings.llm.backend
        if llm not in (*LLM_CHOICES, "path"):
            raise InputError(f"unknown LLM {llm!r}; choose one of {', '.join(LLM_CHOICES)}")
        overrides: dict[str, Any] = {"llm__backend": llm}
        if llm == "openai":
            base_url = options.base_url or self.settings.llm.base_url
            model = options.model or self.settings.llm.model
            if not base_url or not model:
                raise ConfigError("the OpenAI-compatible LLM needs an endpoint URL and a model name")
            overrides |= {"llm__base_url": base_url, "llm__model": model}
        settings = self.settings.override(**overrides)
        with self._lock:
            if settings not in self._pipelines:
                llm = self._llm_factory(settings.llm) if self._llm_factory else None
                self._pipelines[settings] = Pipeline(settings, self.embedder, llm=llm, retriever=self._retriever)
            return self._pipelines[settings]

    def where(self, dates: tuple[str, ...]) -> dict | None:
        """A Chroma filter for papers listed on any of `dates`, or None for no filter."""
        if not dates:
            return None
        listed = self.paper_dates()
        ids = sorted(pid for pid, paper_dates in listed.items() if set(paper_dates) & set(dates))
        return {"paper_id": {"$in": ids or ["(no paper on these dates)"]}}

    def paper_dates(self) -> dict[str, list[str]]:
        """Listing dates of every paper; read again after an ingest (by this server or another process)."""
        self._retriever.sync()
        key = self._retriever.bm25.fingerprint  # changes with every finished ingest
        with self._lock:
            if self._dates is None or self._dates_key != key:
                self._dates, self._dates_key = self._retriever.store.paper_dates(), key
            return self._dates

    def listing_dates(self) -> list[str]:
        """Every listing day in the index, sorted."""
        return sorted({d for dates in self.paper_dates().values() for d in dates})

    def _request(self, options: ChatOptions) -> tuple[Pipeline, dict[str, Any]]:
        """The pipeline and the `stream()` arguments for one request's options."""
        k = options.k or self.settings.retrieval.k
        if not 1 <= k <= MAX_K:
            raise InputError(f"the number of sources must be between 1 and {MAX_K}, got {k}")
        where = where_all(self.where(options.dates), where_years(options.since, options.until))
        return self.pipeline(options), {"k": k, "where": where}

    def stream(self, question: str, history: list[Turn], options: ChatOptions) -> Iterator[Event]:
        """Status, token and answer events for one question."""
        pipeline, kwargs = self._request(options)
        yield from pipeline.stream(question, history, **kwargs)

    def ask(self, question: str, history: list[Turn], options: ChatOptions) -> Answer:
        """The checked answer to one question (no streaming)."""
        pipeline, kwargs = self._request(options)
        return pipeline.ask(question, history, **kwargs)

    def stats(self) -> dict[str, Any]:
        return self._retriever.store.stats()

    def add_upload(self, path: Path, on_batch: Callable[[int, int, list[str]], None] | None = None) -> IngestSummary:
        """Ingest one uploaded file (kept under home/uploads); nothing indexed is removed, even on errors."""
        if path.suffix.lower() not in SUFFIXES:
            raise InputError(f"unsupported file type {path.suffix or '(none)'!r}; upload {', '.join(SUFFIXES)}", path)
        self.uploads.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem)[:60] or "upload"
        kept = self.uploads / f"{time.strftime('%Y%m%d-%H%M%S')}-{stem}{path.suffix.lower()}"
        shutil.copyfile(path, kept)
        with self._ingest_lock:
            summary = ingest([kept], self.settings, self.embedder, prune=False, progress=False, on_batch=on_batch)
            if summary.errors:
                kept.unlink(missing_ok=True)  # nothing from a failed file was written
                summary.errors = [e.replace(str(kept), path.name) for e in summary.errors]
            self._retriever.sync()  # the shared retriever picks up the new papers, as after a `rag ingest`
        return summary

    def vote(self, liked: bool, answer: dict[str, Any], history: list[Turn]) -> None:
        self.feedback.add(Feedback.from_answer(liked, answer, [list(t) for t in history]))
