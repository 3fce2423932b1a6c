"""Checkable facts in text: numbers with their units, and names (acronyms, model names, mixed letters and digits).

Similarity cannot tell "1.5 GB" from "100KB", so an answer sentence is also held to its facts: every number (with
its unit, when it has one) and every name it states must appear in a source that it cites. The same name test
tells whether a question asks about something the retrieved sources never mention ("AlphaFold 3", "FIFA").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

UNITS = {
    "%": "%", "percent": "%", "x": "x", "×": "x", "times": "x", "fold": "x",
    "k": "k", "thousand": "k", "m": "m", "million": "m", "b": "b", "billion": "b", "t": "t", "trillion": "t",
    "kb": "kb", "mb": "mb", "gb": "gb", "tb": "tb", "ms": "ms",
}  # fmt: skip
NUMBER = re.compile(
    r"(?<![\w.\-/])(\d+(?:,\d{3})*(?:\.\d+)?)\s?(\\?%|percent\b|×|x\b|times\b|-?fold\b|thousand\b|million\b|billion\b"
    r"|trillion\b|[kKmMbBtT][bB]?\b|[gG][bB]\b|ms\b)?",
    re.IGNORECASE,
)
TOKEN = re.compile(r"[A-Za-z0-9][\w\-.']*[A-Za-z0-9]|[A-Za-z0-9]")
MARKERS = re.compile(r"\s*\[(?:\d+(?:\s*[,;]\s*\d+)*|unverified)\]")
PRESENTS = re.compile(  # the verb or participle of a sentence that presents what the paper contributes
    r"\b((propos|introduc)(e|es|ed|ing)|(present|develop|design)(s|ed|ing)?|call(ed)?|name[ds]?|dubbed|termed)\b",
    re.IGNORECASE,
)
PRESENT_WINDOW = 8  # words after that verb within which the name must come ("we propose a novel optimizer, X")
RIVAL = re.compile(r"\b(than|vs|versus|over|beyond|against|like|without|beats?|outperforms?)\W*\S*\W*$", re.I)
PROPOSAL = re.compile(  # a sentence saying what the paper itself contributes, said any common way
    r"\b((we|this paper|this work)\b[^.;]{0,100}?\b(propose|introduce|present|develop|design)[sd]?\b|"
    r"we (call|name)\b|(called|named|dubbed|termed)\b|the key idea)",
    re.IGNORECASE,
)
NAMED_PAPER = re.compile(  # "the original ResNet paper", "the GPT-4 technical report": a paper asked for by name
    r"\bthe\s+(?:original\s+|first\s+)?((?:[^\s,;:?]+\s+){0,5}?[^\s,;:?]+)\s+(?:paper|technical report|report|"
    r"preprint|article)\b",
    re.IGNORECASE,
)
PAPER_THAT = re.compile(  # "which paper introduced the Adam optimizer": the paper of what follows
    r"\b(?:which|what)\s+(?:paper|work|article|preprint)\s+(?:first\s+)?(?:introduced|proposed|presented|described)"
    r"\b([^?]*)",
    re.IGNORECASE,
)
# Capitalised words that start questions or name nothing in particular.
COMMON = frozenset(
    "a an and are can compare could describe did do does explain for give has have how i if in is it list "
    "may might my of on or please should show summarise summarize tell the there these this those to was "
    "we were what when where which who whom whose why will with would you".split()
)


@dataclass(frozen=True)
class Number:
    """A number as written, its value without separators, and its unit ('' when it has none)."""

    text: str
    value: str
    unit: str


def numbers(text: str) -> list[Number]:
    """The numbers in `text` with normalised units.

    >>> [(n.value, n.unit) for n in numbers("It cut memory 2.78x and error by 72\\\\%, using 1,000 GPUs, 4-bit")]
    [('2.78', 'x'), ('72', '%'), ('1000', ''), ('4', '')]
    """
    found = []
    for match in NUMBER.finditer(MARKERS.sub(" ", text)):
        unit = (match.group(2) or "").lower().lstrip("\\-")
        found.append(Number(match.group(0).strip(), match.group(1).replace(",", ""), UNITS.get(unit, "")))
    return found


def is_name(token: str, first: bool = False) -> bool:
    """A token that names something specific: two capitals (LLaVA, GPT), letters with digits (CIFAR-10, 13B),
    or a capitalised word that does not start the sentence (Tencent)."""
    letters = sum(c.isalpha() for c in token)
    if not letters or token.lower() in UNITS:
        return False
    if sum(c.isupper() for c in token) >= 2 or (letters < len(token.replace("-", "").replace(".", "")) and letters):
        return not token.replace("-", "").isdigit()
    return token[0].isupper() and not first and token.lower() not in COMMON


def distinctive(name: str) -> bool:
    """A name no plain word spells: two capitals or a digit among its letters ("HoME", "S2-Attention", "GPT-4"),
    unlike a capitalised word ("Zoology", "Hydra").

    >>> distinctive("HoME"), distinctive("S2-Attention"), distinctive("Zoology")
    (True, True, False)
    """
    return any(c.isalpha() for c in name) and (sum(c.isupper() for c in name) >= 2 or any(c.isdigit() for c in name))


def _tokens(text: str) -> Iterator[tuple[str, bool, bool]]:
    """Every word of `text` as (token, whether it starts its sentence, whether it follows the previous token after
    exactly one space); trailing dots and apostrophes and a possessive 's are stripped, citation markers skipped."""
    for sentence in re.split(r"(?<=[.!?])\s+", MARKERS.sub(" ", text)):
        end = None
        for i, match in enumerate(TOKEN.finditer(sentence)):
            token = match.group(0).rstrip(".'")
            if token.endswith("'s"):
                token = token[:-2]
            yield token, i == 0, end is not None and sentence[end : match.start()] == " "
            end = match.start() + len(token)


