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
from rag.facts import as_word, unsupported_facts
from rag.results import CheckedSentence
from rag.sentences import split_sentences

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
LEADING = re.compile(r"(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+")
# Markers closing a clause that another clause follows: "A [1], B [2]", "X does A [1], while Y does B [2]".
CLAUSE_END = re.compile(
    r"(?P<marks>(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)(?P<sep>\s*[,;]\s*|\s+(?=(?:and|while|whereas|but)\s))(?=\S)"
)
ENDS_CITED = re.compile(r"\]\s*[.!?]?\s*$")
# Markers standing as a sentence's subject: "[2] proposes ...", "[1] and [3] use ...", "Yes, [1] discusses ...".
SUBJECT = re.compile(
    r"(?P<pre>\s*(?:(?i:yes|no|indeed)\s*,\s*)?)(?P<marks>(?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*(?:,|and|&)?\s*)+)(?=[a-z])"
)
# A marker standing as the object of a preposition inside a sentence: "as shown in [1], ...", "In [2] the ...", or
# for the paper after the word "paper": "The paper [1] uses HSIC ..." (at the sentence's end, "is proposed in
# [1].", the marker still reads as the object where it is shown)
OBJECT = re.compile(
    r"\b(?P<prep>in|by|from|see|paper|work|study|article)\s+\[(?P<n>\d+)\](?=\s*,|\s+[a-z])", re.IGNORECASE
)
# ... or inside an aside that names where the sentence's subject comes from: "LFS-GAN, proposed in [1], can ..."
ASIDE = re.compile(r",\s*(?:as\s+)?(?:[a-z]+ed\s+)?(?:in|by)\s+(?P<marks>\[\d+\])\s*,", re.IGNORECASE)
# A list answer's shape: bullets and numbers opening a line, and items that carry their marker on both sides.
BULLET = re.compile(r"^[ \t]*(?:[-*\u2022]|\d{1,2}[.)])[ \t]+", re.MULTILINE)
ITEM = re.compile(r"\[(\d+)\][ \t]*([A-Z0-9\"\u201c][^\[\]\n]*?)[ \t]*\[\1\][ \t]*\.?")
STOP = frozenset(
    "a an the of in on for to and or with by from as at is are was were be been being this that these those it its "
    "we our they their which who what how why when where than then also can may via using used use based such "
    "into over under more most less between both each other paper papers study method methods approach model "
    "models propose proposed show shows results result new".split()
)


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


def split_answer(text: str, names: list[str] | None = None) -> list[tuple[str, list[int]]]:
    """Answer sentences with their cited numbers; a run of markers after the full stop belongs to that sentence.

    A marker that is a sentence's subject ("[2] proposes HoME.", "Yes, [1] discusses ...") is replaced by its
    source's name from `names` (sources 1..k), so the sentence keeps its subject instead of starting with the verb;
    one after a preposition inside the sentence ("as shown in [1], ...") gets the name before it.

    >>> split_answer("Adam diverges [2]. SPAM fixes it. [1][3] Done.")
    [('Adam diverges.', [2]), ('SPAM fixes it.', [1, 3]), ('Done.', [])]
    >>> split_answer("[1] proposes SPAM. [2] targets memory.", names=["Stable-SPAM", "GaLore"])
    [('Stable-SPAM proposes SPAM.', [1]), ('GaLore targets memory.', [2])]
    >>> split_answer("Yes, [1] discusses cost models. In [2], they are shown.", names=["MLIR", "GaLore"])
    [('Yes, MLIR discusses cost models.', [1]), ('In GaLore, they are shown.', [2])]
    >>> split_answer("LFS-GAN, proposed in [1], can generate images.", names=["LFS-GAN"])
    [('LFS-GAN can generate images.', [1])]
    """
    text = as_sentences(text)
    pieces: list[tuple[str, list[int]]] = []
    for a, b in split_sentences(text):
        raw = text[a:b]
        lead = LEADING.match(raw)
        subject = SUBJECT.match(raw)
        cited = _numbers(subject.group("marks")) if subject else []
        if subject and (name := _name(cited, names or [])):
            raw = "".join(f"[{n}]" for n in cited) + f"{subject.group('pre')}{name} {raw[subject.end() :]}"
        elif lead and pieces:  # markers after the previous sentence's full stop belong to it
            _extend(pieces[-1][1], _numbers(lead.group(0)))
            raw = raw[lead.end() :]
        raw = ASIDE.sub(lambda m, said=raw: _aside(m, said, names or []), raw)
        raw = OBJECT.sub(lambda m: _object(m, names or []), raw)
        for clause in split_clauses(raw):
            clean = re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", clause)).strip()
            if clean.strip(".,;: "):
                pieces.append((clean, _extend([], _numbers(clause))))
    return pieces


def as_sentences(text: str) -> str:
    r"""A list answer written as sentences: one per line or item, bullets and item numbers dropped.

    Small models answer "which papers ..." with lists, and a line without a full stop would run into the next
    one as a single sentence with the last line's marker only.

    >>> as_sentences("[1] Few-shot Continual Learning [1] [2] Generative Kernel Continual Learning [2]")
    'Few-shot Continual Learning [1]. Generative Kernel Continual Learning [2].'
    >>> as_sentences("[1] SimQ-NAS gains 4.8x [1]. [2] White-Box finds a bound [2].")
    'SimQ-NAS gains 4.8x [1]. White-Box finds a bound [2].'
    >>> as_sentences("The papers are:\n1. HoME [1]\n2. MMoE: gates [2]")
    'The papers are: HoME [1]. MMoE: gates [2]'
    >>> as_sentences("[1] gains 4.8x. [1]\n[2] finds a bound.")
    '[1] gains 4.8x. [1] [2] finds a bound.'
    """
    text = ITEM.sub(lambda m: f"{m.group(2).rstrip(' .')} [{m.group(1)}].\n", text)
    lines = [line.strip() for line in BULLET.sub("", text).splitlines() if line.strip()]
    ended = [line if ends(line) else f"{line}." for line in lines[:-1]]  # the last line stays as written
    return " ".join(ended + lines[-1:])


