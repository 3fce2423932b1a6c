"""An answer's [n] markers: sentences with the sources they cite, a marker standing for a paper's name, lists.

Small models cite in many shapes ("[2] proposes ...", "as shown in [1], ...", "LFS-GAN, proposed in [1], ...",
one item per line); `split_pieces` turns each into plain sentences (or clauses) and the numbers they cite, which
`rag.citations` then checks against the sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.facts import as_word
from rag.sentences import split_sentences

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
LEADING = re.compile(r"(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+")
CONJUNCTIONS = r"(?:and|while|whereas|but)"  # the words that open a clause of its own
# Markers closing a clause that another clause follows: "A [1], B [2]", "X does A [1], while Y does B [2]".
CLAUSE_END = re.compile(
    rf"(?P<marks>(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)(?P<sep>\s*[,;]\s*|\s+(?={CONJUNCTIONS}\s))(?=\S)"
)
ENDS_CITED = re.compile(r"\]\s*[.!?]?\s*$")
# Markers standing as a sentence's subject: "[2] proposes ...", "[1] and [3] use ...", "Yes, [1] discusses ...".
SUBJECT = re.compile(
    r"(?P<pre>\s*(?:(?i:yes|no|indeed)\s*,\s*)?)(?P<marks>(?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*(?:,|and|&)?\s*)+)(?=[a-z])"
)
# A marker standing as the object of a preposition inside a sentence: "as shown in [1], ...", "In [2] the ...", or
# for the paper after the word "paper": "The paper [1] uses HSIC ...", "Both [1] and [3] are about ...", "GLA [1]
# and [3] are about ..." (at the sentence's end, "is proposed in [1].", the marker still reads as the object where
# it is shown)
OBJECT = re.compile(
    r"\b(?P<prep>in|by|from|see|both|and|papers?|works?|stud(?:y|ies)|articles?)\s+"
    r"(?P<marks>\[\d+(?:\s*[,;]\s*\d+)*\](?:\s*(?:,\s*(?:and\s+)?|and\s+)\[\d+\])*)(?=\s*,|\s+[a-z])",
    re.IGNORECASE,
)
# ... or inside an aside that names where the sentence's subject comes from: "LFS-GAN, proposed in [1], can ..."
ASIDE = re.compile(r",\s*(?:as\s+)?(?:[a-z]+ed\s+)?(?:in|by)\s+(?P<marks>\[\d+\])\s*,", re.IGNORECASE)
# A conjunction left at a sentence's end once its markers are gone: "It uses A [1] and [2]."
DANGLING = re.compile(r"\s*,?\s+(?:and|or)([.!?]?)$", re.IGNORECASE)
CONJUNCTION = re.compile(rf"^\s*{CONJUNCTIONS}\b", re.IGNORECASE)  # a clause's opening word
# A list answer's shape: bullets and numbers opening a line, and items that carry their marker on both sides.
BULLET = re.compile(r"^[ \t]*(?:[-*\u2022]|\d{1,2}[.)])[ \t]+", re.MULTILINE)
# (not when the sentence goes on after the second marker: "[1] A priori compression ... [1] compresses filters.")
ITEM = re.compile(r"\[(\d+)\][ \t]*([A-Z0-9\"\u201c][^\[\]\n]*?)[ \t]*\[\1\](?![ \t]+[a-z])[ \t]*\.?")


@dataclass
class Piece:
    """One answer sentence (or clause) without its markers, the sources it cites, and the words that each marker
    inside it follows."""

    text: str
    cited: list[int]
    parts: dict[int, str] = field(default_factory=dict)  # a marker inside the sentence -> the words it cites


def split_answer(text: str, names: list[str] | None = None) -> list[tuple[str, list[int]]]:
    """(sentence, cited numbers) of each piece of `split_pieces`.

    >>> split_answer("Adam diverges [2]. SPAM fixes it. [1][3] Done.")
    [('Adam diverges.', [2]), ('SPAM fixes it.', [1, 3]), ('Done.', [])]
    """
    return [(piece.text, piece.cited) for piece in split_pieces(text, names)]


def split_pieces(text: str, names: list[str] | None = None) -> list[Piece]:
    """Answer sentences with their cited numbers; a run of markers after the full stop belongs to that sentence.

    A marker that is a sentence's subject ("[2] proposes HoME.", "Yes, [1] discusses ...") is replaced by its
    source's name from `names` (sources 1..k), so the sentence keeps its subject instead of starting with the verb;
    one after a preposition inside the sentence ("as shown in [1], ...") gets the name before it.

    >>> split_answer("[1] proposes SPAM. [2] targets memory.", names=["Stable-SPAM", "GaLore"])
    [('Stable-SPAM proposes SPAM.', [1]), ('GaLore targets memory.', [2])]
    >>> split_answer("Yes, [1] discusses cost models. In [2], they are shown.", names=["MLIR", "GaLore"])
    [('Yes, MLIR discusses cost models.', [1]), ('In GaLore, they are shown.', [2])]
    >>> split_answer("LFS-GAN, proposed in [1], can generate images.", names=["LFS-GAN"])
    [('LFS-GAN can generate images.', [1])]
    """
    text = as_sentences(text)
    pieces: list[Piece] = []
    for a, b in split_sentences(text):
        raw = text[a:b]
        lead = LEADING.match(raw)
        subject = SUBJECT.match(raw)
        cited = _numbers(subject.group("marks")) if subject else []
        if subject and (name := _name(cited, names or [])):
            raw = "".join(f"[{n}]" for n in cited) + f"{subject.group('pre')}{name} {raw[subject.end() :]}"
        elif lead and pieces:  # markers after the previous sentence's full stop belong to it
            _extend(pieces[-1].cited, _numbers(lead.group(0)))
            raw = raw[lead.end() :]
        raw = ASIDE.sub(lambda m, said=raw: _aside(m, said, names or []), raw)
        raw = OBJECT.sub(lambda m: _object(m, names or []), raw)
        for clause in split_clauses(raw):
            clean = re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", clause)).strip()
            clean = DANGLING.sub(r"\1", clean)  # "It uses A [1] and [2]." reads "It uses A.", citing both
            if clean.strip(".,;: "):
                pieces.append(Piece(clean, _extend([], _numbers(clause)), inner_parts(clause)))
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
    >>> as_sentences("[1] Wave CNN compression [1] shrinks filters.")
    '[1] Wave CNN compression [1] shrinks filters.'
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
    if any(not CONJUNCTION.sub("", MARKER.sub("", c)).strip(".,;: ") for c in clauses[1:]):
        return [sentence]  # "A [1] and [2]." cites both for A: no clause of its own after the first
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
    """ "in [1]" as "in HoME [1]", "the paper [1] uses" as "the paper DESMIL [1] uses", "both [1] and [3]" as "both
    HoME [1] and MMoE [3]": each paper's name before its marker (the marker alone when it has none)."""
    named = MARKER.sub(lambda m: f" {_name(_numbers(m.group(0)), names)} [{m.group(1)}]", " " + match["marks"])
    return f"{match['prep']} {' '.join(named.split())}"


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


def inner_parts(sentence: str) -> dict[int, str]:
    """In a sentence with markers inside it, the words each run of markers follows, back to the run before it
    (empty for a sentence cited only at its end: its markers cite all of it).

    >>> inner_parts("A dual-mask technique [2] is added to the cascade model [3].")
    {2: 'A dual-mask technique', 3: 'is added to the cascade model'}
    >>> inner_parts("HoME [1], MMoE [2][3] and PLE use gates [4].")
    {1: 'HoME', 2: 'MMoE', 3: 'MMoE', 4: 'and PLE use gates'}
    >>> inner_parts("HoME and MMoE use gates [1][2].")
    {}
    """
    runs = list(LEADING.finditer(sentence))
    if len(runs) < 2 or not MARKER.sub("", sentence[: runs[0].start()]).strip():
        return {}  # cited at the end only, or a subject marker ("[1] proposes ...") that names the whole claim
    parts: dict[int, str] = {}
    start = 0
    for run in runs:
        words = MARKER.sub("", sentence[start : run.start()]).strip(" .,;:")
        for n in _numbers(run.group(0)) if words else []:
            parts.setdefault(n, words)
        start = run.end()
    return parts
