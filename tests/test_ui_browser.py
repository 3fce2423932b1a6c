"""The chat page in a real browser: streamed answer, citations and sources, follow-up, upload, feedback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser_steps import ask, open_section
from tests.conftest import copy_home, rag_server, screenshot, wait_until

pytestmark = pytest.mark.slow

NEW_PAPER = {
    "id": "quokka-2026",
    "title": "Quokka Folding: Compressing Gradients by Origami Projections",
    "abstract": (
        "We introduce Quokka Folding, a gradient compression scheme that folds gradient tensors along origami "
        "creases before communication. Quokka Folding reduces the bytes sent between data-parallel workers by "
        "37 times while keeping the final accuracy of ResNet-50 on ImageNet within 0.1 points."
    ),
    "url": "https://example.org/quokka",
    "date": "08-02",
}


def test_chat_page_end_to_end(page, seed_home: Path, tmp_path: Path) -> None:
    home = copy_home(seed_home, tmp_path / "home")
    with rag_server(home, "--llm", "tiny") as url:
        page.goto(url)
        expect(page.locator("#index-status")).to_contain_text("251 papers")

        ask(page, "Which optimizer makes 4-bit LLM training more stable than Adam?")
        marker = page.locator("#chat .cite").first
        n = marker.inner_text().strip("[]")
        card = page.locator(f'#sources .source[data-n="{n}"]')
        assert card.count() == 1, "a citation marker has no matching source card"
        assert "Stable-SPAM" in page.inner_text("#sources")
        assert page.locator("#sources mark").count() > 0, "no evidence sentence is highlighted"
        assert "listed Jul 31" in page.inner_text("#sources")
        panel = page.locator("#sources")  # the panel scrolls inside its column, above the rows below it
        assert panel.evaluate("e => getComputedStyle(e).overflowY") in ("auto", "scroll")
        below = page.get_by_text("Settings", exact=True).first.bounding_box()
        box = panel.bounding_box()
        assert box is not None and below is not None and box["y"] + box["height"] <= below["y"] + 1
        screenshot(page, "1-answer")

        ask(page, "How many training steps does it need compared to Adam?")  # follow-up: "it" = Stable-SPAM
        assert "Stable-SPAM" in page.inner_text("#sources")
        screenshot(page, "2-follow-up")

        page.locator("#chat button[aria-label='Dislike']").last.click()
        log = home / "feedback.jsonl"
        wait_until(lambda: log.exists() and log.read_text().strip(), what="the vote in feedback.jsonl")
        votes = [json.loads(line) for line in log.read_text().splitlines()]
        assert votes[-1]["liked"] is False and "steps" in votes[-1]["question"]
        assert votes[-1]["history"] and votes[-1]["sources"]

        open_section(page, "Add papers")
        upload = tmp_path / "new.jsonl"
        upload.write_text(json.dumps(NEW_PAPER) + "\n")
        page.set_input_files("#upload input[type=file]", str(upload))
        page.click("#add")
        expect(page.locator("#upload-result")).to_contain_text("added")
        assert "1 papers added" in page.inner_text("#upload-result")
        expect(page.locator("#index-status")).to_contain_text("252 papers")
        screenshot(page, "3-upload")

        broken = tmp_path / "broken.jsonl"
        broken.write_text(json.dumps({**NEW_PAPER, "id": "other", "title": "Another"}) + "\n{not json\n")
        page.set_input_files("#upload input[type=file]", str(broken))
        page.click("#add")
        expect(page.locator("#upload-result")).to_contain_text("was not added")
        assert "line 2" in page.inner_text("#upload-result")
        assert "252 papers" in page.inner_text("#index-status")

        page.click("#new-chat")
        page.wait_for_function("document.querySelectorAll('#chat .cite, #chat .abstain').length === 0")
        ask(page, "How much does origami-style gradient folding cut communication between workers?")
        assert "Quokka Folding" in page.inner_text("#sources")
        screenshot(page, "4-new-paper-answered")
        ask(page, "Which optimizer makes 4-bit LLM training more stable than Adam?")
        assert "Stable-SPAM" in page.inner_text("#sources")
        page.locator("#chat .message-row").nth(1).click()  # the earlier answer: its own sources come back
        expect(page.locator("#sources h3")).to_contain_text("of answer 1")
        assert "Quokka Folding" in page.inner_text("#sources")

        ask(page, "Who won the 2018 FIFA World Cup?")  # nothing in the index is relevant: a visible abstention
        expect(page.locator("#chat .abstain")).to_contain_text("No answer")
        screenshot(page, "5-abstention")
