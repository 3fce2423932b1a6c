"""HTML for the chat page, built so that nothing from the corpus, the user or the LLM can become markup.

Untrusted text goes through `text_md` (chat messages, which the browser renders as Markdown) or `text_html`
(the sources panel, raw HTML). `text_md` turns every ASCII punctuation character into a numeric character
reference: Markdown never reads a character reference as syntax, and HTML reads it as a plain character, so
`<script>`, `![](http://host/x.png)` and `[a](javascript:...)` all stay visible text.
"""

from __future__ import annotations

import html
import string
from typing import Any
from urllib.parse import urlparse

from rag.cite import doi_url, reference
from rag.decide import set_aside
from rag.results import Answer

_PUNCT = frozenset(string.punctuation)
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

CSS = """
#sources { max-height: 600px; overflow-y: auto !important; }
.cite { color: #1d4ed8; font-weight: 600; }
.unverified { background: #fee2e2; text-decoration: underline wavy #dc2626; }
.unverified-mark { color: #b91c1c; font-weight: 600; }
.quoted { color: #1e3a8a; font-size: 0.9em; margin-bottom: 4px; }
.abstain { border-left: 4px solid #d97706; padding-left: 8px; color: #92400e; font-style: italic; }
.source { border: 1px solid #e5e7eb; border-radius: 8px; padding: 8px 10px; margin-bottom: 8px; }
.source.cited { border-color: #1d4ed8; }
.source mark { background: #fef08a; }
.source .meta { color: #6b7280; font-size: 0.9em; }
"""


def text_md(text: str) -> str:
    """Untrusted text made safe to embed in Markdown/HTML: punctuation as character references.

    >>> text_md("<b>[x](y)</b>")
    '&#60;b&#62;&#91;x&#93;&#40;y&#41;&#60;&#47;b&#62;'
    """
    return "".join(f"&#{ord(c)};" if c in _PUNCT else c for c in text)


def text_html(text: str) -> str:
    """Untrusted text made safe inside HTML elements and attribute values."""
    return html.escape(text, quote=True)


def safe_url(url: str) -> str:
    """The URL if it is a plain http(s) link, else ''.

    >>> safe_url("javascript:alert(1)"), safe_url("https://arxiv.org/abs/1")
    ('', 'https://arxiv.org/abs/1')
    """
    try:
        parsed = urlparse(url.strip())
    except ValueError:
        return ""
    return url.strip() if parsed.scheme in ("http", "https") and parsed.netloc else ""


def listing_date(mm_dd: str) -> str:
    """'07-31' -> 'Jul 31' (the listing dumps carry no year).

    >>> listing_date("07-31"), listing_date("n/a")
    ('Jul 31', 'n/a')
    """
    try:
        month, day = (int(part) for part in mm_dd.split("-"))
        return f"{MONTHS[month - 1]} {day}"
    except (ValueError, IndexError):
        return mm_dd


def answer_md(answer: Answer) -> str:
    """The checked answer for the chat: verified markers as [n], unsupported sentences marked; or an abstention."""
    if answer.abstained:
        reason = f" ({text_md(answer.reason)})" if answer.reason else ""
        return f'<div class="abstain">🚫 <b>No answer.</b> {text_md(answer.answer)}{reason}</div>'
    parts = []
    if answer.mode == "extractive":
        why = text_md(set_aside(answer.reason)) if answer.reason else "the model's own answer failed its checks"
        parts.append(f'<div class="quoted">📎 <b>Quoted from the abstracts</b> ({why})</div>')
    for sentence in answer.sentences:
        if answer.mode == "extractive":
            marks = "".join(f'<sup class="cite">[{n}]</sup>' for n in sentence.citations)
            parts.append(f"“{text_md(sentence.text)}”{marks}")
        elif sentence.supported:
            marks = "".join(f'<sup class="cite">[{n}]</sup>' for n in sentence.citations)
            parts.append(f"{text_md(sentence.text)}{marks}")
        else:
            parts.append(
                f'<span class="unverified" title="no source supports this sentence">{text_md(sentence.text)}</span>'
                '<sup class="unverified-mark">[unverified]</sup>'
            )
    return " ".join(parts)


def streaming_md(text: str) -> str:
    """The answer while it is being generated (citations not yet checked)."""
    return f"{text_md(text)} ⏳"


def _highlighted(abstract: str, sentences: list[str]) -> str:
    """The abstract with the given sentences wrapped in <mark>, every piece escaped."""
    spans = []
    for sentence in sentences:
        start = abstract.find(sentence) if sentence else -1
        if start >= 0:
            spans.append((start, start + len(sentence)))
    out, pos = [], 0
    for start, end in sorted(set(spans)):
        if start < pos:
            continue
        out.append(text_html(abstract[pos:start]))
        out.append(f"<mark>{text_html(abstract[start:end])}</mark>")
        pos = end
    out.append(text_html(abstract[pos:]))
    return "".join(out)


def sources_html(answer: Answer | None, turn: int | None = None) -> str:
    """The sources panel: one card per numbered source, evidence highlighted in the abstract. `turn` numbers the
    answer in the conversation (clicking an earlier answer shows its panel again)."""
    if answer is None:
        return '<div class="sources-empty">Sources of the latest answer appear here; click an answer for its own.</div>'
    if not answer.sources:
        return '<div class="sources-empty">No source was relevant enough to show.</div>'
    heading = "Closest abstracts (not used as an answer)" if answer.abstained else "Sources"
    of = f" of answer {turn}" if turn else ""
    cards = [f'<h3 data-turn="{turn or 0}">{heading}{of}</h3>']
    for source in answer.sources:
        cited_sentences = [
            s.evidence[source.n] for s in answer.sentences if source.n in s.citations and source.n in s.evidence
        ]
        marked = [e.text for e in source.evidence] + cited_sentences
        dates = ", ".join(listing_date(d) for d in source.dates)
        links = [(name, safe_url(u)) for name, u in (("DOI", doi_url(source.doi)), ("link", source.url))]
        link = "".join(
            f' · <a href="{text_html(u)}" target="_blank" rel="noopener noreferrer nofollow">{name}</a>'
            for name, u in links
            if u
        )
        about = [text_html(cited_as)] if (cited_as := reference(source)) else []
        about += [f"listed {text_html(dates)}"] if dates else []
        meta = " · ".join(about) or "no date"
        cited = " cited" if source.cited else ""
        cards.append(
            f'<div class="source{cited}" data-n="{source.n}">'
            f"<b>[{source.n}] {text_html(source.title or source.paper_id)}</b>"
            f'<div class="meta">{meta}{link}</div>'
            f'<p class="abstract">{_highlighted(source.abstract, marked)}</p></div>'
        )
    return "\n".join(cards)


def status_line(stats: dict[str, Any]) -> str:
    """One line about the index, as Markdown-safe text."""
    return text_md(
        f"Index: {stats.get('papers', 0)} papers, {stats.get('chunks', 0)} chunks · "
        f"embeddings: {stats.get('embedding_model', '?')} · last ingest: {stats.get('last_ingest') or 'never'}"
    )
