"""LLM backends behind one small interface: `stream(messages)` yields text pieces.

- `LlamaCppLLM`: a GGUF file run in-process by llama-cpp-python (the bundled models, or any file);
- `OpenAICompatLLM`: any OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp's server, hosted APIs).
No network access happens unless the user configures an endpoint.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from rag.config import LLMSettings
from rag.errors import ConfigError

Message = dict[str, str]


class LLM(Protocol):
    """What answering needs from a language model."""

    name: str
    capable: bool  # good enough to rewrite follow-up questions

    def stream(self, messages: list[Message], max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        """Yield the reply piece by piece."""
        ...


class LlamaCppLLM:
    """A GGUF model in this process (llama-cpp-python, built with portable CPU flags)."""

    def __init__(self, path: Path, name: str, n_ctx: int, threads: int | None, capable: bool):
        from llama_cpp import Llama

        if not path.exists():
            raise ConfigError(f"GGUF file not found: {path}")
        try:
            self.model = Llama(
                model_path=str(path), n_ctx=n_ctx, n_threads=threads or os.cpu_count() or 2, verbose=False
            )
        except Exception as exc:
            raise ConfigError(f"cannot load GGUF model {path} ({exc})") from exc
        self.name = name
        self.capable = capable
        self._lock = threading.Lock()  # one llama.cpp context: concurrent requests take turns

    def stream(self, messages: list[Message], max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        with self._lock:  # held until the reply ends or the consumer closes the generator
            for part in self.model.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=temperature, stream=True, seed=0
            ):
                piece = part["choices"][0]["delta"].get("content")
                if piece:
                    yield piece


class OpenAICompatLLM:
    """A chat model behind an OpenAI-compatible HTTP API; the key comes from an environment variable."""

    def __init__(self, base_url: str, model: str, api_key_env: str, timeout_s: float):
        from openai import OpenAI

        self.client = OpenAI(base_url=base_url, api_key=os.environ.get(api_key_env) or "not-needed", timeout=timeout_s)
        self.name = f"openai:{model}"
        self.model = model
        self.capable = True

    def stream(self, messages: list[Message], max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        import openai

        try:
            response = self.client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens, temperature=temperature, stream=True
            )
            for chunk in response:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except openai.OpenAIError as exc:
            raise ConfigError(f"the LLM endpoint {self.client.base_url} failed: {exc}") from exc


@lru_cache(maxsize=4)
def load_llm(settings: LLMSettings) -> LLM:
    """The LLM named by the settings; loaded once per process."""
    from rag.models import BUNDLED, model_path

    if settings.backend == "openai":
        if not settings.base_url or not settings.model:
            raise ConfigError("--llm openai needs --llm-base-url and --llm-model")
        return OpenAICompatLLM(settings.base_url, settings.model, settings.api_key_env, settings.timeout_s)
    if settings.backend == "path" or settings.path is not None:
        if settings.path is None:
            raise ConfigError("--llm path needs --llm-path FILE.gguf")
        return LlamaCppLLM(Path(settings.path), Path(settings.path).name, settings.n_ctx, settings.threads, True)
    if settings.backend not in BUNDLED:
        raise ConfigError(f"unknown LLM {settings.backend!r}; choose default, fast, tiny, openai, or --llm-path")
    bundled = BUNDLED[settings.backend]
    capable = settings.backend != "tiny"
    return LlamaCppLLM(model_path(settings.backend), bundled.description, settings.n_ctx, settings.threads, capable)
