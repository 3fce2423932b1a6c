"""LLM backends behind one small interface: `stream(messages)` yields text pieces.

- `LlamaCppLLM`: a GGUF file run in-process by llama-cpp-python (the bundled models, or any file), with the
  native build chosen for this CPU (`rag.llama_lib`);
- `OpenAICompatLLM`: any OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp's server, hosted APIs).
No network access happens unless the user configures an endpoint.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from rag import llama_lib, llama_state
from rag.config import LLMSettings
from rag.errors import ConfigError
from rag.results import Usage

Message = dict[str, str]
LLM_CHOICES = ("default", "fast", "tiny", "openai")  # the bundled GGUF models (rag.models.BUNDLED) and an endpoint


class LLM(Protocol):
    """What answering needs from a language model."""

    name: str
    capable: bool  # good enough to rewrite follow-up questions

    def stream(
        self,
        messages: list[Message],
        max_tokens: int,
        temperature: float = 0.0,
        purpose: str = "answer",
        usage: Usage | None = None,
    ) -> Iterator[str]:
        """Yield the reply piece by piece. `purpose` is 'answer' or 'rewrite' (a backend may keep them apart).
        The call's tokens are added to `usage` when the reply ends, where the backend can count them."""
        ...

    def keep_prefix(self, prefix: list[Message]) -> None:
        """`prefix` starts every answer prompt from now on: a backend may prepare it once (or do nothing)."""
        ...


def offloaded_layers(setting: int | None) -> int:
    """Layers llama.cpp puts on a GPU: the setting, else all (-1) when this build can offload (a CUDA or Metal
    build) and none with the CPU builds this project compiles."""
    if setting is not None:
        return setting
    from llama_cpp import llama_supports_gpu_offload

    return -1 if llama_supports_gpu_offload() else 0