def ends(line: str) -> bool:
    """Whether a line ends its sentence, before its markers or after them ("It gains 4.8x. [1]", "HoME [1].")."""
    bare = MARKER.sub("", line).rstrip()
    return bool(bare) and bare[-1] in ".!?:;,"


def split_clauses(sentence: str) -> list[str]:
    """The sentence cut after each clause that cites its own sources, so each clause is checked against them.

    Only when every clause ends with its markers and no clause's sources are cited again later: "A [1], B [2], C
    [3]." (a list of papers) and "X does A [1], while Y does B [2]." are cut; "X [1] and Y [2] both use Z [1, 2]."
    is one claim about both and stays whole.

    >>> split_clauses("HoME [1], MMoE [2] and PLE [3].")
    ['HoME [1],', 'MMoE [2]', 'and PLE [3].']
    >>> split_clauses("X [1] and Y [2] both use Z [1, 2].")
    ['X [1] and Y [2] both use Z [1, 2].']
    >>> split_clauses("SPAM [1] clips gradients and GaLore projects them [2].")
    ['SPAM [1] clips gradients and GaLore projects them [2].']
    """
    cuts = list(CLAUSE_END.finditer(sentence))  # each is followed by more of the sentence (its lookahead)
    if not cuts or not ENDS_CITED.search(sentence):
        return [sentence]
    clauses, start = [], 0
    for m in cuts:
        sep = m.group("sep").strip()
        clauses.append(sentence[start : m.end("marks")] + sep)
        start = m.end()
    clauses.append(sentence[start:])
    cited = [set(_numbers(c)) for c in clauses]
    if any(not c for c in cited) or any(cited[i] & set().union(*cited[i + 1 :]) for i in range(len(cited) - 1)):
        return [sentence]
    return clauses


def _aside(match: re.Match[str], sentence: str, names: list[str]) -> str:
    """ ", proposed in [1]," as " [1]" when the sentence already names that paper ("LFS-GAN, proposed in [1], can"
    reads "LFS-GAN can ... [1]", not "LFS-GAN, proposed in LFS-GAN, can"); otherwise left to `_object`."""
    name = _name(_numbers(match["marks"]), names)
    named = name and as_word(name).search(sentence)
    return f" {match['marks']}" if named else match.group(0)


def _object(match: re.Match[str], names: list[str]) -> str:
    """ "in [1]" as "in HoME [1]", "the paper [1] uses" as "the paper DESMIL [1] uses": the paper's name before its
    marker (the marker alone when it has none)."""
    name = _name([int(match["n"])], names)
    return f"{match['prep']} {name} [{match['n']}]" if name else match.group(0)


def _name(numbers: list[int], names: list[str]) -> str:
    known = [names[n - 1] for n in numbers if 1 <= n <= len(names) and names[n - 1]]
    return " and ".join(known)


def source_name(title: str) -> str:
    """The short name a sentence can use for a paper: the part of its title before a colon, when there is one.

    >>> source_name("HoME: Hierarchy of Multi-Gate Experts for Multi-Task Learning at Kuaishou")
    'HoME'
    >>> source_name("Outliers with Opposing Signals.")
    'Outliers with Opposing Signals'
    """
    head = title.split(":", 1)[0].strip()
    return (head if head and len(head.split()) <= 8 else title.strip()).rstrip(".")


def _numbers(text: str) -> list[int]:
    return [int(n) for group in MARKER.findall(text) for n in re.split(r"[,;]", group)]


def _extend(target: list[int], numbers: list[int]) -> list[int]:
    target.extend(n for n in numbers if n not in target)
    return target


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


def check_answer(
    text: str, scorer: SupportScorer, threshold: float, facts: bool = True, reattribute_margin: float = 0.25
) -> list[CheckedSentence]:
    """Verify every sentence's citations (and, with `facts`, its numbers and names); fix what can be fixed, flag
    what cannot."""
    k = len(scorer.texts)
    checked = []
    names = [source_name(title) for title in scorer.titles]
    for sentence, cited in split_answer(text, names):
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
        missing = {n: unsupported_facts(sentence, scorer.texts[n - 1]) if facts else [] for n in range(1, k + 1)}
        backing = []
        for n in valid:
            if scores[n - 1] < threshold:
                result.notes.append(f"dropped [{n}]: that source does not support this sentence")
            elif missing[n]:
                result.notes.append(f"dropped [{n}]: {', '.join(missing[n])} not in that source")
            else:
                backing.append(n)
        best = max((i + 1 for i in range(k) if not missing[i + 1]), key=lambda n: scores[n - 1], default=None)
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
        result.citations = backing
        result.evidence = {n: scored[n - 1][1] for n in backing}
        result.supported = bool(backing)
        result.support = round(max((scores[n - 1] for n in backing), default=max(scores, default=0.0)), 3)
        checked.append(result)
    return checked
