from itertools import pairwise

import pytest

from rag.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two.", ["One.", "Two."]),
        ("We use e.g. Adam and i.e. SGD. Then stop.", ["We use e.g. Adam and i.e. SGD.", "Then stop."]),
        ("As Smith et al. showed, it works. Next.", ["As Smith et al. showed, it works.", "Next."]),
        ("Accuracy rose 3.5 points. Why? Because.", ["Accuracy rose 3.5 points.", "Why?", "Because."]),
        ("See https://github.com/x/y. Code is out", ["See https://github.com/x/y.", "Code is out"]),
        ("It works (see Fig. 3). We win.", ["It works (see Fig. 3).", "We win."]),
        ("lowercase after. stays together", ["lowercase after. stays together"]),
        ("  padded.   Next one.  ", ["padded.", "Next one."]),
        ("", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert [text[a:b] for a, b in split_sentences(text)] == expected


def test_offsets_cover_all_non_space_text() -> None:
    text = "First claim holds. Second claim (Fig. 2) too! Third? Fourth."
    spans = split_sentences(text)
    assert "".join(text[a:b] for a, b in spans).replace(" ", "") == text.replace(" ", "")
    assert all(a < b <= c for (a, b), (c, _) in pairwise(spans))