def cpu_threads() -> int:
    """Cores this process may run on (llama.cpp is fastest with one thread per core here)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 2


class LlamaCppLLM:
    """A GGUF model in this process: one llama.cpp context for answers, a second one for rewrites.

    Answer prompts share a fixed prefix; llama.cpp skips the tokens a prompt shares with what its context last
    evaluated, so keeping the follow-up rewrite in its own context keeps that prefix cached. The weights are
    memory-mapped once and shared by both contexts. `last_prompt_tokens` is how many prompt tokens the last
    answer actually evaluated.

    `keep_prefix` also keeps that prefix across processes: its evaluated state (the KV cells of sequence 0, a few
    MB, without logits) is saved once under the model cache and loaded by every later process, so a one-shot
    `rag ask` does not evaluate the prefix again. The file is named by a digest of the model file, the context
    size, the native build, the llama-cpp-python version and the prefix's tokens, and written atomically; a file
    that does not load is ignored and the prefix evaluated instead.
    """

    def __init__(
        self, path: Path, name: str, n_ctx: int, threads: int | None, capable: bool, gpu_layers: int | None = None
    ):
        self.build = llama_lib.select()  # before llama_cpp is first imported
        if not path.exists():
            raise ConfigError(f"GGUF file not found: {path}")
        self.path = path
        self.threads = threads or cpu_threads()
        self.gpu_layers = offloaded_layers(gpu_layers)
        self.model = self._load(n_ctx)
        self._rewriter: Any = None
        self.name = name
        self.capable = capable
        self.last_prompt_tokens = 0
        self.n_ctx = n_ctx
        self.prefix_source = ""  # how the kept prefix got into the context: 'file', 'evaluated' or '' (none yet)
        self._kept = ""
        self._kept_tokens: list[int] = []
        self._lock = threading.Lock()  # the CPU runs one reply at a time: concurrent requests take turns

    def _load(self, n_ctx: int) -> Any:
        from llama_cpp import Llama, llama_vocab_is_eog

        class CountingLlama(Llama):
            """Records how many tokens each evaluation processed (the first one of a reply is the prompt, less
            what the KV cache kept), and the whole prompt's and the reply's lengths."""

            evaluated: list[int]
            prompt_size: int = 0
            generated: int = 0
            capture: bool = False

            def eval(self, tokens: Any) -> None:
                self.evaluated.append(len(tokens))
                super().eval(tokens)

            def generate(self, tokens: Any, *args: Any, **kwargs: Any) -> Iterator[int]:
                if self.capture:  # a dry run: the prompt's tokens are wanted, not a reply
                    raise llama_state.PromptTokens(list(tokens))
                self.prompt_size, self.generated = len(tokens), 0
                for token in super().generate(tokens, *args, **kwargs):
                    if not llama_vocab_is_eog(self._model.vocab, token):  # the end marker is not reply text
                        self.generated += 1
                    yield token

        try:
            model = CountingLlama(
                model_path=str(self.path),
                n_ctx=n_ctx,
                n_threads=self.threads,
                n_threads_batch=self.threads,
                n_gpu_layers=self.gpu_layers,
                verbose=False,
            )
        except Exception as exc:
            raise ConfigError(f"cannot load GGUF model {self.path} ({exc})") from exc
        model.evaluated = []
        return model

    def stream(
        self,
        messages: list[Message],
        max_tokens: int,
        temperature: float = 0.0,
        purpose: str = "answer",
        usage: Usage | None = None,
    ) -> Iterator[str]:
        with self._lock:  # held until the reply ends or the consumer closes the generator
            if purpose == "rewrite":
                if self._rewriter is None:
                    self._rewriter = self._load(1024)
                model = self._rewriter
            else:
                model = self.model
                self._rewind(model)
            model.evaluated.clear()
            for part in model.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=temperature, stream=True, seed=0
            ):
                if purpose != "rewrite" and model.evaluated:
                    self.last_prompt_tokens = model.evaluated[0]
                piece = part["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
            if usage is not None:
                usage.prompt_tokens += model.prompt_size
                usage.completion_tokens += model.generated

    def _rewind(self, model: Any) -> None:
        """Reuse only the kept prefix of what the context last evaluated, never more.

        llama.cpp reuses the longest run of tokens a prompt shares with the context, which after the prefix
        reaches into the previous question's sources ("Sources: [1] ..."). Where that run ends changes how the rest
        of the prompt is batched, so the same question got a different answer depending on what was asked before
        it (in this process, or by another user). Cut back to the prefix, every answer evaluates the same tokens
        from the same state: a few tokens more, and the same answer whatever came before.
        """
        n = len(self._kept_tokens)
        if n and model.n_tokens > n and list(model.input_ids[:n]) == self._kept_tokens:
            model.n_tokens = n

    def keep_prefix(self, prefix: list[Message]) -> None:
        key = json.dumps(prefix)
        if key == self._kept:
            return
        with self._lock:
            if key == self._kept:
                return
            model = self.model
            tokens = llama_state.common_prefix(
                llama_state.prompt_tokens(model, [*prefix, {"role": "user", "content": "1"}]),
                llama_state.prompt_tokens(model, [*prefix, {"role": "user", "content": "2"}]),
            )
            path = llama_state.state_path(self.path, [self.n_ctx, self.build, self.gpu_layers], tokens)
            model.reset()
            if llama_state.load(model, path, tokens):
                self.prefix_source = "file"
            else:
                model.evaluated.clear()
                model.eval(tokens)
                llama_state.save(model, path, tokens)
                self.prefix_source = "evaluated"
            self._kept, self._kept_tokens = key, list(tokens)


class OpenAICompatLLM:
    """A chat model behind an OpenAI-compatible HTTP API; the key comes from an environment variable."""

    def __init__(self, base_url: str, model: str, api_key_env: str, timeout_s: float):
        from openai import OpenAI

        self.client = OpenAI(base_url=base_url, api_key=os.environ.get(api_key_env) or "not-needed", timeout=timeout_s)
        self.name = f"openai:{model}"
        self.model = model
        self.capable = True

    def stream(
        self,
        messages: list[Message],
        max_tokens: int,
        temperature: float = 0.0,
        purpose: str = "answer",
        usage: Usage | None = None,
    ) -> Iterator[str]:
        import openai

        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=messages,
                max_tokens=max_tokens,
                temperature=temperature,
                stream=True,
                stream_options={"include_usage": True},  # the token counts come in a last chunk of their own
            )
            for chunk in response:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
                if chunk.usage is not None and usage is not None:
                    usage.prompt_tokens += chunk.usage.prompt_tokens or 0
                    usage.completion_tokens += chunk.usage.completion_tokens or 0
        except openai.OpenAIError as exc:
            raise ConfigError(f"the LLM endpoint {self.client.base_url} failed: {exc}") from exc

    def keep_prefix(self, prefix: list[Message]) -> None:
        """Nothing to do here: the endpoint caches prefixes by itself, if it does."""


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
        path = Path(settings.path)
        return LlamaCppLLM(path, path.name, settings.n_ctx, settings.threads, True, settings.gpu_layers)
    if settings.backend not in BUNDLED:
        raise ConfigError(f"unknown LLM {settings.backend!r}; choose {', '.join(LLM_CHOICES)}, or --llm-path")
    bundled = BUNDLED[settings.backend]
    capable = settings.backend != "tiny"
    path = model_path(settings.backend)
    return LlamaCppLLM(path, bundled.description, settings.n_ctx, settings.threads, capable, settings.gpu_layers)
