"""From the model's reply to what the reader gets: every sentence's citations and facts checked, the signals the
decision needs measured, the decision made (`rag.decide`), and the answer rendered with its verified markers, as a
quote of the evidence, or as the fixed refusal."""

from __future__ import annotations

from rag import decide, evidence, facts, prompts, quotes
from rag.citations import SupportScorer, check_answer, content_words
from rag.config import AnswerSettings
from rag.embed import Embedder, cosine
from rag.results import Answer, CheckedSentence, Signals, Source
from rag.sentences import without_repeats


def record(question: str, source: Source) -> str:
    """The source's record line (authors, year, venue) when the question asks for it and the record has it."""
    return prompts.record_line(source.authors, source.year, source.venue) if evidence.asks_record(question) else ""


def shown_abstract(question: str, source: Source) -> str:
    """The source's abstract with its record line in front when the prompt shows it: what checks look at."""
    line = record(question, source)
    return f"{line} {source.abstract}" if line else source.abstract


def settle(
    answer: Answer,
    embedder: Embedder,
    settings: AnswerSettings,
    rules: decide.Rules,
    vectors: dict[str, list[float]],
    best: quotes.Quote,
) -> None:
    """Verify citations and facts, then decide: the generated answer, a quote of the evidence, or nothing.
    `vectors`: the sources' sentence vectors from retrieval (not embedded or fetched again); `best`: the
    sentences that best match the question, which `signals.quote` measured before the LLM."""
    signals = answer.signals
    kept, signals.refused = strip_refusal(answer.raw_answer)
    kept = without_repeats(kept)  # a small model's loop ("X, X, X, ...") says nothing more each time
    if kept:
        shown = [(s.title, shown_abstract(answer.query, s)) for s in answer.sources]
        scorer = SupportScorer(embedder, shown, vectors)
        checked = check_answer(
            kept, scorer, settings.support_threshold, settings.check_facts, settings.reattribute_margin
        )
        answer.sentences = without_stray_code_links(checked, answer.query)
    verified = {n for s in answer.sentences if s.supported for n in s.citations}  # what the supported part cites
    measure(signals, answer, kept, verified, embedder, best)
    answer.mode, answer.reason = decide.after_llm(signals, rules)
    answer.abstained = answer.mode == decide.ABSTAINED
    if answer.mode == decide.EXTRACTIVE:
        why = decide.set_aside(answer.reason)
        if why == decide.RESTATES:  # the papers its verified sentences cited (or support best) hold what was asked
            holders = verified | {s.best_source for s in answer.sentences if s.supported and s.scores}
            best = quotes.from_cited(answer.query, answer.sources, holders, best, rules.topic_floor)
        else:
            best = quotes.from_subject(answer.query, answer.sources, best, rules.topic_floor)
        answer.sentences = [quoted(n, e.text, len(answer.sources)) for n, e, _ in best]
        label = prompts.QUOTED.format(why=why)
        answer.answer = f"{label} " + " ".join(render_sentence(s, quote=True) for s in answer.sentences)
    elif answer.mode == decide.GENERATED:
        answer.answer = " ".join(render_sentence(s) for s in answer.sentences)
    else:
        answer.answer = prompts.NO_ANSWER
    cited = {n for s in answer.sentences for n in s.citations} if not answer.abstained else set()
    for source in answer.sources:
        source.cited = source.n in cited


def without_stray_code_links(sentences: list[CheckedSentence], question: str) -> list[CheckedSentence]:
    """The answer without its sentences that only link to the code of papers no other sentence cites: "The code is
    available at: https://github.com/JegZheng/MS-MLP [2]" in an answer about GLU activations from [1] answers
    nothing asked and points at another paper's code. The code of the paper the answer is about stays."""
    links = [links_to_code(s.text, question) for s in sentences]
    used = {n for s, link in zip(sentences, links) if not link for n in s.citations}
    return [s for s, link in zip(sentences, links) if not link or set(s.citations) & used]


