"""The 评估 tab: the latest evaluation report of each corpus, in Chinese, with its chart.

Reads what `assistant eval` writes: eval/report.json for the shipped corpus and
eval/corpora/<name>/report.json for each further corpus (the shape `write_report` gives:
counts, metrics, per_type, baseline, seconds, results). The chart is drawn by Gradio from the
same figures, so it never depends on an image file being served.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.core.settings import Settings
from assistant.eval.report import LABELS_ZH
from assistant.eval.scoring import TYPES
from assistant.text.numbers import format_quantity

MAIN_CORPUS = "内置文件（上海民政）"
METRICS_ZH = [
    ("accuracy", "总体准确率"),
    ("numeric_exact_match", "数字题完全正确（数值和单位）"),
    ("text_match", "文字题答对"),
    ("refusal_accuracy", "文件里没有时正确说明“未找到”"),
    ("false_refusal_rate", "误拒率（文件里有却说没有）"),
    ("followup_accuracy", "追问答对"),
    ("citation_precision", "引用准确率"),
    ("hit@1", "检索第1条即命中"),
    ("hit@5", "检索前5条内命中"),
    ("mrr", "检索 MRR"),
    ("latency_p50_ms", "回答用时中位数"),
    ("latency_p95_ms", "回答用时 P95"),
]
MAX_FAILURES_SHOWN = 50
NO_REPORT = ("还没有评估报告。在项目目录运行 `assistant eval`（或 `make eval`）即可生成；"
             "其他文件集用 `assistant eval --corpus 目录 --questions 题集.jsonl`。生成后点击“刷新报告”。")


def report_folders(settings: Settings) -> dict[str, Path]:
    """Corpus name -> folder holding its report.json: the shipped corpus first, then eval/corpora/*."""
    root = Path(settings.eval_dir)
    found: dict[str, Path] = {}
    if (root / "report.json").is_file():
        found[MAIN_CORPUS] = root
    for folder in sorted((root / "corpora").glob("*/")) if (root / "corpora").is_dir() else []:
        if (folder / "report.json").is_file():
            found[folder.name] = folder
    return found


def load_report(folder: Path) -> dict[str, Any] | None:
    """A report.json as a dict, or None when it is missing or unreadable."""
    try:
        data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def percent(v: float | None) -> str:
    """0.98 -> 98.0%; None -> —."""
    return "—" if v is None else f"{v:.1%}"


def metric_text(key: str, v: float | None) -> str:
    """A metric as the table shows it: shares as %, MRR with 3 decimals, times in milliseconds."""
    if v is None:
        return "—"
    if key.endswith("_ms"):
        return f"{v:.0f} 毫秒"
    return f"{v:.3f}" if key == "mrr" else percent(v)


def figure_text(value: float | None, unit: str | None) -> str:
    """A figure the way the documents write it (890万元, never 8.9e+06 元)."""
    if value is None:
        return ""
    return format_quantity(value, unit or "")


def _cell(text: str, n: int = 80) -> str:
    text = " ".join(str(text or "").split()).replace("|", "／")
    return text if len(text) <= n else text[:n] + "…"


