"""The adaptive evidence budget (a clear leader gets most of the words; close papers share them) and the quote."""

from __future__ import annotations

from dataclasses import replace

from rag.evidence import (
    PROPOSAL,
    Budget,
    asks_quantity,
    asks_several,
    choose,
    clear_leader,
    comparison,
    relevance,
)
from rag.quotes import best_sentences, from_subject
from rag.results import Evidence, Source


def source(
    n: int, scores: list[float], dense: float | None, bm25: float | None, texts: list[str] | None = None
) -> Source:
    texts = texts or [f"s{n}-{i} " + "word " * 9 for i in range(len(scores))]  # 10 words each
    evidence = [Evidence(t, i * 100, i * 100 + 50, sc) for i, (t, sc) in enumerate(zip(texts, scores))]
    return Source(n, f"p{n}", f"T{n}", [], "", "", " ".join(texts), evidence, 0.0, dense=dense, bm25=bm25)


def test_a_clear_leader_gets_its_sentences_within_the_lead_budget_and_others_their_best() -> None:
    sources = [
        source(1, [0.5, 0.6, 0.7, 0.4], 0.8, 9.0),
        source(2, [0.3, 0.2], 0.6, 5.0),
        source(3, [0.1, 0.4], 0.5, 4.0),
    ]
    assert clear_leader(sources, margin=0.06)
    chosen = choose("q", sources, Budget(spread_words=20, lead_words=30, lead_margin=0.06))
    assert [len(chosen[n]) for n in (1, 2, 3)] == [3, 1, 1]
    assert [e.score for e in chosen[1]] == [0.5, 0.6, 0.7]  # the three best, in reading order
    assert chosen[3][0].score == 0.4


def test_beside_a_clear_leader_the_others_can_be_left_out() -> None:
    sources = [
        source(1, [0.5, 0.6, 0.7, 0.4], 0.8, 9.0),
        source(2, [0.3, 0.2], 0.6, 5.0),
        source(3, [0.1, 0.4], 0.5, 4.0),
    ]
    alone = choose("q", sources, Budget(spread_words=20, lead_words=30, lead_margin=0.06, others=False))
    assert [len(alone[n]) for n in (1, 2, 3)] == [3, 0, 0]  # the leader's words are what they were
    close = [source(1, [0.2, 0.9], 0.61, 5.0), source(2, [0.8, 0.1], 0.60, 7.0)]
    spread = choose("q", close, Budget(spread_words=40, lead_words=200, lead_margin=0.06, others=False))
    assert all(spread.values())  # without a clear leader every source is still shown


def test_close_papers_share_the_budget_best_sentences_first() -> None:
    sources = [source(1, [0.2, 0.9], 0.61, 5.0), source(2, [0.8, 0.1], 0.60, 7.0), source(3, [0.5, 0.4], 0.58, 3.0)]
    assert not clear_leader(sources, margin=0.06)  # BM25 and the dense side disagree, and no dense margin
    chosen = choose("q", sources, Budget(spread_words=40, lead_words=200, lead_margin=0.06))
    assert [len(chosen[n]) for n in (1, 2, 3)] == [2, 1, 1]  # each source's best (30 words), then one more
    tiny = choose("q", sources, Budget(spread_words=0, lead_words=0, lead_margin=0.06))
    assert all(len(v) == 1 for v in tiny.values())  # the best sentence of each source is always kept


def test_a_comparison_of_papers_the_leader_does_not_name_is_spread() -> None:
    lead = source(1, [0.5, 0.6, 0.7], 0.8, 9.0, ["MUVERA reduces search.", "It uses FDE.", "It is fast."])
    other = source(2, [0.3, 0.2], 0.6, 5.0, ["NV-Embed trains an LLM embedder.", "It uses latent attention."])
    assert clear_leader([lead, other], margin=0.06, question="How does MUVERA work?")
    assert not clear_leader([lead, other], margin=0.06, question="Compare MUVERA and NV-Embed.")