def links_to_code(sentence: str, question: str) -> bool:
    """Whether an answer sentence only gives a link to code, for a question that does not ask for it.

    >>> links_to_code("The code is available at: https://github.com/JegZheng/MS-MLP.", "Can GLU replace the MLP?")
    True
    >>> links_to_code("An implementation that runs at 30 FPS on a phone.", "How fast is it?")
    False
    """
    return bool(evidence.LINK.search(sentence) or "github.com" in sentence.lower()) and quotes.points_to_code(
        sentence, question
    )


def measure(
    signals: Signals, answer: Answer, kept: str, verified: set[int], embedder: Embedder, best: quotes.Quote
) -> None:
    """The signals of the checked answer (`kept`: the reply without its refusal) and of the quote that could
    replace it: whether each gives the number or the name the question asks for."""
    question = answer.query
    supported = [s.text for s in answer.sentences if s.supported]
    signals.supported = len(supported)
    signals.cites_leader = any(signals.leader in s.citations for s in answer.sentences if s.supported)
    if supported:
        said = " ".join(supported)
        q_vec, a_vec = embedder.embed([question, said])
        signals.relevance = round(cosine(q_vec, a_vec), 4)
        # what the model itself added: not the paper names that stand in for its markers ("Yes, [1] shows ...")
        wrote = {n.value for n in facts.numbers(kept)}
        asked = {n.value for n in facts.numbers(question)}
        new_numbers = {n.value for n in facts.numbers(said) if n.value in wrote} - asked
        added = (content_words(said) & content_words(kept)) - content_words(question)
        signals.novel = len(added) + len(new_numbers)
        signals.has_number = quotes.states_number(said)
        cited = [s for s in answer.sources if s.n in verified]
        signals.cited_number = any(quotes.states_quantity(shown_abstract(question, s)) for s in cited)
        titles = [s.title for s in cited]
        signals.has_name = quotes.names_new(question, said) or quotes.names_paper(question, said, titles)
    signals.wants_number = evidence.asks_quantity(question)
    if evidence.asks_authors(question) and (rest := evidence.beside_authors(question)):
        signals.wants_name = quotes.asks_name(rest)  # the "who" part asks for authors, not a named method
    else:
        signals.wants_name = quotes.asks_name(question)
    signals.quote_names = quotes.names_new(question, " ".join(e.text for _, e, _ in best))


def strip_refusal(raw: str) -> tuple[str, bool]:
    """The reply without the fixed refusal sentence, and whether the model refused.

    >>> strip_refusal("The indexed abstracts don't answer this question.")
    ('', True)
    >>> strip_refusal("SPAM clips gradients [1].")
    ('SPAM clips gradients [1].', False)
    """
    phrase = prompts.NO_ANSWER.rstrip(".")
    at = raw.lower().find(phrase.lower())
    if at < 0:
        return raw.strip(), False
    rest = raw[:at] + raw[at + len(phrase) :].lstrip(".")
    return rest.strip(), True


def quoted(n: int, text: str, k: int) -> CheckedSentence:
    """An evidence sentence quoted as the answer: supported by its own source by construction."""
    scores = [1.0 if i == n else 0.0 for i in range(1, k + 1)]
    return CheckedSentence(text, [n], True, 1.0, evidence={n: text}, cited=[n], scores=scores)


def render_sentence(sentence: CheckedSentence, quote: bool = False) -> str:
    """A sentence with its verified markers, or flagged as unverified; a quote goes in quotation marks."""
    marks = "".join(f"[{n}]" for n in sentence.citations) if sentence.supported else "[unverified]"
    text = sentence.text
    if quote:
        return f"\u201c{text}\u201d {marks}"
    if text and text[-1] in ".!?,;":
        return f"{text[:-1]} {marks}{text[-1]}"
    return f"{text} {marks}"
