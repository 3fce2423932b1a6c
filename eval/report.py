"""Report files of one run: report.json (everything), report.md (summary, per kind, every failed question) and
PNG plots (metric bars, latency distribution); and the comparison of two runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

METRIC_ORDER = [
    "hit@1",
    "hit@5",
    "mrr",
    "ndcg@10",
    "citation_recall",
    "citation_precision",
    "gold_citation_rate",
    "abstain_precision",
    "abstain_recall",
    "false_abstention_rate",
    "must_mention",
    "answer_relevancy",
    "faithfulness",
    "judge_faithfulness",
    "judge_relevancy",
    "judge_correctness",
    "first_token_s_median",
    "first_token_s_p95",
    "total_s_median",
    "total_s_p95",
    "passed",
    "questions",
    "errors",
    "mode_generated",
    "mode_extractive",
    "mode_abstained",
]
RATES = METRIC_ORDER[:15]  # the metrics on a 0-1 scale (plotted as bars)


def fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def write_report(report: dict[str, Any], out: Path) -> list[Path]:
    """Write report.json, report.md and the plots into `out`; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "report.md").write_text(markdown(report), encoding="utf-8")
    return [out / "report.json", out / "report.md", *plots(report, out)]


def markdown(report: dict[str, Any]) -> str:
    meta, summary = report["meta"], report["summary"]
    synthetic = ", synthetic: written by an LLM, not checked" if meta.get("synthetic") else ""
    lines = [
        f"# Evaluation report: {meta['dataset_name']}",
        "",
        f"- dataset: `{meta['dataset']}` ({summary['questions']} questions{synthetic})",
        f"- model: {meta['model']}; k = {meta['k']}; embedding: {meta['embed_model']}",
        f"- support model: {meta['support_model']}",
        f"- judge: {meta['judge'] or 'not run (no --judge-base-url)'}",
        f"- run: {meta['started']}, {meta['seconds']:.0f} s",
        "",
        "## Summary",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {name} | {fmt(summary.get(name))} |" for name in METRIC_ORDER if name in summary]
    tradeoff = report.get("tradeoff") or []
    if tradeoff:
        lines += [
            "",
            "## Abstention trade-off",
            "",
            "Each threshold swept with the others as run (exact: the decision is a pure function of the recorded",
            "signals; a question stopped before the LLM stays abstained under a looser pre-LLM threshold).",
            "`tradeoff.png` plots abstention recall against the false-abstention rate.",
            "",
            "| threshold | value | abstain_recall | false_abstention_rate |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {p['threshold']} | {p['value']:.2f} | {fmt(p['abstain_recall'])} | {fmt(p['false_abstention_rate'])} |"
            for p in tradeoff
        ]
    kinds = report.get("by_kind", {})
    if kinds:
        cols = [
            "questions",
            "passed",
            "hit@5",
            "ndcg@10",
            "gold_citation_rate",
            "must_mention",
            "false_abstention_rate",
        ]
        lines += ["", "## By kind", "", "| kind | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
        for kind, values in kinds.items():
            lines.append(f"| {kind} | " + " | ".join(fmt(values.get(c)) for c in cols) + " |")
    failed = [q for q in report["questions"] if q["failed"]]
    lines += ["", f"## Failed questions ({len(failed)})", ""]
    for q in failed:
        lines += [
            f"### {q['id']}: {q['question']}",
            "",
            f"- why: {q['failed']}",
            f"- gold: {', '.join(q['gold']) or '-'}",
        ]
        answer = " ".join((q["answer"] or "-").split())  # one line, so the Markdown list holds
        lines.append(f"- answer: {answer}" + (f" *({q['reason']})*" if q["reason"] else ""))
        for s in q["sources"]:
            lines.append(f"  - [{s['n']}] {s['title']} (`{s['paper_id']}`){' cited' if s['cited'] else ''}")
        lines.append("")
    return "\n".join(lines) + "\n"


def plots(report: dict[str, Any], out: Path) -> list[Path]:
    """metrics.png (bars of the 0-1 metrics) and latency.png (histograms of first-token and total time)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = report["summary"]
    names = [n for n in RATES if isinstance(summary.get(n), (int, float))]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.barh(names[::-1], [summary[n] for n in names[::-1]], color="#4f7cac")
    ax.set_xlim(0, 1)
    ax.set_title(f"{report['meta']['dataset_name']} · {report['meta']['model']}")
    for y, n in enumerate(names[::-1]):
        ax.text(min(summary[n] + 0.01, 0.93), y, f"{summary[n]:.2f}", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "metrics.png", dpi=100)
    plt.close(fig)

    first = [q["scores"].get("first_token_s") for q in report["questions"]]
    total = [q["scores"].get("total_s") for q in report["questions"]]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist([t for t in total if t is not None], bins=15, alpha=0.6, label="total")
    ax.hist([t for t in first if t is not None], bins=15, alpha=0.6, label="first token")
    ax.set_xlabel("seconds")
    ax.set_ylabel("questions")
    ax.set_title("Latency")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=100)
    plt.close(fig)
    written = [out / "metrics.png", out / "latency.png"]
    tradeoff = report.get("tradeoff") or []
    if tradeoff:
        fig, ax = plt.subplots(figsize=(6, 4.5))
        for name in sorted({p["threshold"] for p in tradeoff}):
            points = [p for p in tradeoff if p["threshold"] == name and p["abstain_recall"] is not None]
            far = [p["false_abstention_rate"] for p in points]
            ax.plot(far, [p["abstain_recall"] for p in points], marker="o", label=name)
            for p, x in zip(points, far):
                ax.annotate(f"{p['value']:.2f}", (x, p["abstain_recall"]), fontsize=7)
        ax.set_xlabel("false-abstention rate (answerable questions declined)")
        ax.set_ylabel("abstention recall (unanswerable questions declined)")
        ax.set_title("Abstention trade-off")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "tradeoff.png", dpi=100)
        plt.close(fig)
        written.append(out / "tradeoff.png")
    return written


def load_report(folder: Path) -> dict[str, Any]:
    from rag.errors import InputError

    path = folder / "report.json" if folder.is_dir() else folder
    if not path.is_file():
        raise InputError("no report.json here (run `rag eval --out DIR` first)", folder)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"report.json is not valid JSON ({exc})", path) from None


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Per-metric differences (B - A) and the questions whose verdict changed."""
    diffs = {}
    for name in METRIC_ORDER:
        va, vb = a["summary"].get(name), b["summary"].get(name)
        delta = vb - va if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
        diffs[name] = {"a": va, "b": vb, "delta": delta}
    verdicts_a = {q["id"]: q for q in a["questions"]}
    changed = []
    for q in b["questions"]:
        old = verdicts_a.get(q["id"])
        if old is not None and bool(old["failed"]) != bool(q["failed"]):
            changed.append(
                {
                    "id": q["id"],
                    "question": q["question"],
                    "a": old["failed"] or "passed",
                    "b": q["failed"] or "passed",
                }
            )
    return {"a": a["meta"], "b": b["meta"], "metrics": diffs, "changed": changed}


def compare_markdown(result: dict[str, Any]) -> str:
    a, b = result["a"], result["b"]
    lines = [
        f"# Comparison: A = {a['model']} on {a['dataset_name']} ({a['started']}), "
        f"B = {b['model']} on {b['dataset_name']} ({b['started']})",
        "",
        "| metric | A | B | B - A |",
        "|---|---|---|---|",
    ]
    for name, d in result["metrics"].items():
        if d["a"] is None and d["b"] is None:
            continue
        delta = f"{d['delta']:+.3f}" if d["delta"] is not None else "n/a"
        lines.append(f"| {name} | {fmt(d['a'])} | {fmt(d['b'])} | {delta} |")
    lines += ["", f"## Questions that changed verdict ({len(result['changed'])})", ""]
    lines += [f"- {c['id']}: {c['question']} — A: {c['a']}; B: {c['b']}" for c in result["changed"]]
    return "\n".join(lines) + "\n"