def names(text: str, capitalised: bool = True) -> list[str]:
    """Names in `text` (sentence-initial words and common question words are not names).

    >>> names("Does LLaVA-1.5 beat GPT-4 on CIFAR-10 at Tencent? It does.")
    ['LLaVA-1.5', 'GPT-4', 'CIFAR-10', 'Tencent']
    >>> names("Which Transformer variant is faster?", capitalised=False)
    []
    """
    out = []
    for token, first, _ in _tokens(text):
        strong = sum(c.isupper() for c in token) >= 2 or any(c.isdigit() for c in token)
        if is_name(token, first) and (capitalised or strong) and token not in out:
            out.append(token)
    return out


def phrases(text: str) -> list[str]:
    """Names with the names that directly follow them joined into one ("the Block Transformer" is one thing to
    look for, not "Block" and "Transformer").

    >>> phrases("Compare the Combiner and the Block Transformer on Long Range Arena.")
    ['Combiner', 'Block Transformer', 'Long Range Arena']
    """
    runs: list[list[str]] = []
    after_name = False  # the previous token was a name
    for token, first, joined in _tokens(text):
        if not is_name(token, first):
            after_name = False
        elif after_name and joined:
            runs[-1].append(token)
        else:
            runs.append([token])
            after_name = True
    return list(dict.fromkeys(" ".join(run) for run in runs))


def holders(asked: list[str], texts: list[str]) -> dict[str, list[int]]:
    """For each asked name, the positions of the texts that mention it.

    >>> holders(["MUVERA", "Adam"], ["MUVERA beats Adam", "Adam is old"])
    {'MUVERA': [0], 'Adam': [0, 1]}
    """
    return {name: [i for i, text in enumerate(texts) if mentions(text, name)] for name in asked}


def sole_holder(asked: list[str], texts: list[str]) -> int | None:
    """The position of the one text that mentions every asked name, when exactly one does (None otherwise).

    >>> sole_holder(["HoME"], ["TimesNet models periods", "HoME fixes expert collapse"]), sole_holder([], ["x"])
    (1, None)
    """
    found = [i for i, text in enumerate(texts) if asked and all(mentions(text, name) for name in asked)]
    return found[0] if len(found) == 1 else None


def squash(text: str) -> str:
    """Lower-case with hyphens, dots, backslashes and apostrophes removed, for forgiving matching."""
    return re.sub(r"[\-.\\'’]", "", text.lower())


def mentions(source: str, name: str) -> bool:
    """Whether `source` mentions `name` (case, hyphens and a plural s do not matter).

    >>> mentions("we train MLP models on CIFAR10", "MLPs"), mentions("we use CIFAR10", "CIFAR-10")
    (True, True)
    """
    haystack = squash(source)
    needle = squash(name)
    return needle in haystack or (needle.endswith("s") and len(needle) > 3 and needle[:-1] in haystack)


def mentions_name(source: str, name: str) -> bool:
    """Whether `source` mentions `name`, a hyphenated word judged by its name-like parts: "sub-1B", "RNN-like" or
    "Diffusion-style" name "1B", "RNN" and "Diffusion"; an affixed part that is only a number ("4-bit") names nothing.

    >>> mentions_name("formulated as an RNN", "RNN-like"), mentions_name("formulated as an RNN", "RNN-T")
    (True, False)
    """
    if mentions(source, name):
        return True
    parts = [part for part in name.split("-") if part]
    core = [part for part in parts if not part.islower()]
    if len(core) == len(parts):  # no affix: "GPT-4" or "RNN-T" is a name of its own
        return False
    return not core or all(p.isdigit() for p in core) or all(mentions(source, p) for p in core)


def unknown_names(question: str, known: str) -> list[str]:
    """The names in a question that the text `known` (the retrieved titles and abstracts) never mentions, each
    judged by `mentions_name`.

    >>> unknown_names("Is the sub-1B Diffusion-style model from Tokyo?", "a Diffusion model with 1B parameters")
    ['Tokyo']
    """
    return [name for name in names(question) if not mentions_name(known, name)]