def test_a_comparison_spends_the_words_on_the_papers_it_names() -> None:
    lead = source(1, [0.5, 0.6, 0.7], 0.70, 9.0, ["MUVERA reduces search.", "It uses FDE.", "It is fast."])
    named = source(2, [0.3, 0.2, 0.1], 0.69, 8.0, ["NV-Embed trains an LLM.", "It pools.", "It ranks first."])
    other = source(3, [0.6, 0.5, 0.4], 0.68, 7.0, ["Dense retrieval is common.", "Survey.", "More."])
    chosen = choose("Compare MUVERA and NV-Embed.", [lead, named, other], Budget(100, 100, 0.06))
    assert [len(chosen[n]) for n in (1, 2, 3)] == [3, 3, 1]


def test_a_comparison_shares_the_words_equally_and_gives_what_each_paper_proposes() -> None:
    long_best = "MUVERA reaches " + "very " * 40 + "good recall."  # 44 words, the best match for the question
    lead = source(1, [0.9, 0.5, 0.4], 0.70, 9.0, [long_best, "We introduce MUVERA with FDEs.", "MUVERA is fast."])
    named = source(2, [0.6, 0.3, 0.2], 0.69, 8.0, ["NV-Embed ranks first.", "We propose latent attention.", "Ok."])
    other = source(3, [0.7, 0.6], 0.68, 7.0, ["Dense retrieval is common.", "Surveys help."])
    chosen = choose("Compare MUVERA and NV-Embed.", [lead, named, other], Budget(100, 20, 0.06))
    assert [e.text for e in chosen[1]] == ["We introduce MUVERA with FDEs.", "MUVERA is fast."]  # 10 words each
    assert [e.text for e in chosen[2]] == ["NV-Embed ranks first.", "We propose latent attention.", "Ok."]
    assert [e.text for e in chosen[3]] == ["Dense retrieval is common."]


def test_a_comparison_can_have_a_budget_of_its_own() -> None:
    """The lead budget's 20 words leave each compared paper 10: MUVERA's mechanism (its second sentence) is left
    out. 16 words for each compared paper fit it, and the source the question does not name still gets one
    sentence; a cap on the comparison's total words is shared equally."""
    fde = "It builds fixed dimensional encodings of queries."  # 7 words
    lead = source(1, [0.9, 0.5, 0.4], 0.70, 9.0, ["We introduce MUVERA for search.", fde, "Fast."])
    named = source(2, [0.6, 0.3], 0.69, 8.0, ["We propose NV-Embed pooling.", "It uses latent attention."])
    other = source(3, [0.7, 0.6], 0.68, 7.0, ["Dense retrieval is common.", "Surveys help."])
    question = "Compare MUVERA and NV-Embed."
    split = choose(question, [lead, named, other], Budget(100, 20, 0.06))
    floor = choose(question, [lead, named, other], Budget(100, 20, 0.06, compare_words=16))
    capped = choose(question, [lead, named, other], Budget(100, 20, 0.06, compare_words=16, compare_total=20))
    assert [e.text for e in split[1]] == ["We introduce MUVERA for search.", "Fast."]
    assert [e.text for e in floor[1]] == ["We introduce MUVERA for search.", fde, "Fast."]
    assert [e.text for e in floor[2]] == ["We propose NV-Embed pooling.", "It uses latent attention."]
    assert [e.text for e in floor[3]] == ["Dense retrieval is common."]
    assert capped == split


def test_a_comparison_leaves_out_code_links() -> None:
    texts = ["We propose ULSAM.", "Code is at https://github.com/x/ulsam.", "ULSAM is small."]
    ulsam = source(1, [0.5, 0.9, 0.4], 0.70, 9.0, texts)
    halo = source(2, [0.5, 0.4], 0.69, 8.0, ["We develop HaloNets.", "HaloNets are accurate."])
    chosen = choose("How do ULSAM and HaloNets use attention?", [ulsam, halo], Budget(100, 100, 0.06))
    assert [e.text for e in chosen[1]] == ["We propose ULSAM.", "ULSAM is small."]


