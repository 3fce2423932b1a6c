"""Citation checking of a generated answer, sentence by sentence.

Method: the answer is split into sentences and its `[n]` markers are parsed (markers to no source are dropped).
A sentence's support by a source is `max(cos, (cos + lex) / 2)`, where `cos` is the best cosine similarity
(local embedding model) between the sentence and any sentence or the title of that source, and `lex` is the
share of the sentence's content words (lower-cased, stop words removed, crude suffix stripping) found in the
source. A citation stands when its support reaches `support_threshold`. A sentence whose citations all fail, or
that has none, gets the best-supporting other source attached when that one reaches the threshold; otherwise it
is marked unsupported. A sentence whose cited sources pass only loosely while another source supports it far
better (by `reattribute_margin`: the sentence was written from that one) is moved to that source, so each claim
points to the paper it came from. Facts are held to the letter (`rag.facts`): every number (with its unit) and
every name in the sentence must appear in a source that backs it, so "1.5 GB" where the abstract says "100KB"
fails even when the words match. A sentence that matches its cited source best but names what only another
source holds ("ConViT is a unified backbone [3]", [3] being another model's paper) is a claim given the wrong
name: it is flagged, not moved to the source that holds the name. Limits: similarity is not entailment, so a
sentence that negates a source's claim in its own words can still pass; and a correct paraphrase in other words
can fail.
"""

from __future__ import annotations

import re

from rag.embed import Embedder, cosine
from rag.facts import unsupported_facts
from rag.markers import Piece, source_name, split_pieces
from rag.results import CheckedSentence
from rag.sentences import split_sentences

STOP = frozenset(
    "a an the of in on for to and or with by from as at is are was were be been being this that these those it its "
    "we our they their which who what how why when where than then also can may via using used use based such "
    "into over under more most less between both each other paper papers study method methods approach model "
    "models propose proposed show shows results result new".split()
)


MIN_PART_WORDS = 4  # content words a part of a sentence, before its own marker, needs to be checked on its own