def report_markdown(name: str, data: dict[str, Any]) -> tuple[str, str]:
    """The report in Chinese: (headline figures beside the baseline and accuracy per type, the failures)."""
    metrics, base = data.get("metrics") or {}, data.get("baseline") or {}
    counts, per_type = data.get("counts") or {}, data.get("per_type") or {}
    results = data.get("results") or []
    failures = [r for r in results if not r.get("correct")]
    n = sum(counts.values()) or len(results)
    lines = [f"### {name}", f"共 **{n}** 道评测题，用时 {data.get('seconds', 0):.1f} 秒；"
             f"答错或未答 **{len(failures)}** 道。检索指标针对 {metrics.get('n', '—')} 道单段落可答题。"
             + ("对照组是未经调整的 llama-index 标准流程（同一向量模型，向量检索前5条）。" if base else ""), "",
             "| 指标 | 本系统 | 对照组 |" if base else "| 指标 | 本系统 |", "|---|---|---|" if base else "|---|---|"]
    for key, label in METRICS_ZH:
        if key in metrics:
            theirs = f" {metric_text(key, base.get(key)) if key in base else ''} |" if base else ""
            lines.append(f"| {label} | {metric_text(key, metrics.get(key))} |{theirs}")
    lines += ["", "| 题型 | 题数 | 准确率 |", "|---|---|---|"]
    for t in [t for t in TYPES if t in counts] + [t for t in counts if t not in TYPES]:
        lines.append(f"| {LABELS_ZH.get(t, t)} | {counts[t]} | {percent(per_type.get(t))} |")
    summary, lines = "\n".join(lines), []
    if failures:
        lines += [f"#### 答错或未答的题（{len(failures)}）", "", "| 编号 | 题型 | 问题 | 应答 | 实际回答 |",
                  "|---|---|---|---|---|"]
        for r in failures[:MAX_FAILURES_SHOWN]:
            asked = " → ".join([*(r.get("history") or []), r.get("question", "")])
            expected = r.get("expected") or "（应说明未找到）"
            got = "（说明未找到）" if r.get("refused") else _cell(r.get("got"))
            figure = figure_text(r.get("got_value"), r.get("got_unit"))
            if figure and not r.get("refused"):
                got = f"**{figure}** · {got}"
            lines.append(f"| {r.get('id', '')} | {LABELS_ZH.get(r.get('type'), r.get('type', ''))} | "
                         f"{_cell(asked)} | {_cell(expected)} | {got} |")
        if len(failures) > MAX_FAILURES_SHOWN:
            lines.append(f"\n另有 {len(failures) - MAX_FAILURES_SHOWN} 道未列出，见 report.json。")
    return summary, "\n".join(lines)


def chart_rows(data: dict[str, Any]):
    """Accuracy per question type as a table for the bar chart (题型, 准确率 in %)."""
    import pandas as pd

    per_type = data.get("per_type") or {}
    rows = [(LABELS_ZH.get(t, t), round(100 * v, 1)) for t, v in per_type.items() if v is not None]
    return pd.DataFrame(rows, columns=["题型", "准确率（%）"])


def evaluation_view(settings: Settings, corpus: str | None = None) -> tuple[Any, str, Any, str]:
    """(corpus choice, report summary, chart, failures) for one corpus, the first one by default."""
    folders = report_folders(settings)
    if not folders:
        return gr.update(choices=[], value=None, visible=False), NO_REPORT, gr.update(visible=False, value=None), ""
    name = corpus if corpus in folders else next(iter(folders))
    data = load_report(folders[name])
    choice = gr.update(choices=list(folders), value=name, visible=len(folders) > 1)
    if data is None:
        return choice, f"{name} 的 report.json 无法读取：请重新运行 `assistant eval`。", gr.update(visible=False), ""
    summary, failures = report_markdown(name, data)
    return choice, summary, gr.update(value=chart_rows(data), visible=True), failures


def evaluation_tab(settings: Settings) -> tuple:
    """The evaluation tab inside the caller's `gr.Tab`; returns its load function and outputs for page load."""

    def load(corpus: str | None = None):
        return evaluation_view(settings, corpus)

    corpus = gr.Radio(label="文件集", choices=[], visible=False)
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            report_md = gr.Markdown()
        with gr.Column(scale=1, min_width=320):
            chart = gr.BarPlot(x="题型", y="准确率（%）", title="各题型准确率", y_lim=[0, 100], visible=False,
                               height=320, sort=None)
    failures_md = gr.Markdown()
    outputs = [corpus, report_md, chart, failures_md]
    gr.Button("刷新报告", size="sm").click(load, [corpus], outputs, api_name="evaluation")
    corpus.input(load, [corpus], outputs, api_visibility="private")
    return load, outputs
