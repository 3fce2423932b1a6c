"""The Gradio chat page: a thin layer over `ChatService.stream()` (the same pipeline as `rag ask`).

Conversation state lives in a `gr.State` (messages and checked answers); the chatbot shows what `ui.render` builds
from it, so nothing the browser sends back is ever re-rendered as trusted markup.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr

from rag.cite import bibtex
from rag.errors import RagError
from rag.llm import LLM_CHOICES
from rag.parsers import SUFFIXES
from rag.results import Answer, Source
from ui.render import answer_md, listing_date, sources_html, status_line, streaming_md, text_md
from ui.service import MAX_K, ChatOptions, ChatService

EXAMPLES = [
    "Which optimizer makes 4-bit LLM training more stable than Adam?",
    "How can attention entropy collapse be prevented when training transformers?",
    "What is the stability gap in continual learning?",
    "How does MUVERA speed up multi-vector retrieval?",
]
LLM_LABELS = {"default": "default (Qwen2.5 1.5B)", "fast": "fast (Qwen2.5 0.5B)", "tiny": "tiny (SmolLM2 135M)"}


def new_state() -> dict[str, Any]:
    """An empty conversation: chat messages as shown, one checked answer (or None on an error) per reply, and the
    sources panel of each reply (shown again when the reader clicks that reply)."""
    return {"messages": [], "answers": [], "panels": []}


def panel_for(st: dict[str, Any], message_index: int) -> str | None:
    """The sources panel of the reply at `message_index` in the chat (messages alternate question, reply)."""
    reply = message_index // 2
    panels = st.get("panels", [])
    return panels[reply] if 0 <= reply < len(panels) else None


def turns(answers: list[dict[str, Any] | None]) -> list[tuple[str, str]]:
    """The (question, answer) turns of a conversation, for follow-ups; failed replies are no turn."""
    return [(a["question"], a["answer"]) for a in answers if a]


def refresh(service: ChatService) -> tuple[str, Any]:
    """The index status line and the listing days offered by the date filter."""
    choices = [(listing_date(d), d) for d in service.listing_dates()]
    return status_line(service.stats()), gr.update(choices=choices)


def respond(
    service: ChatService,
    text: str,
    st: dict,
    n: float,
    choice: str,
    url: str,
    name: str,
    days: list[str],
    since: float | None = None,
    until: float | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Stream one reply into the chat: (messages, sources panel, state, cleared question) per update."""
    options = ChatOptions(
        llm=choice,
        k=int(n),
        dates=tuple(days or ()),
        base_url=url,
        model=name,
        since=int(since) if since else None,
        until=int(until) if until else None,
    )
    messages = [*st["messages"], {"role": "user", "content": text_md(text or "")}]
    reply = {"role": "assistant", "content": "<i>searching the abstracts…</i>"}
    messages.append(reply)
    yield messages, gr.update(), st, ""
    streamed = ""
    answer: Answer | None = None
    try:
        for event in service.stream(text, turns(st["answers"]), options):
            if event.kind == "status":
                reply["content"] = f"<i>{text_md(event.text)}…</i>"
            elif event.kind == "token":
                streamed += event.text
                reply["content"] = streaming_md(streamed)
            elif event.kind == "answer":
                answer = event.answer
                reply["content"] = answer_md(answer)
                continue  # sent below in one update with its sources and the new state
            yield messages, gr.update(), st, ""
    except RagError as exc:
        reply["content"] = f'<div class="error">⚠️ {text_md(str(exc))}</div>'
    panel = sources_html(answer, turn=len(st["answers"]) + 1) if answer else None
    st = {
        "messages": messages,
        "answers": [*st["answers"], answer.to_dict() if answer else None],
        "panels": [*st.get("panels", []), panel],
    }
    yield messages, panel if panel is not None else gr.update(), st, ""


def cited_bibtex(st: dict) -> str:
    """BibTeX of the papers the latest answer cites (for the copy box)."""
    answer = next((a for a in reversed(st["answers"]) if a), None)
    if not answer or answer.get("abstained"):
        return ""
    return bibtex([Source(**{**s, "evidence": []}) for s in answer["sources"] if s.get("cited")])


def show_sources(data: gr.SelectData, st: dict) -> Any:
    """A click on an earlier reply shows that reply's sources."""
    index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
    panel = panel_for(st, int(index))
    return panel if panel is not None else gr.update()


def vote(service: ChatService, data: gr.LikeData, st: dict) -> None:
    """Record a thumbs up or down on a reply, with the conversation that led to it."""
    index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
    reply = int(index) // 2  # messages alternate question, reply
    if 0 <= reply < len(st["answers"]) and st["answers"][reply] and data.liked in (True, False):
        service.vote(bool(data.liked), st["answers"][reply], turns(st["answers"][:reply]))
        gr.Info("Thanks, your vote is saved.")