def test_a_name_of_several_words_is_compared_as_one() -> None:
    """'Transformer' alone is in both papers; 'the Block Transformer' is in one, so the question compares."""
    combiner = source(1, [0.5], 0.80, 9.0, ["Combiner splits attention into blocks in a full attention Transformer."])
    block = source(2, [0.5], 0.60, 5.0, ["The Block Transformer caches less."])
    question = "Compare the Combiner and the Block Transformer."
    assert not clear_leader([combiner, block], margin=0.06, question=question)


def test_a_question_about_several_papers_gives_each_a_share_and_what_it_proposes() -> None:
    """'Which papers ...' names no paper: no leader, however far the first leads, and every source gets an equal
    share of the lead budget, its contribution sentence before its background."""
    grok = source(1, [0.7, 0.2], 0.80, 9.0, ["Training dynamics are studied widely.", "We show grokking needs memory."])
    spikes = source(2, [0.6, 0.1], 0.50, 3.0, ["Our result explains it.", "This paper proposes opposing signals."])
    spam = source(3, [0.5, 0.1], 0.45, 2.0, ["Loss spikes hurt 4-bit runs.", "We introduce Stable-SPAM clipping."])
    question = "What do recent papers say about grokking and loss spikes?"
    assert asks_several(question)
    assert clear_leader([grok, spikes, spam], margin=0.06, question="What does the grokking study say?")
    assert not clear_leader([grok, spikes, spam], margin=0.06, question=question)
    chosen = choose(question, [grok, spikes, spam], Budget(spread_words=100, lead_words=24, lead_margin=0.06))
    assert [e.text for e in chosen[2]] == ["This paper proposes opposing signals."]  # 5 words of its 8-word share
    assert [e.text for e in chosen[3]] == ["We introduce Stable-SPAM clipping."]
    assert [e.text for e in chosen[1]] == ["Training dynamics are studied widely."]  # no sentence of it proposes


def test_a_share_starts_with_the_contribution_however_the_abstract_says_it() -> None:
    for text in [
        "We propose HoME.",
        "In this paper, we focus on bottom representations and propose DTRN to relieve negative transfer.",
        "This paper presents the Block Transformer.",
        "The key idea is to treat attention as a conditional expectation.",
        "The method, dubbed RITUAL, transforms images.",
    ]:
        assert PROPOSAL.search(text), text
    for text in ["Transformers are popular.", "We hope this provides insight.", "Prior work proposed pruning."]:
        assert not PROPOSAL.search(text), text


def test_two_names_that_one_paper_holds_together_are_no_comparison() -> None:
    spam, outliers = 0, 1  # "Stable-SPAM trains in 4-bit better than Adam.", "A case study of Adam versus SGD."
    assert not comparison({"Stable-SPAM": [spam], "Adam": [spam, outliers]})
    assert comparison({"Stable-SPAM": [spam], "SGD": [outliers]})
    assert not comparison({"Stable-SPAM": [spam], "Perceiver": []})


def test_sentences_with_the_question_terms_and_asked_numbers_rank_higher() -> None:
    texts = ["Training is generally stable in practice.", "Memory use drops by 42% with the adapter."]
    [only] = [source(1, [0.40, 0.38], 0.7, 8.0, texts)]
    quote = best_sentences("How much memory does the adapter save?", [only], most=1)
    assert quote[0][1].text == texts[1]
    assert asks_quantity("How much memory does the adapter save?")


