"""The evaluation report: report.md (metrics beside the baseline, accuracy per type, every failure),
report.json (every result) and report.png (the chart)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict
from pathlib import Path

from assistant.eval.scoring import RETRIEVAL_TYPES, TYPES, EvalReport

LABELS_ZH = {"numeric": "数值", "numeric_trap": "数值陷阱", "chinese_numeral": "中文数字", "text": "文字",
             "unanswerable": "无答案", "followup": "追问", "cross_doc": "跨文档"}

METRIC_ROWS = [
    ("accuracy", "overall accuracy"),
    ("numeric_exact_match", "numeric exact match (numeric+trap+cn)"),
    ("text_match", "text-answer match"),
    ("refusal_accuracy", "refusal accuracy (unanswerable)"),
    ("false_refusal_rate", "false-refusal rate (answerable)"),
    ("followup_accuracy", "follow-up accuracy"),
    ("citation_precision", "citation precision"),
    ("hit@1", "retrieval hit@1"),
    ("hit@5", "retrieval hit@5"),
    ("mrr", "retrieval MRR"),
    ("latency_p50_ms", "ask latency p50 (ms)"),
    ("latency_p95_ms", "ask latency p95 (ms)"),
]


def _fmt(v: float | None, key: str = "") -> str:
    if v is None:
        return "—"
    return f"{v:.0f}" if key.endswith("_ms") else f"{v:.1%}" if key != "mrr" else f"{v:.3f}"


def summary_rows(report: EvalReport) -> list[tuple[str, str, str]]:
    """(metric, system, baseline) rows for the report and the CLI table."""
    b = report.baseline or {}
    return [(label, _fmt(report.metrics.get(k), k), _fmt(b.get(k), k) if k in b else "")
            for k, label in METRIC_ROWS]


def write_report(report: EvalReport, out_dir: Path) -> None:
    """eval/report.md with the chart embedded, eval/report.json with every result, eval/report.png."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png = out_dir / "report.png"
    write_chart(report, png)
    (out_dir / "report.json").write_text(json.dumps(
        {"counts": report.counts, "metrics": report.metrics, "per_type": report.per_type,
         "baseline": report.baseline, "seconds": report.seconds,
         "failures": [r.id for r in report.failures], "results": [asdict(r) for r in report.results]},
        ensure_ascii=False, indent=1), encoding="utf-8")
    (out_dir / "report.md").write_text(render_markdown(report, png.name), encoding="utf-8")
    report.files = [str(out_dir / "report.md"), str(out_dir / "report.json"), str(png)]


def render_markdown(report: EvalReport, chart: str) -> str:
    """The human-readable report: metrics beside the baseline, accuracy per type, every failure."""
    n = sum(report.counts.values())
    lines = [f"# Evaluation report\n\n{n} gold questions, {report.seconds:.1f} s. "
             f"Retrieval metrics cover the {report.metrics.get('n', 0)} answerable single-passage questions "
             f"({', '.join(RETRIEVAL_TYPES)}); the baseline is the textbook llama-index pipeline "
             "(SimpleDirectoryReader, default SentenceSplitter, same embedder, vector top-5).\n",
             f"![accuracy per question type]({chart})\n", "| metric | system | baseline |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in summary_rows(report)]
    lines += ["\n## Accuracy per question type\n", "| type | questions | accuracy |", "|---|---|---|"]
    lines += [f"| {t} | {report.counts.get(t, 0)} | {_fmt(report.per_type.get(t))} |" for t in TYPES]
    lines += [f"\n## Failures ({len(report.failures)})\n", "| id | type | question | expected | got |",
              "|---|---|---|---|---|"]
    for r in report.failures:
        q = " → ".join([*r.history, r.question])
        exp = "（应拒答）" if r.expected is None else r.expected
        got = "（拒答）" if r.refused else (r.got or "").replace("\n", " ")[:120]
        if r.got_value is not None:
            got = f"{r.got_value:g} {r.got_unit or ''} · {got}"
        lines.append(f"| {r.id} | {r.type} | {q} | {exp} | {got.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def cjk_font() -> str | None:
    """The file of a font that can draw Chinese, from fontconfig; None when the machine has none."""
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.strip().rstrip(":") for line in out.splitlines() if line.strip())
    return files[0] if files else None


def write_chart(report: EvalReport, path: Path) -> None:
    """Accuracy per type, and retrieval beside the baseline (two bars); Chinese labels given a CJK font."""
    import matplotlib  # imported here: a second of start-up that only writing the report needs

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    font = cjk_font()
    if font:
        font_manager.fontManager.addfont(font)  # may be newer than matplotlib's font cache
        plt.rcParams["font.sans-serif"] = [font_manager.FontProperties(fname=font).get_name(), "DejaVu Sans"]
    label = (lambda t: LABELS_ZH.get(t, t)) if font else (lambda t: t)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [7, 3]})
    types = [t for t in TYPES if report.per_type.get(t) is not None]
    ax1.bar([label(t) for t in types], [report.per_type[t] for t in types], color="#3b7dd8")
    ax1.set_ylim(0, 1)
    ax1.set_title("准确率（按题型）" if font else "accuracy per question type")
    ax1.tick_params(axis="x", rotation=30)
    keys = ["hit@1", "hit@5", "mrr"]
    xs = range(len(keys))
    ax2.bar([x - 0.2 for x in xs], [report.metrics.get(k) or 0 for k in keys], 0.4, label="system")
    if report.baseline:
        ax2.bar([x + 0.2 for x in xs], [report.baseline.get(k) or 0 for k in keys], 0.4,
                label="llama-index baseline")
    ax2.set_xticks(list(xs), keys)
    ax2.set_ylim(0, 1)
    ax2.set_title("检索" if font else "retrieval")
    ax2.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
