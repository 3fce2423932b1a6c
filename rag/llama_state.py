"""A fixed prompt prefix's evaluated llama.cpp state, saved to a file by one process and loaded by the next.

What is saved is the KV cells of sequence 0 and their tokens (`llama_state_seq_save_file`): a few MB, without the
logits that `Llama.save_state` would add (hundreds of MB). The prefix's tokens come from a dry run of the model's
own chat completion, stopped when it hands its prompt to `generate`, so they are exactly what a real answer's
prompt starts with. Only `rag.llm` uses this module.
"""

from __future__ import annotations

import ctypes
import os
import tempfile
from pathlib import Path
from typing import Any

from rag.models import derived_path


class PromptTokens(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a dry run's `generate` with the tokens of the prompt it was given."""

    def __init__(self, tokens: list[int]):
        super().__init__(f"{len(tokens)} prompt tokens")
        self.tokens = tokens


def prompt_tokens(model: Any, messages: list[dict[str, str]]) -> list[int]:
    """The tokens the chat template makes of `messages`; nothing is evaluated (the model's `generate` raises
    PromptTokens while `model.capture` is set)."""
    model.capture = True
    try:
        for _ in model.create_chat_completion(messages=messages, max_tokens=1, stream=True):
            pass
    except PromptTokens as captured:
        return captured.tokens
    finally:
        model.capture = False
    raise RuntimeError("the chat completion never asked for its prompt")  # pragma: no cover


def common_prefix(a: list[int], b: list[int]) -> list[int]:
    """The tokens two prompts start with.

    >>> common_prefix([1, 2, 3], [1, 2, 4])
    [1, 2]
    """
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return a[:n]


def state_path(model_file: Path, context: list[object], tokens: list[int]) -> Path:
    """Where the state of `tokens` lives: named by the model file, the context's shape and the tokens."""
    import llama_cpp

    return derived_path("kv", model_file.stem, [model_file], [context, llama_cpp.__version__, tokens], ".state")


def load(model: Any, path: Path, tokens: list[int]) -> bool:
    """Put the saved state of `tokens` into `model`'s empty context; False (context left empty) if it fails."""
    import llama_cpp

    model._ctx.kv_cache_clear()
    if not path.exists():
        return False
    out = (llama_cpp.llama_token * (len(tokens) + 1))()
    count = ctypes.c_size_t(0)
    ctx = model._ctx.ctx
    read = llama_cpp.llama_state_seq_load_file(ctx, str(path).encode(), 0, out, len(out), ctypes.byref(count))
    if not read or list(out[: count.value]) != tokens:
        model._ctx.kv_cache_clear()
        return False
    model.input_ids[: len(tokens)] = tokens
    model.n_tokens = len(tokens)
    model._requires_eval = True  # no logits came with the state: the next prompt evaluates its own tokens
    return True


def save(model: Any, path: Path, tokens: list[int]) -> None:
    """Write the context's state of `tokens` to `path` atomically; best effort (an unwritable cache is skipped)."""
    import llama_cpp

    array = (llama_cpp.llama_token * len(tokens))(*tokens)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as tmp:
            partial = Path(tmp.name)
    except OSError:
        return
    try:
        if llama_cpp.llama_state_seq_save_file(model._ctx.ctx, str(partial).encode(), 0, array, len(tokens)):
            os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