def test_a_quote_for_a_which_question_names_the_answer() -> None:
    texts = [
        "We study continual learning in networks of binary weights.",  # most like the question, names nothing
        "Continual learning in binary networks is hard to analyse.",
        "We cast it as a Franz-Parisi potential computation.",  # the asked name, less like the question
    ]
    other = source(2, [0.55], 0.5, 3.0, ["Hypernetworks help continual learning at ImageNet scale."])
    question = "Which statistical physics framework describes continual learning in binary networks?"
    quote = best_sentences(question, [source(1, [0.80, 0.78, 0.50], 0.7, 8.0, texts), other])
    assert [(n, e.text) for n, e, _ in quote] == [(1, texts[0]), (1, texts[2])]  # from the same abstract


def test_a_which_quote_prefers_the_name_of_the_asked_kind() -> None:
    texts = [
        "We study continual learning in networks of binary weights.",  # most like the question, names nothing
        "With a Gaussian field approximation we derive an algorithm for continual learning with binary weights.",
        "From a physics perspective, we cast it as a Franz-Parisi potential framework.",  # says the asked kind
    ]
    question = "Which statistical physics framework is used to describe continual learning in binary networks?"
    quote = best_sentences(question, [source(1, [0.80, 0.70, 0.50], 0.7, 8.0, texts)])
    assert [e.text for _, e, _ in quote] == [texts[0], texts[2]]
    # Asked without a kind, the better-matching name stays second.
    plain = best_sentences(
        "Is there a theory of continual learning in binary networks?", [source(1, [0.80, 0.70, 0.50], 0.7, 8.0, texts)]
    )
    assert [e.text for _, e, _ in plain] == [texts[0], texts[1]]


def test_a_quote_for_a_how_much_question_states_a_number() -> None:
    texts = ["Warmup speeds up diffusion training.", "Warmup makes training faster overall.", "It trains 40x faster."]
    quote = best_sentences(
        "How much faster is diffusion training with warmup?", [source(1, [0.9, 0.88, 0.3], 0.7, 8.0, texts)]
    )
    assert [e.text for _, e, _ in quote] == [texts[0], texts[2]]


def test_a_how_question_keeps_the_two_best_matching_sentences() -> None:
    texts = [
        "Warmup speeds up diffusion training.",
        "Warmup speeds up diffusion training by aligning features.",
        "We call it ERW.",
    ]
    quote = best_sentences(
        "How does warmup speed up diffusion training?", [source(1, [0.9, 0.88, 0.3], 0.7, 8.0, texts)]
    )
    assert [e.text for _, e, _ in quote] == texts[:2]


LIST_ABSTRACT = [
    "In industry, mixture-of-experts is widely used for multi-task learning.",
    "Yet we observe three anomalies in our iteration: (1) Expert Collapse: some experts output mostly zeros.",
    "(2) Expert Degradation: shared experts serve one task.",
    "Shared experts lost their ability and behaved like specific experts in our services.",
    "(3) Expert Underfitting: sparse tasks ignore their specific experts.",
    "We propose HoME, a balanced mixture-of-experts system.",
]


def test_a_question_asking_for_a_list_gets_the_numbered_items_of_the_leader() -> None:
    # the item sentences score lowest, so the budget alone would spend the words on the others
    lead = source(1, [0.7, 0.3, 0.35, 0.6, 0.32, 0.65], 0.8, 9.0, LIST_ABSTRACT)
    sources = [lead, source(2, [0.3], 0.5, 2.0)]
    budget = Budget(spread_words=20, lead_words=33, lead_margin=0.06)  # the three items hold 33 words
    chosen = choose("What anomalies of mixture-of-experts did they observe?", sources, budget)
    assert [e.text for e in chosen[1]] == [LIST_ABSTRACT[1], LIST_ABSTRACT[2], LIST_ABSTRACT[4]]
    other = choose("How do shared experts behave in multi-task learning?", sources, budget)
    assert LIST_ABSTRACT[2] not in [e.text for e in other[1]]  # no list asked for: ranked as before


