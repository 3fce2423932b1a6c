"""The whole harness on a 5-question slice with the tiny model: report files hold that run's numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import metrics
from eval.report import fmt
from tests.conftest import run_rag

pytestmark = pytest.mark.slow


def test_harness_writes_reports_computed_from_the_run(seed_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = run_rag("eval", "--llm", "tiny", "--limit", "5", "--out", str(out), "--no-progress", home=seed_home)
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    questions, summary = report["questions"], report["summary"]
    assert len(questions) == summary["questions"] == 5 and summary["errors"] == 0

    # the summary is what the per-question results add up to
    with_gold = [q for q in questions if q["gold"]]
    for name in ("hit@1", "hit@5", "mrr", "ndcg@10"):
        assert summary[name] == pytest.approx(metrics.mean([q["scores"][name] for q in with_gold]))
        for q in with_gold:  # and each question's ranking gives its scores
            assert q["scores"][name] == pytest.approx(metrics.retrieval(q["ranked"], q["gold"])[name])
    answered = [q for q in questions if q["answerable"] and not q["abstained"]]
    assert summary["must_mention"] == pytest.approx(metrics.mean([q["scores"]["must_mention"] for q in answered]))
    for q in answered:
        assert q["scores"]["cites_gold"] == bool(set(q["cited"]) & set(q["gold"]))
    assert summary["passed"] == sum(not q["failed"] for q in questions)
    assert summary["judge_faithfulness"] == "not run"
    totals = [q["scores"]["total_s"] for q in questions]
    assert summary["total_s_median"] == metrics.percentile(totals, 50)

    md = (out / "report.md").read_text()
    for name in ("hit@1", "ndcg@10", "citation_recall", "must_mention", "total_s_median"):
        assert f"| {name} | {fmt(summary[name])} |" in md
    assert "| judge_correctness | not run |" in md
    for q in questions:
        assert (f"### {q['id']}:" in md) == bool(q["failed"])
    for png in ("metrics.png", "latency.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    again = run_rag("eval", "compare", str(out), str(out), home=seed_home)
    assert again.returncode == 0 and "| hit@1 |" in again.stdout and "+0.000" in again.stdout
