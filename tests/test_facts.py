"""Numbers and names held to the letter: what similarity cannot check."""

from __future__ import annotations

import pytest

from rag.facts import asked_papers, mentions, names, numbers, own_paper, phrases, unknown_names, unsupported_facts

ABSTRACT = (
    "We compress LLaVA-13B weights to 4-bit. Memory drops by 2.78x and generation is 1.44x faster, "
    "using only 100KB of extra storage on 8 GPUs."
)


@pytest.mark.parametrize(
    ("sentence", "missing"),
    [
        ("Memory drops by 2.78x with 4-bit weights.", []),
        ("Memory drops by 2.78 times.", []),  # the same unit in other words
        ("Memory drops by 3.5x.", ["3.5x"]),  # a changed number
        ("It needs 1.5 GB of extra storage.", ["1.5 GB"]),  # a changed number and unit
        ("It needs 100 KB of extra storage.", []),
        ("It runs on 8 GPUs.", []),
        ("It beats GPT-4 on LLaVA-13B.", ["GPT-4"]),  # a name the source never mentions
        ("It is a LLaVA-style model.", []),  # an affixed name is judged by its name-like part
        ("It is a GPT-style model.", ["GPT-style"]),
    ],
)
def test_unsupported_facts(sentence: str, missing: list[str]) -> None:
    assert unsupported_facts(sentence, ABSTRACT) == missing


def test_numbers_keep_their_units() -> None:
    assert [(n.value, n.unit) for n in numbers("72\\% error, 1.4 billion parameters, 13B model")] == [
        ("72", "%"),
        ("1.4", "b"),
        ("13", "b"),
    ]


def test_names_in_questions_skip_the_first_word_and_question_words() -> None:
    assert names("What does the AlphaFold 3 paper report about Tokyo?") == ["AlphaFold", "Tokyo"]
    assert names("Which optimizer beats Adam on LLaMA?") == ["Adam", "LLaMA"]
    assert names("How do transformers scale?") == []


def test_adjacent_names_are_one_phrase_to_look_for() -> None:
    assert phrases("Compare how the Combiner and the Block Transformer reduce the cost of attention.") == [
        "Combiner",
        "Block Transformer",
    ]
    assert phrases("Does Kuaishou's HoME beat MMoE?") == ["Kuaishou", "HoME", "MMoE"]  # a possessive ends a phrase
    assert phrases("How do transformers scale?") == []


def test_mentions_forgives_case_hyphens_and_plurals() -> None:
    assert mentions("Experiments on CIFAR10 with MLP models", "CIFAR-10")
    assert mentions("Experiments on CIFAR10 with MLP models", "MLPs")
    assert not mentions("Experiments on CIFAR10 with MLP models", "ImageNet")


def test_a_question_names_what_no_abstract_mentions_but_affixes_do_not_count() -> None:
    known = "Stable-SPAM trains LLaMA models in 4-bit; a compact embedder with less than 1B parameters."
    assert unknown_names("Does Stable-SPAM beat Adam on LLaMA in 4-bit?", known) == ["Adam"]
    assert unknown_names("How good is the sub-1B embedder?", known) == []
    assert unknown_names("How does GPT-4 compare?", known) == ["GPT-4"]


@pytest.mark.parametrize(
    ("question", "papers"),
    [
        ("What accuracy did the original AlexNet paper report on ImageNet?", ["AlexNet"]),
        ("What learning-rate schedule did the GPT-4 technical report use?", ["GPT-4"]),
        ("What context length does the Mistral 7B paper report?", ["Mistral 7B"]),
        ("Which paper introduced the Adam optimizer and who wrote it?", ["Adam"]),
        ("What did the Zoology paper find about efficient language models?", ["Zoology"]),
        ("What does the gradient noise paper say about Adam?", []),  # a topic, not a name
        ("Does Stable-SPAM beat Adam in 4-bit training?", []),  # names, but no paper asked for
        ("What does the paper on MUVERA guarantee?", []),
    ],
)
def test_a_paper_asked_for_by_name(question: str, papers: list[str]) -> None:
    assert asked_papers(question) == papers


def test_a_paper_is_the_named_one_by_its_title_or_its_own_proposal_not_by_citing_it() -> None:
    assert own_paper("Stable-SPAM", "Stable-SPAM: How to Train in 4-Bit More Stably than Adam", [])
    assert own_paper("Hydra", "Positive pairs for self-supervision", ["We present Hydra, a framework for pairs."])
    named = (
        "Based on this, we propose a novel multi-interest network, named DEep Stable Learning (DESMIL), which works."
    )
    assert own_paper("DESMIL", "Improving Multi-Interest Network with Stable Learning", [named])
    assert own_paper("Kuaishou", "HoME: Hierarchy of Multi-Gate Experts for Multi-Task Learning at Kuaishou", [])
    assert not own_paper("Adam", "Stable-SPAM: stable 4-bit training", ["It is more stable than Adam."])
    assert not own_paper("Adam", "How to Train in 4-Bit More Stably than 16-Bit Adam", [])  # a rival in the title
    assert not own_paper("ResNet", "Inception-v4, Inception-ResNet and Residual Connections", [])  # another model
    far = "We introduce the first benchmark AIMicius, where Sigma performs well across all tasks, beating GPT-4."
    assert not own_paper("GPT-4", "Sigma: an efficient model", [far])  # presented is AIMicius, not GPT-4