def test_a_numbered_list_of_something_else_is_not_put_first() -> None:
    texts = ["We observe two effects: (1) faster training and (2) lower memory.", "The anomalies are rare.", "x y z."]
    lead = source(1, [0.2, 0.9, 0.8], 0.8, 9.0, texts)
    chosen = choose("What anomalies did they observe?", [lead], Budget(lead_words=12))
    assert [e.text for e in chosen[1]] == texts[1:]  # the list is of effects, not anomalies


def test_a_how_quote_of_one_background_sentence_gets_what_the_paper_proposes() -> None:
    texts = [
        "Deep networks often fail on medical scans from other hospitals.",  # matches best, says nothing of how
        "Taking inspiration from medicine, we propose giving networks a prior from medical knowledge.",
        "To this end, we introduce Knowledge-enhanced Bottlenecks (KnoBo), concept bottleneck models.",
        "We evaluate on 20 datasets.",
    ]
    paper = source(1, [0.80, 0.55, 0.50, 0.40], 0.7, 8.0, texts)
    quote = best_sentences("How can medical image models stay reliable on scans from other hospitals?", [paper])
    assert [e.text for _, e, _ in quote] == [texts[0], texts[2]]  # the proposal that names its method
    asked_why = best_sentences("Why do medical image models fail on scans from other hospitals?", [paper])
    assert [e.text for _, e, _ in asked_why] == [texts[0]]  # not a "how" question: the one best sentence


STATIN_ABSTRACT = [
    "OBJECTIVE To determine whether the use of statins is associated with reduced hip fracture risk.",
    "DESIGN Case-control study of 6,110 patients.",
    "Hip fracture risk was significantly lower among current statin users.",
    "CONCLUSIONS Statin use by elderly patients was associated with a reduced risk of hip fracture.",
]


def test_a_yes_no_quote_that_only_restates_the_question_gets_the_abstracts_conclusion() -> None:
    paper = source(1, [0.85, 0.50, 0.60, 0.58], 0.7, 8.0, STATIN_ABSTRACT)
    quoted = [e.text for _, e, _ in best_sentences("Is it true that statins reduce hip fractures?", [paper])]
    assert quoted == [STATIN_ABSTRACT[0], STATIN_ABSTRACT[3]]  # a stated conclusion before other findings
    without = source(1, [0.85, 0.50], 0.7, 8.0, STATIN_ABSTRACT[:2])  # no finding to add: the quote stays
    assert [e.text for _, e, _ in best_sentences("Do statins reduce hip fractures?", [without])] == STATIN_ABSTRACT[:1]
    asked_what = best_sentences("What did the statin study set out to determine?", [paper])
    assert [e.text for _, e, _ in asked_what] == STATIN_ABSTRACT[:1]  # not a yes/no question: the best sentence


def test_a_quote_for_a_named_model_leaves_a_paper_that_never_mentions_it() -> None:
    question = "What accuracy does SimQ-NAS reach on ImageNet?"
    rival = replace(source(1, [0.80], 0.7, 8.0, ["NASNet reaches 82.7% top-1 accuracy on ImageNet."]), title="NASNet")
    own_texts = ["SimQ-NAS searches quantization and architectures together.", "It gets 78.9% top-1 on ImageNet."]
    own = replace(source(2, [0.60, 0.55], 0.6, 6.0, own_texts), title="SimQ-NAS: Simultaneous Quantization Search")
    best = best_sentences(question, [rival, own])
    assert best[0][0] == 1  # NASNet's sentence matches the question best
    quote = from_subject(question, [rival, own], best, 0.45)
    assert {n for n, _, _ in quote} == {2} and own_texts[1] in [e.text for _, e, _ in quote]
    assert from_subject(question, [rival, own], best, 0.99) == best  # the own paper has nothing on topic