def content_words(text: str) -> set[str]:
    """Lower-cased content words with a crude suffix strip.

    >>> sorted(content_words("The optimizers stabilized training"))
    ['optimizer', 'stabiliz', 'training']
    """
    words = set()
    for word in re.findall(r"[a-z0-9][a-z0-9\-]*", text.lower()):
        if word in STOP or len(word) < 3:
            continue
        for suffix in ("ed", "es", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        words.add(word)
    return words


class SupportScorer:
    """Scores how well a sentence is supported by each source; embeds each source's sentences once."""

    def __init__(self, embedder: Embedder, sources: list[tuple[str, str]], known: dict[str, list[float]] | None = None):
        """`sources`: (title, abstract) of sources 1..k; `known`: vectors already at hand, by text (the sentence
        vectors stored at ingest), which are not embedded again."""
        self.embedder = embedder
        self.titles = [title for title, _ in sources]
        self.texts = [f"{title} {abstract}" for title, abstract in sources]
        self.words = [content_words(text) for text in self.texts]
        self.units = [
            [u for u in [title] + [abstract[a:b] for a, b in split_sentences(abstract)] if u]
            for title, abstract in sources
        ]
        known = known or {}
        todo = list(dict.fromkeys(u for group in self.units for u in group if u not in known))
        vectors = {**known, **dict(zip(todo, embedder.embed(todo) if todo else []))}
        self.vectors = [[vectors[u] for u in group] for group in self.units]

    def scores(self, sentence: str) -> list[tuple[float, str]]:
        """(support, best-matching source sentence) of `sentence` for each source, in source order."""
        vec = self.embedder.embed([sentence])[0]
        words = content_words(sentence)
        out = []
        for units, source_vectors, source_words in zip(self.units, self.vectors, self.words):
            sims = [cosine(vec, v) for v in source_vectors]
            best = max(range(len(sims)), key=sims.__getitem__) if sims else -1
            cos = sims[best] if sims else 0.0
            lex = len(words & source_words) / len(words) if words else 0.0
            out.append((max(cos, (cos + lex) / 2), units[best] if sims else ""))
        return out


def _missing_facts(text: str, scorer: SupportScorer, facts: bool) -> dict[int, list[str]]:
    """For each source 1..k, the numbers and names of `text` it lacks (none asked when `facts` is off)."""
    return {n: unsupported_facts(text, source) if facts else [] for n, source in enumerate(scorer.texts, 1)}


def _best_holder(scores: list[float], missing: dict[int, list[str]]) -> int | None:
    """The best-supporting source among those holding every fact, by its support score (None when none does)."""
    return max((n for n, lacks in missing.items() if not lacks), key=lambda n: scores[n - 1], default=None)


def _back_parts(
    piece: Piece, backing: list[int], scorer: SupportScorer, threshold: float, facts: bool, notes: list[str]
) -> list[int]:
    """The sentence's backing once each part whose marker was dropped has a source too (none when a part has none).

    "A dual-mask technique [2] is added to the cascade model [3]." passes on [3] alone when [3] holds the cascade
    model, although the dual mask is another paper's: the words before a dropped marker are a claim of their own.
    They keep the sentence only when some source supports them (that source is added) by the same test as a
    sentence; a part of fewer than `MIN_PART_WORDS` content words (a name: "SPAM [1] clips ...") is not judged.
    """
    backing = list(backing)
    for n, part in piece.parts.items():
        if n in backing or len(content_words(part)) < MIN_PART_WORDS:
            continue
        scores = [score for score, _ in scorer.scores(part)]
        best = _best_holder(scores, _missing_facts(part, scorer, facts))
        if best is None or scores[best - 1] < threshold:
            notes.append(f'"{part}" (it cited [{n}]) is in no source')
            return []
        if best not in backing:
            said = "the part it cites" if best == n else f"the part that cited [{n}]"
            notes.append(f"{'kept' if best == n else 'added'} [{best}]: it supports {said}")
            backing.append(best)
    return backing


def check_answer(
    text: str, scorer: SupportScorer, threshold: float, facts: bool = True, reattribute_margin: float = 0.25
) -> list[CheckedSentence]:
    """Verify every sentence's citations (and, with `facts`, its numbers and names); fix what can be fixed, flag
    what cannot."""
    k = len(scorer.texts)
    checked = []
    names = [source_name(title) for title in scorer.titles]
    for piece in split_pieces(text, names):
        sentence, cited = piece.text, piece.cited
        result = CheckedSentence(text=sentence, cited=list(cited))
        valid = []
        for n in cited:
            if 1 <= n <= k:
                valid.append(n)
            else:
                result.notes.append(f"dropped [{n}]: no such source")
        scored = scorer.scores(sentence) if k else []
        scores = [score for score, _ in scored]
        result.scores = scores
        missing = _missing_facts(sentence, scorer, facts)
        backing = []
        for n in valid:
            if scores[n - 1] < threshold:
                result.notes.append(f"dropped [{n}]: that source does not support this sentence")
            elif missing[n]:
                result.notes.append(f"dropped [{n}]: {', '.join(missing[n])} not in that source")
            else:
                backing.append(n)
        best = _best_holder(scores, missing)
        far_better = (
            best is not None and scores[best - 1] - max(scores[n - 1] for n in backing or [best]) >= reattribute_margin
        )
        if backing and best not in backing and far_better:
            result.notes.append(f"moved to [{best}]: it supports this sentence far better than [{backing[0]}]")
            backing = [best]
        # cited sources that match the sentence but lack its names or numbers: it was written from them
        wrote = max((scores[n - 1] for n in valid if missing[n] and scores[n - 1] >= threshold), default=0.0)
        if not backing and scores:
            passes = best is not None and scores[best - 1] >= threshold
            if passes and scores[best - 1] >= wrote:
                backing = [best]
                result.notes.append(f"added [{best}]: it supports this sentence")
            elif passes:  # a name or number put on another's claim
                result.notes.append(f"not moved to [{best}]: the sentence matches its cited source better")
            elif facts and all(missing.values()):
                nowhere = [fact for fact in missing[1] if all(fact in m for m in missing.values())]
                result.notes.append(f"{', '.join(nowhere)} in no source" if nowhere else "facts split over sources")
        if backing:
            backing = _back_parts(piece, backing, scorer, threshold, facts, result.notes)
        result.citations = backing
        result.evidence = {n: scored[n - 1][1] for n in backing}
        result.supported = bool(backing)
        result.support = round(max((scores[n - 1] for n in backing), default=max(scores, default=0.0)), 3)
        checked.append(result)
    return checked