def asked_papers(question: str) -> list[str]:
    """The names of the papers a question asks for as papers of their own, not as topics.

    >>> asked_papers("What top-5 error did the original ResNet paper report on ImageNet?")
    ['ResNet']
    >>> asked_papers("Which paper introduced the Adam optimizer and who wrote it?")
    ['Adam']
    >>> asked_papers("How do Stable-SPAM and the gradient noise paper each make training more stable?")
    []
    """
    spans = [m.group(1) for m in NAMED_PAPER.finditer(question)] + [m.group(1) for m in PAPER_THAT.finditer(question)]
    return [p for p in phrases(question) if any(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", s) for s in spans)]


def as_word(name: str) -> re.Pattern[str]:
    """`name` as a whole word: not inside a longer word or a hyphenated one ('ResNet' is not in 'Inception-ResNet')."""
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])", re.IGNORECASE)


def own_paper(name: str, title: str, sentences: list[str]) -> bool:
    """Whether a paper is `name`'s own, not one that only mentions it: its title names it as a word of its own (not
    inside "Inception-ResNet", not after "than" or "vs"), or one of its sentences presents it within a few words
    ("we present Hydra, ...", "a network, named DEep Stable Multi-Interest Learning (DESMIL)").

    >>> own_paper("Adam", "Stable-SPAM: How to Train in 4-Bit More Stably than 16-Bit Adam", [])
    False
    >>> own_paper("ResNet", "Inception-v4, Inception-ResNet and the Impact of Residual Connections", [])
    False
    >>> own_paper("Zoology", "Zoology: Measuring and Improving Recall", [])
    True
    >>> own_paper("Kuaishou", "HoME: Hierarchy of Multi-Gate Experts for Multi-Task Learning at Kuaishou", [])
    True
    >>> own_paper("Hydra", "Positive pairs", ["We compare against ResNet.", "We present Hydra, a framework."])
    True
    """
    word = as_word(name)
    if any(not RIVAL.search(title[: found.start()]) for found in word.finditer(title)):
        return True
    for sentence in sentences:
        if PROPOSAL.search(sentence):
            for cue in PRESENTS.finditer(sentence):
                if word.search(" ".join(sentence[cue.end() :].split()[:PRESENT_WINDOW])):
                    return True
    return False


def has_number(source_numbers: list[Number], number: Number) -> bool:
    """Whether the source states `number`: the same value, and the same unit when the answer gives one."""
    return any(n.value == number.value and (not number.unit or n.unit == number.unit) for n in source_numbers)


def unsupported_facts(sentence: str, source: str) -> list[str]:
    """The numbers and names of `sentence` that `source` does not contain (empty: every fact is there).

    >>> unsupported_facts("It needs 1.5 GB with LoRA.", "It needs only 100KB of memory with LoRA.")
    ['1.5 GB']
    >>> unsupported_facts("It needs 100 KB with LoRA.", "It needs only 100KB of memory with LoRA.")
    []
    """
    source_numbers = numbers(source)
    missing = [n.text for n in numbers(sentence) if not has_number(source_numbers, n)]
    for name in names(sentence, capitalised=False):
        as_number = numbers(name)
        if len(as_number) == 1 and as_number[0].text == name:
            continue  # a size such as '13B' or '3.5x' is a number, checked above
        if not mentions_name(source, name) and name not in missing:
            missing.append(name)
    return missing


TITLE_BREAK = re.compile(r"\s*(?::|\?|\s-{1,2}\s|\u2014|\u2013\s)\s*")


def title_phrases(title: str, shortest: int = 3) -> list[str]:
    """The phrases that name a paper by its title, lower-cased words joined by spaces: the whole title and its
    parts around a colon, a spaced dash or a question mark, each of at least `shortest` words.

    >>> title_phrases("What comes after transformers? -- A selective survey connecting ideas in deep learning")
    ['what comes after transformers a selective survey connecting ideas in deep learning', \
'what comes after transformers', 'a selective survey connecting ideas in deep learning']
    >>> title_phrases("RevCol: Reversible Column Networks")
    ['revcol reversible column networks', 'reversible column networks']
    """
    parts = [title, *TITLE_BREAK.split(title)]
    found: list[str] = []
    for part in parts:
        words = re.findall(r"\w+", part.lower())
        phrase = " ".join(words)
        if len(words) >= shortest and phrase not in found:
            found.append(phrase)
    return found


def says_title(text: str, title: str) -> bool:
    """Whether the text names the paper by its title (or a part of it, `title_phrases`), case and punctuation aside.

    >>> says_title("What does the survey on what comes after transformers cover?", "What comes after "
    ...     "transformers? -- A selective survey connecting ideas in deep learning")
    True
    >>> says_title("What comes after the transformer?", "What comes after transformers? -- A survey")
    False
    """
    said = " " + " ".join(re.findall(r"\w+", text.lower())) + " "
    return any(f" {phrase} " in said for phrase in title_phrases(title))