def test_a_quote_from_a_paper_that_mentions_the_named_thing_stays() -> None:
    question = "Is it true that CD28 initiates tonic signaling in T cells?"
    cited = replace(source(1, [0.80], 0.7, 8.0, ["CD28 costimulation augments tonic signaling."]), title="CAR T cells")
    review = replace(source(2, [0.60], 0.6, 6.0, ["CD28 is a costimulatory receptor."]), title="CD28 in T cells")
    best = best_sentences(question, [cited, review])
    assert from_subject(question, [cited, review], best, 0.45) == best
    plain = replace(review, title="Erythromycin resistance in Streptomyces", abstract="An enzyme confers resistance.")
    other = replace(cited, abstract="Macrolide antibiotics in infancy and pyloric stenosis.")
    question = "Is it true that Erythromycin use relates to pyloric stenosis?"
    best = best_sentences(question, [other, plain])
    assert from_subject(question, [other, plain], best, 0.0) == best  # a plain word in a title owns nothing


def test_a_question_spelled_otherwise_still_finds_the_sentence_holding_its_terms() -> None:
    holds = Evidence("Adipocytes promote tumor invasion and modeling shows why.", 0, 60, 0.5)
    other = Evidence("Fibroblasts exert a physical force on cancer cells.", 61, 120, 0.5)
    question = "How do fat cells affect tumour invasion, and what does the modelling show?"
    assert relevance(question, holds) > relevance(question, other)
    # a short word one edit away is another word ("brain" is not "train"): only long terms are matched loosely
    assert relevance("How does the brain learn?", Evidence("We train it.", 0, 12, 0.5)) == 0.5


def test_a_sentence_that_is_itself_a_question_is_never_quoted() -> None:
    texts = [
        "In this paper we ask: how can a CNN-based mixture of experts be made adversarially robust?",
        "Robust training of routers and experts together raises robust accuracy by 2 points.",
    ]
    quote = best_sentences(
        "How is a mixture of experts CNN made adversarially robust?", [source(1, [0.9, 0.5], 0.7, 8.0, texts)]
    )
    assert [e.text for _, e, _ in quote] == texts[1:]


def test_a_sentence_saying_where_the_code_is_is_quoted_only_when_the_code_is_asked_for() -> None:
    texts = [
        "Our code is available at https://github.com/HazyResearch/zoology for the gated convolution study.",
        "Gated convolutions fall short of attention on associative recall.",
    ]
    sources = [source(1, [0.9, 0.5], 0.7, 8.0, texts)]
    quote = best_sentences("What did the study of gated convolutions find?", sources)
    assert [e.text for _, e, _ in quote] == texts[1:]
    quote = best_sentences("Where is the code of the gated convolution study?", sources)
    assert quote[0][1].text == texts[0]


def test_a_paper_the_question_names_by_its_title_leads() -> None:
    sources = [source(1, [0.4], 0.40, 6.0), source(2, [0.5], 0.45, 3.0)]  # the dense side prefers the second
    sources[0].title = "What comes after transformers? -- A selective survey connecting ideas in deep learning"
    assert not clear_leader(sources, margin=0.06, question="What does the survey on transformers cover?")
    assert clear_leader(sources, margin=0.06, question="What does the survey on what comes after transformers cover?")


def test_a_paper_that_alone_mentions_what_the_question_names_leads() -> None:
    named = ["We present a two-stage framework called Brain-Diffuser.", "In the second stage, we use diffusion."]
    sources = [source(1, [0.6, 0.3], 0.39, 6.0, named), source(2, [0.4], 0.41, 4.0), source(3, [0.3], 0.32, 2.7)]
    assert clear_leader(sources, margin=0.06, question="What does Brain-Diffuser use in its second stage?")
    assert not clear_leader(sources, margin=0.06, question="What does the framework use in its second stage?")
    sources[1] = source(2, [0.4], 0.41, 4.0, ["We compare against Brain-Diffuser."])
    assert not clear_leader(sources, margin=0.06, question="What does Brain-Diffuser use in its second stage?")
