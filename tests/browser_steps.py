"""Steps shared by the browser tests: ask a question on the chat page and wait for the checked answer."""

from __future__ import annotations

FINISHED = "#chat .abstain, #chat .cite, #chat .unverified-mark, #chat .error"


def ask(page, question: str) -> None:
    """Type a question, send it, and wait until its reply is final (checked, not streaming)."""
    replies = page.locator(FINISHED).count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        """([sel, before]) => {
            const chat = document.querySelector('#chat');
            return document.querySelectorAll(sel).length > before
                && !chat.innerText.includes('⏳') && !chat.innerText.includes('searching the abstracts')
                && !chat.innerText.includes('writing the answer');
        }""",
        arg=[FINISHED, replies],
    )


def open_section(page, title: str) -> None:
    """Expand a closed accordion by its label."""
    page.get_by_text(title, exact=True).first.click()