def add(service: ChatService, path: str | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
    """Ingest an uploaded file: (message, status line, date choices, cleared file input)."""
    if not path:
        return ("⚠️ Choose a file first.", *refresh(service), None)
    progress(0, desc="reading the file")

    def on_batch(done: int, total: int, _papers: list[str]) -> None:
        progress((done, total), desc="embedding abstracts", unit="chunks")

    try:
        summary = service.add_upload(Path(path), on_batch)
    except RagError as exc:
        return (f"⚠️ {text_md(str(exc))}", *refresh(service), None)
    name = text_md(Path(path).name)
    if summary.errors:
        problems = "<br>".join(text_md(e) for e in summary.errors)
        message = f"⚠️ **{name} was not added.** Nothing in the index changed.<br>{problems}"
    else:
        message = (
            f"✅ **{name}**: {summary.added} papers added, {summary.updated} updated, "
            f"{summary.unchanged} already indexed. The index holds {summary.papers} papers."
        )
        if summary.skipped:
            named = "<br>".join(text_md(s) for s in summary.skipped[:20])
            more = f"<br>… and {len(summary.skipped) - 20} more" if len(summary.skipped) > 20 else ""
            message += f"<br>Skipped {len(summary.skipped)} entries without an abstract:<br>{named}{more}"
    return (message, *refresh(service), None)  # clear the file input for the next upload


def reset() -> tuple[Any, ...]:
    """A new conversation."""
    return [], sources_html(None), new_state(), ""


def build_app(service: ChatService) -> gr.Blocks:
    """The Blocks app; mount it with `ui.server.create_app`."""
    default_llm = service.settings.llm.backend if service.settings.llm.backend in LLM_CHOICES else "default"
    with gr.Blocks(title="Paper chat") as demo:
        state = gr.State(new_state())
        gr.Markdown(
            "## Ask the indexed paper abstracts\nEvery claim is cited; sentences no source supports are marked."
        )
        status = gr.Markdown(elem_id="index-status")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(elem_id="chat", height=520, latex_delimiters=[], buttons=["copy"], label="Chat")
                question = gr.Textbox(
                    elem_id="question", placeholder="Ask about the papers…", show_label=False, max_lines=4
                )
                with gr.Row():
                    ask_btn = gr.Button("Ask", variant="primary", elem_id="ask")
                    new_btn = gr.Button("New chat", elem_id="new-chat")
                gr.Examples(EXAMPLES, inputs=[question], label="Examples")
            with gr.Column(scale=2):
                sources = gr.HTML(sources_html(None), elem_id="sources")
        with gr.Accordion("Settings", open=False):
            k = gr.Slider(1, MAX_K, value=service.settings.retrieval.k, step=1, label="Number of sources", elem_id="k")
            llm = gr.Radio(
                [(LLM_LABELS.get(c, "OpenAI-compatible endpoint"), c) for c in LLM_CHOICES],
                value=default_llm,
                label="Answering model",
                elem_id="llm",
            )
            base_url = gr.Textbox(label="Endpoint URL (OpenAI-compatible)", value=service.settings.llm.base_url or "")
            model = gr.Textbox(label="Model name at the endpoint", value=service.settings.llm.model or "")
            dates = gr.CheckboxGroup(label="Only papers listed on (none checked: all)", elem_id="dates")
            with gr.Row():
                since = gr.Number(0, label="Published from year (0: any)", precision=0, elem_id="since")
                until = gr.Number(0, label="Published up to year (0: any)", precision=0, elem_id="until")
        with gr.Accordion("BibTeX of the cited papers", open=False):
            bib = gr.Textbox(
                show_label=False, lines=6, max_lines=20, buttons=["copy"], interactive=False, elem_id="bibtex"
            )
        with gr.Accordion("Add papers", open=False):
            gr.Markdown(
                "Upload a listing dump (`.txt`), JSON Lines (`.jsonl`, the arXiv metadata snapshot too), CSV with "
                "`title` and `abstract`, BibTeX (`.bib`), RIS (`.ris`) or PubMed XML (`.xml`)."
            )
            upload = gr.File(file_types=sorted(SUFFIXES), type="filepath", elem_id="upload")
            add_btn = gr.Button("Add to index", elem_id="add")
            upload_result = gr.Markdown(elem_id="upload-result")

        ask_args = {
            "inputs": [question, state, k, llm, base_url, model, dates, since, until],
            "outputs": [chat, sources, state, question],
        }
        ask_btn.click(partial(respond, service), **ask_args).then(cited_bibtex, inputs=[state], outputs=[bib])
        question.submit(partial(respond, service), **ask_args).then(cited_bibtex, inputs=[state], outputs=[bib])
        new_btn.click(reset, outputs=[chat, sources, state, question])

        def on_vote(data: gr.LikeData, st: dict) -> None:  # Gradio injects event data by the type hint
            vote(service, data, st)

        def on_add(path: str | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
            return add(service, path, progress)

        chat.like(on_vote, inputs=[state])
        chat.select(show_sources, inputs=[state], outputs=[sources])  # an earlier reply: show its sources
        add_btn.click(on_add, inputs=[upload], outputs=[upload_result, status, dates, upload])
        demo.load(partial(refresh, service), outputs=[status, dates])

        def ask(question: str, llm: str = "", k: int = 0) -> dict[str, Any]:
            """Answer one question; returns the checked answer with its sources (as `rag ask --json`)."""
            return service.ask(question, [], ChatOptions(llm=llm, k=int(k))).to_dict()

        gr.api(ask, api_name="ask")
    return demo
