"""What the chat page renders: untrusted text stays text, verified markers, unverified and abstained answers."""

from __future__ import annotations

import html

from rag.results import Answer, CheckedSentence, Evidence, Source
from ui.render import answer_md, safe_url, sources_html, text_md

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "![tracker](http://evil.example/pixel.png)",
    "[click](javascript:alert(1))",
]


def source(n: int, abstract: str, evidence: str = "", url: str = "", title: str = "A paper") -> Source:
    start = abstract.find(evidence)
    spans = [Evidence(evidence, start, start + len(evidence), 0.9)] if evidence else []
    return Source(n, f"p{n}", title, ["07-31"], url, "", abstract, spans, 0.5)


def test_text_md_leaves_no_markup_or_markdown_syntax() -> None:
    for payload in PAYLOADS:
        out = text_md(payload)
        assert not set(out) & set('<>[]()!`*_\\"'), out
        assert html.unescape(out) == payload  # the reader still sees exactly the original characters


def test_answer_marks_verified_citations_and_unverified_sentences() -> None:
    answer = Answer(
        question="q",
        answer="",
        abstained=False,
        reason="",
        sentences=[
            CheckedSentence("Adam diverges in 4-bit.", [1, 2], True, 0.8),
            CheckedSentence("<b>Made up</b> claim.", [], False, 0.1),
        ],
    )
    out = answer_md(answer)
    assert '<sup class="cite">[1]</sup><sup class="cite">[2]</sup>' in out
    assert '<span class="unverified"' in out and "[unverified]" in out
    assert "<b>Made" not in out


def test_abstention_is_rendered_differently() -> None:
    answer = Answer(
        question="q", answer="The indexed abstracts don't answer this question.", abstained=True, reason="r"
    )
    out = answer_md(answer)
    assert out.startswith('<div class="abstain">') and "cite" not in out


def test_sources_escape_payloads_and_highlight_evidence() -> None:
    abstract = "Intro. " + " ".join(PAYLOADS) + " The key finding is stability."
    answer = Answer(
        question="q",
        answer="x",
        abstained=False,
        reason="",
        sources=[source(1, abstract, "The key finding is stability.", url="javascript:alert(1)", title=PAYLOADS[1])],
    )
    out = sources_html(answer)
    assert "<script" not in out and "<img" not in out and "javascript:" not in out.split("</b>")[0]
    assert "<mark>The key finding is stability.</mark>" in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert 'href="' not in out  # the javascript: link was dropped


def test_only_http_links_are_kept() -> None:
    assert safe_url("https://arxiv.org/abs/2502.17055") == "https://arxiv.org/abs/2502.17055"
    for bad in ("javascript:alert(1)", "data:text/html,x", "ftp://x", "//evil.example", ""):
        assert safe_url(bad) == ""


def test_a_quoted_answer_is_labelled_as_quoted_from_the_abstracts() -> None:
    quote = "Memory drops by <b>2.78x</b>."
    answer = Answer(
        question="q",
        answer="",
        abstained=False,
        reason="the model found no answer in the sources; quoting the best-matching evidence instead",
        sentences=[CheckedSentence(quote, [1], True, 1.0)],
        mode="extractive",
    )
    out = answer_md(answer)
    assert "Quoted from the abstracts</b> (the model found no answer in the sources)" in out
    assert f"“{text_md(quote)}”" in out and '<sup class="cite">[1]</sup>' in out
    assert "<b>2.78x</b>" not in out  # the quote is untrusted text too
