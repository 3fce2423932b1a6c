"""Cut abstracts into chunks that follow sentence boundaries and fit the embedding model.

Each chunk is `title + "\n" + consecutive sentences`. Sentences are packed greedily up to
`target_tokens`; consecutive chunks share `overlap_sentences`. A sentence too long on its own is cut
at word boundaries. Every chunk is re-counted with the model's own tokenizer and must fit `max_tokens`
(special tokens included): the model would otherwise cut it silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rag.config import ChunkSettings
from rag.records import Chunk, Paper
from rag.sentences import split_sentences

SPECIAL_TOKENS = 2  # [CLS] and [SEP]
TokenCounter = Callable[[list[str]], list[int]]


def chunk_papers(papers: Sequence[Paper], count_tokens: TokenCounter, settings: ChunkSettings) -> list[list[Chunk]]:
    """Chunks for each paper, in order; the tokenizer is called in batches, not per sentence."""
    spans = [_fitting_spans(p, count_tokens, settings) for p in papers]
    # Sentence lengths of all papers in one tokenizer call, then greedy packing per paper.
    prefixes = [_prefix(p.title, count_tokens, settings) for p in papers]
    flat = [p.abstract[a:b] for p, s in zip(papers, spans) for a, b in s]
    lengths = iter(count_tokens(flat) if flat else [])
    result = []
    for paper, prefix, paper_spans in zip(papers, prefixes, spans):
        sizes = [next(lengths) for _ in paper_spans]
        result.append(_pack(paper, prefix, paper_spans, sizes, count_tokens, settings))
    return result


def _prefix(title: str, count_tokens: TokenCounter, settings: ChunkSettings) -> str:
    """The title line put before every chunk, shortened to at most a quarter of the budget."""
    if not settings.title_prefix or not title:
        return ""
    words = title.split()
    limit = settings.max_tokens // 4
    while words and count_tokens([" ".join(words)])[0] > limit:
        words = words[: max(1, len(words) * 3 // 4)] if len(words) > 1 else []
    return " ".join(words) + "\n" if words else ""


def _fitting_spans(paper: Paper, count_tokens: TokenCounter, settings: ChunkSettings) -> list[tuple[int, int]]:
    """Sentence spans, with any sentence longer than half the budget cut into word windows."""
    limit = (settings.max_tokens - SPECIAL_TOKENS) // 2
    spans = split_sentences(paper.abstract)
    sizes = count_tokens([paper.abstract[a:b] for a, b in spans]) if spans else []
    out: list[tuple[int, int]] = []
    for (start, end), size in zip(spans, sizes):
        if size <= limit:
            out.append((start, end))
        else:
            out.extend(_word_windows(paper.abstract, start, end, limit, count_tokens))
    return out


def _word_windows(text: str, start: int, end: int, limit: int, count_tokens: TokenCounter) -> list[tuple[int, int]]:
    """Cut text[start:end] into word-aligned windows of at most `limit` tokens."""
    words: list[tuple[int, int]] = []
    pos = start
    for word in text[start:end].split():
        pos = text.index(word, pos)
        words.append((pos, pos + len(word)))
        pos += len(word)
    sizes = count_tokens([text[a:b] for a, b in words])
    windows, first, used = [], 0, 0
    for i, size in enumerate(sizes):
        if used + size > limit and i > first:
            windows.append((words[first][0], words[i - 1][1]))
            first, used = i, 0
        used += size
    windows.append((words[first][0], words[-1][1]))
    return windows


def _pack(
    paper: Paper,
    prefix: str,
    spans: list[tuple[int, int]],
    sizes: list[int],
    count_tokens: TokenCounter,
    settings: ChunkSettings,
) -> list[Chunk]:
    """Greedy packing of sentences into chunks, verified against the real token count."""
    budget = settings.max_tokens - SPECIAL_TOKENS
    prefix_size = count_tokens([prefix])[0] if prefix else 0
    target = min(max(settings.target_tokens - SPECIAL_TOKENS, prefix_size + 1), budget)
    groups: list[list[int]] = []
    i = 0
    while i < len(spans):
        group, used = [i], prefix_size + sizes[i]
        j = i + 1
        while j < len(spans) and used + sizes[j] <= target:
            group.append(j)
            used += sizes[j]
            j += 1
        groups.append(group)
        if j >= len(spans):
            break
        i = max(j - settings.overlap_sentences, group[0] + 1)
    texts = [prefix + paper.abstract[spans[g[0]][0] : spans[g[-1]][1]] for g in groups]
    # Verify with the real tokenizer; split any group that merging sentences pushed over the budget.
    fixed: list[list[int]] = []
    pending = list(zip(groups, count_tokens(texts)))
    while pending:
        group, size = pending.pop(0)
        if size <= budget or len(group) == 1:
            fixed.append(group)
            continue
        halves = [group[: len(group) // 2], group[len(group) // 2 :]]
        half_texts = [prefix + paper.abstract[spans[h[0]][0] : spans[h[-1]][1]] for h in halves]
        pending[:0] = list(zip(halves, count_tokens(half_texts)))
    chunks = []
    for index, group in enumerate(fixed):
        start, end = spans[group[0]][0], spans[group[-1]][1]
        chunks.append(
            Chunk(
                paper_id=paper.paper_id,
                index=index,
                text=prefix + paper.abstract[start:end],
                start=start,
                end=end,
                sentences=tuple(spans[k] for k in group),
            )
        )
    return chunks
