"""The pipeline decides when to answer, quote or abstain (scripted LLM, real Chroma, deterministic embedder)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from rag import decide, prompts
from rag.config import Settings
from rag.pipeline import Pipeline
from rag.results import Answer
from tests.fakes import ScriptedLLM
from tests.test_pipeline import PAPERS, index_papers


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return index_papers(tmp_path).override(answer__quote_floor=0.45)  # hash similarities run lower than MiniLM's


def test_a_refusal_with_good_evidence_becomes_a_labelled_quote(settings: Settings) -> None:
    llm = ScriptedLLM([prompts.NO_ANSWER])
    answer = Pipeline(settings, llm=llm).ask("Which dataset do the molecular property experiments use?")
    assert answer.mode == decide.EXTRACTIVE and not answer.abstained
    assert answer.signals.refused and answer.signals.quote >= settings.answer.quote_floor
    label = prompts.QUOTED.format(why="the model found no answer in the sources")
    assert answer.answer == f"{label} \u201cExperiments use the QM9 dataset.\u201d [1]"
    assert answer.sources[0].paper_id == "gnn" and answer.sources[0].cited
    [sentence] = answer.sentences
    assert sentence.supported and sentence.citations == [1]
    assert "quoting the best-matching evidence" in answer.reason


def test_a_refusal_quotes_the_abstracts_when_the_model_was_shown_whole_abstracts(settings: Settings) -> None:
    llm = ScriptedLLM([prompts.NO_ANSWER])
    answer = Pipeline(settings, llm=llm).ask(
        "Which dataset do the molecular property experiments use?", context="abstracts"
    )
    assert answer.mode == decide.EXTRACTIVE
    label = prompts.QUOTED.format(why="the model found no answer in the sources")
    assert answer.answer == f"{label} \u201cExperiments use the QM9 dataset.\u201d [1]"


def test_a_refusal_with_weak_evidence_abstains(settings: Settings) -> None:
    strict = settings.override(answer__quote_floor=0.99, answer__topic_floor=0.0)  # the LLM is asked
    answer = Pipeline(strict, llm=ScriptedLLM([prompts.NO_ANSWER])).ask("What is the boiling point of water?")
    assert answer.mode == decide.ABSTAINED and answer.abstained
    assert answer.reason == "the model found no answer in the sources"
    assert not any(s.cited for s in answer.sources)


def test_the_model_refusal_is_final_when_the_pipeline_does_not_decide(settings: Settings) -> None:
    old = settings.override(answer__pipeline_decides=False)
    answer = Pipeline(old, llm=ScriptedLLM([prompts.NO_ANSWER])).ask(
        "Which dataset do the molecular property experiments use?"
    )
    assert answer.mode == decide.ABSTAINED


def test_an_off_topic_question_naming_what_no_source_mentions_abstains_before_the_llm(settings: Settings) -> None:
    loose = settings.override(retrieval__floor=0.0)  # retrieval alone would let it through
    llm = ScriptedLLM([])
    answer = Pipeline(loose, llm=llm).ask("Which team did Messi play for at the FIFA World Cup?")
    assert answer.abstained and answer.mode == decide.ABSTAINED
    assert answer.reason.startswith("no retrieved abstract mentions") and "FIFA" in answer.reason
    assert llm.history == [] and answer.sources == []


def test_a_paper_asked_for_by_name_that_is_only_cited_abstains_before_the_llm(settings: Settings) -> None:
    llm = ScriptedLLM([])
    pipeline = Pipeline(settings, llm=llm)
    assert "Adam" in " ".join(s.abstract for s in pipeline.retriever.search("Adam"))  # cited, so not a missing name
    answer = pipeline.ask("How stable was 4-bit training in the original Adam paper?")
    assert answer.abstained and answer.mode == decide.ABSTAINED and llm.history == []
    assert answer.signals.missing_papers == ["Adam"]
    assert answer.reason == "the Adam paper is not indexed (the retrieved abstracts only mention it)"
    own = ScriptedLLM(["Stable-SPAM is more stable than Adam under low precision [1]."])
    kept = Pipeline(settings, llm=own).ask("How stable is 4-bit training with Adam in the Stable-SPAM paper?")
    assert kept.signals.missing_papers == [] and len(own.history) == 1 and kept.mode == decide.GENERATED


def test_a_question_sharing_words_but_not_the_topic_abstains_before_the_llm(settings: Settings) -> None:
    loose = settings.override(retrieval__floor=0.0)  # retrieval alone would let it through
    question = "How do surface codes correct errors in quantum computers?"
    llm = ScriptedLLM([])
    answer = Pipeline(loose, llm=llm).ask(question)
    assert answer.abstained and answer.mode == decide.ABSTAINED and llm.history == []
    assert answer.reason == "no sentence of the retrieved abstracts is about the question"
    assert answer.signals.quote < loose.answer.topic_floor
    asked = ScriptedLLM(["Experiments use the QM9 dataset [1]."])
    on_topic = Pipeline(loose, llm=asked).ask("Which dataset do the molecular property experiments use?")
    assert on_topic.signals.quote >= loose.answer.topic_floor and len(asked.history) == 1


def test_a_changed_number_is_flagged_in_the_answer(settings: Settings) -> None:
    llm = ScriptedLLM(["The graph model improves accuracy by 50 percent [1]. It uses the QM9 dataset [1]."])
    answer = Pipeline(settings.override(answer__relevance_floor=0.0), llm=llm).ask(
        "What does the graph model achieve, and on which dataset?"
    )
    changed, right = answer.sentences
    assert not changed.supported and any("50 percent" in note for note in changed.notes)
    assert right.supported and right.citations == [1]
    assert answer.mode == decide.GENERATED
    assert "50 percent [unverified]" in answer.answer


def test_an_answer_whose_only_number_is_changed_passes_on_similarity_alone_without_the_fact_check(
    settings: Settings,
) -> None:
    reply = "Our graph model improves accuracy by 15 percent [1]."
    question = "How much does the graph model improve accuracy?"
    strict = settings.override(answer__quote_floor=0.99)
    checked = Pipeline(strict, llm=ScriptedLLM([reply])).ask(question)
    assert checked.mode == decide.ABSTAINED
    assert checked.reason == "no sentence of the generated answer is supported by the sources"
    unchecked = Pipeline(strict.override(answer__check_facts=False), llm=ScriptedLLM([reply])).ask(question)
    assert unchecked.mode == decide.GENERATED and unchecked.sentences[0].supported


def test_a_supported_answer_that_misses_the_question_gives_way_to_the_best_quote(settings: Settings) -> None:
    llm = ScriptedLLM(["The graph model improves accuracy by 50 percent [1]. It uses the QM9 dataset [1]."])
    answer = Pipeline(settings, llm=llm).ask("How much does the graph model improve accuracy?")
    assert answer.signals.supported == 1 and answer.signals.relevance < settings.answer.relevance_floor
    assert answer.mode == decide.EXTRACTIVE
    assert "\u201cOur model improves accuracy by 5 percent.\u201d [1]" in answer.answer


def test_a_quantity_question_answered_without_a_number_gets_the_quote(settings: Settings) -> None:
    llm = ScriptedLLM(["The graph model improves accuracy on molecular properties [1]."])
    answer = Pipeline(settings.override(answer__relevance_floor=0.0), llm=llm).ask(
        "How much does the graph model improve accuracy?"
    )
    assert answer.signals.wants_number and not answer.signals.has_number and answer.signals.cited_number
    assert answer.mode == decide.EXTRACTIVE and "5 percent" in answer.answer


def test_a_quantity_question_keeps_an_answer_in_words_when_the_cited_abstract_states_no_quantity(
    settings: Settings,
) -> None:
    # "What is aTLAS and how many parameters does it learn?" was refused: its abstract only says "a few"
    llm = ScriptedLLM(["Masked autoencoders learn visual features, and pretraining on ImageNet improves transfer [1]."])
    answer = Pipeline(settings.override(answer__relevance_floor=0.0), llm=llm).ask(
        "How much does masked pretraining help detection?"
    )
    assert answer.signals.wants_number and not answer.signals.has_number and not answer.signals.cited_number
    assert answer.mode == decide.GENERATED and answer.sources[answer.sentences[0].citations[0] - 1].paper_id == "vision"


def test_a_which_question_answered_without_a_name_gets_the_quote_that_names_it(settings: Settings) -> None:
    question = "Which dataset do the molecular property experiments use?"
    loose = settings.override(answer__relevance_floor=0.0, answer__min_novel=0)
    vague = Pipeline(loose, llm=ScriptedLLM(["The molecular property experiments use a dataset [1]."])).ask(question)
    assert vague.signals.supported and vague.signals.wants_name and not vague.signals.has_name
    assert vague.mode == decide.EXTRACTIVE and "QM9" in vague.answer
    assert vague.reason.startswith("the question asks which one and the verified answer names none")
    named = Pipeline(loose, llm=ScriptedLLM(["The experiments use the QM9 dataset [1]."])).ask(question)
    assert named.signals.has_name and named.mode == decide.GENERATED


UNNAMED = [
    {
        "id": "reid",
        "title": "Light attention for person re-identification",
        "abstract": "Attention blocks slow down inference on mobile robots. "
        "We propose a light attention block that keeps accuracy while barely slowing inference.",
    },
    {"id": "graphs", "title": "Graph networks for molecules", "abstract": "Graph networks predict molecules."},
]


def test_a_which_question_keeps_its_answer_when_the_quote_names_nothing_either(tmp_path: Path) -> None:
    # the attention block of "is there an attention block cheap enough for mobile robots?" has no name: the model's
    # answer gave way to a background sentence, which named nothing either
    loose = index_papers(tmp_path, UNNAMED).override(answer__relevance_floor=0.0, answer__quote_floor=0.1)
    reply = "Yes, a light attention block keeps accuracy while barely slowing inference [1]."
    answer = Pipeline(loose, llm=ScriptedLLM([reply])).ask("Is there an attention block cheap enough for robots?")
    assert answer.signals.wants_name and not answer.signals.has_name and not answer.signals.quote_names
    assert answer.mode == decide.GENERATED and "light attention block" in answer.answer


def test_an_answer_resting_only_on_papers_below_a_clear_leader_gives_way_to_the_quote(settings: Settings) -> None:
    question = "How is training made more stable than Adam in 4-bit precision?"
    off = ScriptedLLM(["Graph neural networks improve accuracy by 5 percent in training [2]."])
    answer = Pipeline(settings, llm=off).ask(question)
    assert answer.sources[0].paper_id == "spam" and answer.signals.leader == answer.signals.quote_from == 1
    assert answer.signals.supported == 1 and not answer.signals.cites_leader  # verified, but by the distractor
    assert answer.mode == decide.EXTRACTIVE and "cites none of the clearly leading paper [1]" in answer.reason
    label = prompts.QUOTED.format(why="the verified answer cites none of the clearly leading paper [1]")
    assert answer.answer == f"{label} \u201cIt is more stable than Adam under low precision.\u201d [1]"
    on = ScriptedLLM(["Stable-SPAM is more stable than Adam under low precision [1]."])
    kept = Pipeline(settings, llm=on).ask(question)
    assert kept.signals.cites_leader and kept.mode == decide.GENERATED


def test_a_which_answer_without_a_name_is_kept_when_no_quote_is_good_enough(settings: Settings) -> None:
    strict = settings.override(answer__relevance_floor=0.0, answer__min_novel=0, answer__quote_floor=0.99)
    answer = Pipeline(strict, llm=ScriptedLLM(["The molecular property experiments use a dataset [1]."])).ask(
        "Which dataset do the molecular property experiments use?"
    )
    assert answer.signals.supported and not answer.signals.has_name
    assert answer.mode == decide.GENERATED  # lower-case names ("weight decay") escape the test: never abstain on it


def test_an_answer_that_only_restates_the_question_is_not_kept_its_evidence_is_quoted(settings: Settings) -> None:
    llm = ScriptedLLM(["Yes, graph networks predict molecular properties [1]."])
    strict = settings.override(answer__relevance_floor=0.0, answer__quote_floor=0.99)  # above every quote
    answer = Pipeline(strict, llm=llm).ask("Is it true that graph networks predict molecular properties?")
    assert answer.signals.supported == 1 and answer.signals.novel < strict.answer.min_novel
    assert answer.mode == decide.EXTRACTIVE
    assert answer.reason.startswith("the generated answer only restates the question; quoting")
    # the label says why the model's answer was set aside: it was verified, so not "could not be verified"
    assert answer.answer.startswith("Quoted from the abstracts (the generated answer only restates the question):")
    assert answer.sources[0].paper_id == "gnn" and answer.sources[0].cited


def test_the_paper_name_standing_for_a_marker_is_not_news_a_restatement_stays_one(settings: Settings) -> None:
    llm = ScriptedLLM(["Yes, [1] shows that graph networks predict molecular properties."])
    strict = settings.override(answer__relevance_floor=0.0, answer__quote_floor=0.99)
    answer = Pipeline(strict, llm=llm).ask("Is it true that graph networks predict molecular properties?")
    assert answer.sentences and answer.signals.novel < strict.answer.min_novel  # "molecules" came with the name
    assert answer.reason.startswith("the generated answer only restates the question")


def test_a_restatement_is_quoted_below_the_quote_floor_but_a_refusal_is_not() -> None:
    rules = decide.Rules(quote_floor=0.7, topic_floor=0.45)
    restates = decide.Signals(retrieved=True, supported=1, relevance=0.95, novel=1, quote=0.6)
    assert decide.after_llm(restates, rules)[0] == decide.EXTRACTIVE
    assert decide.after_llm(decide.Signals(retrieved=True, refused=True, quote=0.6), rules)[0] == decide.ABSTAINED
    assert decide.after_llm(decide.Signals(retrieved=True, supported=0, quote=0.6), rules)[0] == decide.ABSTAINED
    assert decide.after_llm(restates, decide.Rules(quote_floor=0.7, extractive=False))[0] == decide.ABSTAINED


def test_an_answer_avoiding_the_clear_leader_gets_its_quote_below_the_quote_floor() -> None:
    rules = decide.Rules(quote_floor=0.7, topic_floor=0.45)
    avoids = decide.Signals(retrieved=True, supported=1, relevance=0.8, novel=4, leader=1, quote=0.6, quote_from=1)
    assert decide.after_llm(avoids, rules)[0] == decide.EXTRACTIVE
    elsewhere = decide.Signals(retrieved=True, supported=1, relevance=0.8, novel=4, leader=1, quote=0.6, quote_from=2)
    assert decide.after_llm(elsewhere, rules)[0] == decide.GENERATED  # the best sentence is not the leader's
    weak = decide.Signals(retrieved=True, supported=1, relevance=0.8, novel=4, leader=1, quote=0.4, quote_from=1)
    assert decide.after_llm(weak, rules)[0] == decide.GENERATED  # off topic: the answer is kept, never declined


def test_a_number_is_news_an_answer_that_only_adds_the_asked_number_is_kept(settings: Settings) -> None:
    llm = ScriptedLLM(["The graph model improves accuracy by 5 percent [1]."])
    answer = Pipeline(settings.override(answer__relevance_floor=0.0), llm=llm).ask(
        "By how much does the graph model improve accuracy?"
    )
    assert answer.signals.novel >= settings.answer.min_novel  # "5" is what the question asked for
    assert answer.mode == decide.GENERATED


@pytest.mark.parametrize(
    ("signals", "mode"),
    [
        (decide.Signals(retrieved=True, supported=2, relevance=0.6, novel=5, quote=0.7), decide.GENERATED),
        (decide.Signals(retrieved=True, supported=2, relevance=0.6, novel=1, quote=0.2), decide.ABSTAINED),
        (decide.Signals(True, supported=1, relevance=0.6, novel=4, wants_number=True, quote=0.8), decide.EXTRACTIVE),
        (decide.Signals(True, supported=1, relevance=0.6, novel=4, wants_name=True, quote=0.8), decide.EXTRACTIVE),
        (decide.Signals(True, supported=1, relevance=0.6, novel=4, wants_name=True, quote=0.3), decide.GENERATED),
        (
            decide.Signals(True, supported=1, relevance=0.6, novel=4, leader=1, quote=0.8, quote_from=1),
            decide.EXTRACTIVE,
        ),
        (
            decide.Signals(True, supported=1, relevance=0.6, novel=4, leader=1, quote=0.8, quote_from=2),
            decide.GENERATED,
        ),
        (
            decide.Signals(True, supported=1, relevance=0.6, novel=4, leader=1, quote=0.3, quote_from=1),
            decide.GENERATED,
        ),
        (
            decide.Signals(True, supported=1, relevance=0.6, novel=4, leader=1, cites_leader=True, quote=0.8),
            decide.GENERATED,
        ),
        (decide.Signals(retrieved=True, refused=True, quote=0.7), decide.EXTRACTIVE),
        (decide.Signals(retrieved=True, refused=True, quote=0.2), decide.ABSTAINED),
        (decide.Signals(retrieved=True, supported=0, quote=0.7), decide.EXTRACTIVE),
        (decide.Signals(retrieved=True, supported=1, relevance=0.05, quote=0.2), decide.ABSTAINED),
    ],
)
def test_the_decision_after_generation(signals: decide.Signals, mode: str) -> None:
    assert decide.after_llm(signals, decide.Rules(relevance_floor=0.2, quote_floor=0.45))[0] == mode


def test_the_decision_before_generation() -> None:
    rules = decide.Rules()
    assert decide.before_llm(decide.Signals(retrieved=False), rules) == "no indexed abstract is relevant enough"
    assert "Tokyo" in (decide.before_llm(decide.Signals(retrieved=True, missing_names=["Tokyo"]), rules) or "")
    assert "AlexNet" in (decide.before_llm(decide.Signals(retrieved=True, missing_papers=["AlexNet"]), rules) or "")
    off_topic = decide.Signals(retrieved=True, quote=rules.topic_floor - 0.01)
    assert decide.before_llm(off_topic, rules) == "no sentence of the retrieved abstracts is about the question"
    assert decide.before_llm(decide.Signals(retrieved=True, quote=rules.topic_floor), rules) is None
    assert decide.before_llm(off_topic, decide.Rules(pipeline_decides=False)) is None


def ask_with_reply(settings: Settings, question: str, reply: str) -> tuple[Answer, dict[str, int]]:
    """Ask once to learn each paper's source number (by its id), then again with the model replying `reply`, its
    `{paper_id}` fields filled in with those numbers: the answer and the numbers."""
    llm = ScriptedLLM([prompts.NO_ANSWER])
    pipeline = Pipeline(settings, llm=llm)
    numbers = {s.paper_id: s.n for s in pipeline.ask(question).sources}
    llm.enqueue(reply.format(**numbers))
    return pipeline.ask(question), numbers


CODED = [
    {**PAPERS[0], "abstract": PAPERS[0]["abstract"] + " Code is available at github.com/spam/spam."},
    {**PAPERS[1], "abstract": PAPERS[1]["abstract"] + " Code is available at github.com/gnn/gnn."},
]
OPTIMIZER = "Which optimizer is more stable than Adam for 4-bit training?"
CLAIM = "Stable-SPAM is more stable than Adam under low precision [{spam}]."


def test_a_link_to_another_papers_code_is_left_out_of_the_answer(tmp_path: Path) -> None:
    answer, _ = ask_with_reply(
        index_papers(tmp_path, CODED), OPTIMIZER, CLAIM + " Code is at github.com/gnn/gnn [{gnn}]."
    )
    assert [s.text for s in answer.sentences] == ["Stable-SPAM is more stable than Adam under low precision."]


def test_a_link_to_the_code_of_the_paper_the_answer_is_about_stays(tmp_path: Path) -> None:
    reply = CLAIM + " Code is at github.com/spam/spam [{spam}]."
    answer, _ = ask_with_reply(index_papers(tmp_path, CODED), OPTIMIZER, reply)
    assert len(answer.sentences) == 2 and all(s.supported for s in answer.sentences)


def test_a_link_to_code_stays_when_the_question_asks_for_code(tmp_path: Path) -> None:
    question = "Where is the code of the optimizer that is more stable than Adam for 4-bit training?"
    answer, _ = ask_with_reply(
        index_papers(tmp_path, CODED), question, CLAIM + " Code is at github.com/gnn/gnn [{gnn}]."
    )
    assert len(answer.sentences) == 2 and all(s.supported for s in answer.sentences)


RESTATED = [
    {
        "id": "survey",
        "title": "Is it true that graph networks predict molecular properties?",
        "abstract": "It is asked whether it is true that graph networks predict molecular properties. "
        "We survey the open questions.",
    },
    {
        "id": "gnn",
        "title": "Graph networks for molecules",
        "abstract": "Graph networks predict molecular properties from bonds. Experiments use the QM9 dataset.",
    },
]


def test_a_restatement_is_quoted_from_the_paper_it_cited_not_from_one_that_shares_more_words(tmp_path: Path) -> None:
    strict = index_papers(tmp_path, RESTATED).override(answer__relevance_floor=0.0, answer__quote_floor=0.99)
    question = "Is it true that graph networks predict molecular properties?"
    answer, numbers = ask_with_reply(strict, question, "Yes, graph networks predict molecular properties [{gnn}].")
    assert answer.signals.quote_from == numbers["survey"]  # the sentence closest to the question is the survey's
    assert answer.mode == decide.EXTRACTIVE and decide.set_aside(answer.reason) == decide.RESTATES
    assert {n for s in answer.sentences for n in s.citations} == {numbers["gnn"]}  # what the model's answer cited
    assert "from bonds" in answer.answer


KERNELS = [
    {
        "id": "ntk",
        "title": "Tangent kernels of wide networks",
        "abstract": "The tangent kernel stays constant during training in the infinite width limit. "
        "It describes how wide networks generalize.",
    },
    {
        "id": "limits",
        "title": "Feature learning beyond kernels",
        "abstract": "Networks in the kernel regime cannot learn features. "
        "The kernel moves during training at finite width.",
    },
]


def test_a_restatement_is_quoted_from_the_paper_that_supports_it_best_when_the_cited_one_only_passed(
    tmp_path: Path,
) -> None:
    # "The NTK remains constant during training [2]" passed on a paper about the NTK's limits (0.55 against
    # 0.77): the quote came from that paper, not from the one saying "it stays constant during training"
    lenient = index_papers(tmp_path, KERNELS).override(
        answer__relevance_floor=0.0, answer__support_threshold=0.05, answer__reattribute_margin=1.0
    )
    question = "Does the tangent kernel stay constant during training?"
    answer, numbers = ask_with_reply(
        lenient, question, "Yes, the tangent kernel stays constant during training [{limits}]."
    )
    assert answer.mode == decide.EXTRACTIVE and decide.set_aside(answer.reason) == decide.RESTATES
    assert {n for s in answer.sentences for n in s.citations} == {numbers["ntk"]}
    assert "stays constant during training" in answer.answer


NAMED = [
    {
        "id": "simq",
        "title": "SimQ-NAS: Simultaneous Quantization Policy and Neural Architecture Search",
        "abstract": "SimQ-NAS searches quantization policies and architectures together. "
        "Its best quantized network gets 78.9% top-1 at four bits.",
    },
    {
        "id": "nasnet",
        "title": "Learning Transferable Architectures for Scalable Image Recognition",
        "abstract": "We search architectures on a small dataset and transfer them. "
        "NASNet reaches an accuracy of 82.7% top-1 on ImageNet.",
    },
]


def test_a_quote_about_a_named_model_comes_from_that_models_own_paper(tmp_path: Path) -> None:
    strict = index_papers(tmp_path, NAMED).override(answer__quote_floor=0.3, answer__topic_floor=0.25)
    question = "What accuracy does SimQ-NAS reach on ImageNet?"
    answer = Pipeline(strict, llm=ScriptedLLM([prompts.NO_ANSWER])).ask(question)
    numbers = {s.paper_id: s.n for s in answer.sources}
    assert answer.signals.quote_from == numbers["nasnet"]  # the sentence closest to the question is NASNet's
    assert answer.mode == decide.EXTRACTIVE
    assert {n for s in answer.sentences for n in s.citations} == {numbers["simq"]}
    assert "78.9%" in answer.answer and "82.7%" not in answer.answer


def test_a_short_name_answering_which_paper_is_the_answer_not_a_restatement(tmp_path: Path) -> None:
    strict = index_papers(tmp_path, NAMED).override(answer__quote_floor=0.3)
    question = "Which paper searches quantization policies and architectures together?"
    reply = "The paper that searches quantization policies and architectures together is SimQ-NAS [{simq}]."
    answer, numbers = ask_with_reply(strict, question, reply)
    assert answer.signals.novel < strict.answer.min_novel and answer.signals.has_name
    assert answer.mode == decide.GENERATED
    assert answer.answer == reply.format(**numbers)


def test_a_question_about_the_paper_it_names_is_not_held_to_the_similarity_floors() -> None:
    """ "What are the three anomalies that HoME found?": the embedding model makes little of "HoME", so no sentence
    and no answer is similar to the question, though the paper it names leads BM25 and answers it."""
    rules = decide.Rules(relevance_floor=0.2, quote_floor=0.7, topic_floor=0.45)
    before = decide.Signals(retrieved=True, quote=0.2)
    assert decide.before_llm(before, rules) == "no sentence of the retrieved abstracts is about the question"
    assert decide.before_llm(replace(before, named=True), rules) is None
    answer = decide.Signals(retrieved=True, supported=4, relevance=0.17, novel=59, leader=1, quote=0.2, named=True)
    assert decide.after_llm(replace(answer, cites_leader=True), rules)[0] == decide.GENERATED
    assert decide.after_llm(answer, rules)[0] == decide.ABSTAINED  # an answer from other papers is held to it
