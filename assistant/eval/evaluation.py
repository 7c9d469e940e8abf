"""`assistant eval`: the gold questions, their metrics, the llama-index baseline and the report.

Every question goes through the real system (`engine.ask`, `engine.search`); nothing here answers
or retrieves on its own. Scoring is a set of pure functions over `Answer`s and retrieved texts.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import subprocess
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from assistant.core.errors import BadInputFile
from assistant.core.settings import Settings
from assistant.core.types import Answer, Document

TYPES = ("numeric", "numeric_trap", "chinese_numeral", "text", "unanswerable", "followup", "cross_doc")
NUMERIC_TYPES = ("numeric", "numeric_trap", "chinese_numeral", "cross_doc")  # value and unit required
# Questions with one quote and no history: the ones retrieval is scored on.
RETRIEVAL_TYPES = ("numeric", "numeric_trap", "chinese_numeral", "text")
REL_TOL = 1e-6
OVERLAP = 0.6  # share of the quote a passage must hold in one run to count as "overlapping substantially"
LABELS_ZH = {"numeric": "数值", "numeric_trap": "数值陷阱", "chinese_numeral": "中文数字", "text": "文字",
             "unanswerable": "无答案", "followup": "追问", "cross_doc": "跨文档"}


@dataclass(frozen=True)
class GoldQuestion:
    """One line of eval/questions.jsonl."""

    id: str
    question: str
    type: str
    history: tuple[str, ...] = ()
    answer: str | None = None
    value: float | None = None
    unit: str | None = None
    quotes: tuple[str, ...] = ()  # one quote; several for cross_doc
    docs: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return self.answer is not None


@dataclass(frozen=True)
class Retrieval:
    """Where the gold passage came in one ranked list: 1-based rank, 0 when not in it."""

    qid: str
    rank: int


@dataclass
class QuestionResult:
    """One question as the system answered it, scored."""

    id: str
    type: str
    question: str
    history: list[str]
    expected: str | None
    expected_value: float | None
    expected_unit: str | None
    got: str
    got_value: float | None = None
    got_unit: str | None = None
    refused: bool = False
    correct: bool = False
    cited: bool | None = None  # None: not measured (refused, or nothing to cite)
    rank: int | None = None  # None: not a retrieval question
    latency_ms: float = 0.0
    error: str | None = None


@dataclass
class EvalReport:
    """Metrics of one run, the failures, and where the report files went."""

    counts: dict[str, int]
    metrics: dict[str, float | None]
    per_type: dict[str, float | None]
    baseline: dict[str, float | None] | None
    results: list[QuestionResult]
    seconds: float
    files: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[QuestionResult]:
        return [r for r in self.results if not r.correct]


# ---------------------------------------------------------------- the gold set

def load_gold(path: Path | str, documents: Sequence[Document] | None = None) -> list[GoldQuestion]:
    """Parse and check the gold file; with `documents`, every quote must stand in the cleaned text."""
    path = Path(path)
    if not path.is_file():
        raise BadInputFile(f"评测题集 {path} 不存在：请检查路径，或用 eval/questions.jsonl。")
    out: list[GoldQuestion] = []
    seen: set[str] = set()
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("不是 JSON 对象")
            q = _gold_from_row(row)
        except (ValueError, KeyError, TypeError) as e:
            raise BadInputFile(f"{path} 第{no}行格式不对（{e}）：每行应是一个 JSON 对象，"
                               "至少有 id、question、type 字段。") from e
        _check_gold(q, seen, f"{path.name} 第{no}行")
        seen.add(q.id)
        out.append(q)
    if documents is not None:
        check_quotes(out, documents)
    return out


def _gold_from_row(row: dict[str, Any]) -> GoldQuestion:
    quote, doc = row.get("quote"), row.get("doc")
    value, history = row.get("value"), row.get("history") or []
    if not isinstance(history, list):
        raise TypeError("history 应是之前问题的列表")
    return GoldQuestion(
        id=str(row["id"]), question=str(row["question"]), type=str(row["type"]),
        history=tuple(str(h) for h in history),
        answer=row.get("answer"), value=None if value is None else float(value), unit=row.get("unit"),
        quotes=tuple(quote) if isinstance(quote, list) else ((quote,) if quote else ()),
        docs=tuple(doc) if isinstance(doc, list) else ((doc,) if doc else ()),
        keywords=tuple(row.get("keywords") or ()),
    )


def _check_gold(q: GoldQuestion, seen: set[str], where: str) -> None:
    name = f"评测题 {q.id}（{where}）"
    if q.id in seen:
        raise BadInputFile(f"{name} 的 id 重复：每道题的 id 必须唯一。")
    if q.type not in TYPES:
        raise BadInputFile(f"{name} 的类型 {q.type!r} 未知：应为 {'、'.join(TYPES)} 之一。")
    if q.type == "unanswerable" and (q.answer is not None or q.quotes):
        raise BadInputFile(f"{name} 标为无答案，却给了答案或引文：请把 answer 和 quote 设为 null。")
    if q.type != "unanswerable" and q.answerable:
        if not q.quotes:
            raise BadInputFile(f"{name} 有答案但没有 quote：请填入文件中含答案的原文。")
        if q.type in NUMERIC_TYPES and (q.value is None or not q.unit):
            raise BadInputFile(f"{name} 是数值题，但缺 value 或 unit：请补上规范化的数值和单位。")
        if q.value is None and not q.keywords:
            raise BadInputFile(f"{name} 是文字题，但没有 keywords：请列出答案里必须出现的关键词。")


def check_quotes(questions: Iterable[GoldQuestion], documents: Sequence[Document]) -> None:
    """Raise BadInputFile naming the question whose quote is not in the cleaned corpus text."""
    texts = {d.source: d.text for d in documents}
    for q in questions:
        for i, quote in enumerate(q.quotes):
            doc = q.docs[i] if i < len(q.docs) else None
            if doc is not None and doc not in texts:
                raise BadInputFile(f"评测题 {q.id} 的 doc《{doc}》不在语料中：请写语料目录里的文件名。")
            where = [texts[doc]] if doc else list(texts.values())
            if not any(match_key(quote) in match_key(t) for t in where):
                raise BadInputFile(f"评测题 {q.id} 的引文在{('《' + doc + '》') if doc else '语料'}中找不到："
                                   f"“{quote}”。请按清洗后的文本逐字复制。")


def stratified(questions: Sequence[GoldQuestion], n: int) -> list[GoldQuestion]:
    """The first n questions taken round-robin over types, so a subset still covers every type."""
    by_type = {t: [q for q in questions if q.type == t] for t in TYPES}
    out: list[GoldQuestion] = []
    while len(out) < min(n, len(questions)):
        for t in TYPES:
            if by_type[t] and len(out) < n:
                out.append(by_type[t].pop(0))
    return out


# ---------------------------------------------------------------- scoring (pure)

_PUNCT = str.maketrans({",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "!": "！", "?": "？"})


def match_key(text: str) -> str:
    """A lenient comparison form: no whitespace or markdown marks, one form of CJK punctuation."""
    return re.sub(r"[\s#*]", "", text).translate(_PUNCT)


def passage_match(quote: str, text: str) -> bool:
    """True when `text` holds the quote, or one unbroken run of at least OVERLAP of it with a whole figure.

    The run must hold one of the quote's numbers whole, so "0张养老床位" of "新增200张养老床位" does not
    count as overlapping "新增760张养老床位".
    """
    q, t = match_key(quote), match_key(text)
    if not q or not t:
        return False
    if q in t:
        return True
    m = SequenceMatcher(None, q, t, autojunk=False).find_longest_match(0, len(q), 0, len(t))
    if m.size < OVERLAP * len(q):
        return False
    figures = [f.span() for f in re.finditer(r"\d+(?:\.\d+)?", q)]
    return not figures or any(m.a <= a and b <= m.a + m.size for a, b in figures)


def first_rank(quotes: Sequence[str], texts: Sequence[str]) -> int:
    """1-based rank of the first text holding any gold quote; 0 when none does."""
    for i, text in enumerate(texts, 1):
        if any(passage_match(q, text) for q in quotes):
            return i
    return 0


def values_match(expected: float, unit: str | None, value: float | None, got_unit: str | None) -> bool:
    """Same value within REL_TOL relative, and the same unit."""
    if value is None or unit != got_unit:
        return False
    return math.isclose(value, expected, rel_tol=REL_TOL, abs_tol=1e-12)


def keywords_found(keywords: Sequence[str], answer: Answer) -> bool:
    """Every keyword stands in the answer text or in one of its cited passages."""
    pool = [answer.text] + [c.text for c in answer.citations]
    return all(any(k in p for p in pool) for k in keywords)


def cites_gold(q: GoldQuestion, answer: Answer) -> bool:
    """Every gold quote is held by a citation, or a citation is a piece of it that shows the figure."""
    def covered(quote: str) -> bool:
        for c in answer.citations:
            if passage_match(quote, c.text):
                return True
            if q.answer and match_key(c.text) in match_key(quote) and q.answer in c.text:
                return True
        return False
    return bool(answer.citations) and all(covered(quote) for quote in q.quotes)


def is_correct(q: GoldQuestion, answer: Answer) -> bool:
    """Refusal for unanswerable questions; the figure (and names, for comparisons) or the key words."""
    if not q.answerable:
        return answer.refused
    if answer.refused:
        return False
    ok = True
    if q.value is not None:
        ok = values_match(q.value, q.unit, answer.value, answer.unit)
    if q.keywords:
        ok = ok and keywords_found(q.keywords, answer)
    return ok


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100) of a sample; None when empty."""
    if not values:
        return None
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def retrieval_scores(ranks: Sequence[int]) -> dict[str, float | None]:
    """hit@1, hit@5 and MRR of a list of 1-based ranks (0 = not found)."""
    if not ranks:
        return {"hit@1": None, "hit@5": None, "mrr": None, "n": 0}
    n = len(ranks)
    return {"hit@1": sum(r == 1 for r in ranks) / n, "hit@5": sum(1 <= r <= 5 for r in ranks) / n,
            "mrr": sum(1 / r for r in ranks if r) / n, "n": n}


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def summarize(results: Sequence[QuestionResult]) -> tuple[dict[str, float | None], dict[str, float | None]]:
    """Headline metrics and accuracy per type from scored results."""
    per_type = {t: _share([r.correct for r in results if r.type == t]) for t in TYPES}
    answerable = [r for r in results if r.expected is not None]
    unanswerable = [r for r in results if r.expected is None]
    num = [r for r in answerable if r.type in ("numeric", "numeric_trap", "chinese_numeral")]
    lat = [r.latency_ms for r in results]
    m: dict[str, float | None] = {
        "accuracy": _share([r.correct for r in results]),
        "numeric_exact_match": _share([r.correct for r in num]),
        "text_match": per_type["text"],
        "refusal_accuracy": _share([r.refused for r in unanswerable]),
        "false_refusal_rate": _share([r.refused for r in answerable]),
        "followup_accuracy": per_type["followup"],
        "citation_precision": _share([bool(r.cited) for r in answerable if r.cited is not None]),
        "latency_p50_ms": percentile(lat, 50),
        "latency_p95_ms": percentile(lat, 95),
    }
    ranks = [r.rank for r in results if r.rank is not None]
    m.update({k: v for k, v in retrieval_scores(ranks).items()})
    return m, per_type


# ---------------------------------------------------------------- running

def run_eval(engine, questions: Sequence[GoldQuestion], out_dir: Path | str,
             baseline: dict[str, float | None] | None = None) -> EvalReport:
    """Ask every question of the real engine, score it, and write report.md/.json/.png to out_dir."""
    t0 = time.perf_counter()
    results = [_run_one(engine, q) for q in questions]
    metrics, per_type = summarize(results)
    report = EvalReport(counts=dict(Counter(q.type for q in questions)), metrics=metrics, per_type=per_type,
                        baseline=baseline, results=results, seconds=round(time.perf_counter() - t0, 2))
    write_report(report, Path(out_dir))
    return report


def _run_one(engine, q: GoldQuestion) -> QuestionResult:
    r = QuestionResult(id=q.id, type=q.type, question=q.question, history=list(q.history), expected=q.answer,
                       expected_value=q.value, expected_unit=q.unit, got="")
    t = time.perf_counter()
    try:
        answer = engine.ask(q.question, list(q.history))
    except Exception as e:  # one broken question is a failure in the report, not the end of the run
        r.latency_ms = round((time.perf_counter() - t) * 1000, 1)
        r.got = r.error = f"{type(e).__name__}: {e}"
        return r
    r.latency_ms = round((time.perf_counter() - t) * 1000, 1)
    r.got, r.got_value, r.got_unit, r.refused = answer.text, answer.value, answer.unit, answer.refused
    r.correct = is_correct(q, answer)
    if q.answerable and not answer.refused:
        r.cited = cites_gold(q, answer)
    if q.answerable and q.type in RETRIEVAL_TYPES:
        hits = engine.search(q.question, k=5)
        r.rank = first_rank(q.quotes, [h.chunk.text for h in hits])
    return r


def run_baseline(settings: Settings, embedder, questions: Sequence[GoldQuestion]) -> dict[str, float | None]:
    """hit@1/hit@5/MRR of the textbook llama-index pipeline (default splitter, top-5), same embedder."""
    from llama_index.core import QueryBundle, SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter

    from assistant.index.embedding import as_llama_index

    docs = SimpleDirectoryReader(str(settings.corpus_dir), exclude=["manifest.json"]).load_data()
    index = VectorStoreIndex.from_documents(docs, embed_model=as_llama_index(embedder),
                                            transformations=[SentenceSplitter()])
    retriever = index.as_retriever(similarity_top_k=5)
    asked = [q for q in questions if q.answerable and q.type in RETRIEVAL_TYPES]
    # The query vectors the adapter would compute one by one, computed in one batch (same vectors, faster).
    vectors = embedder.embed([q.question for q in asked], "query") if asked else []
    ranks = []
    for q, v in zip(asked, vectors, strict=True):
        nodes = retriever.retrieve(QueryBundle(q.question, embedding=[float(x) for x in v]))
        ranks.append(first_rank(q.quotes, [n.node.get_content() for n in nodes]))
    return retrieval_scores(ranks)


# ---------------------------------------------------------------- report

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
    import matplotlib

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


def corpus_settings(settings: Settings, corpus: str | Path, index_dir_given: bool = False) -> Settings:
    """Settings for evaluating another corpus folder: its own index under the model cache, never ./index."""
    folder = Path(corpus).resolve()
    if not folder.is_dir():
        raise BadInputFile(f"语料目录 {corpus} 不存在：请给出一个放着文档的文件夹。")
    tag = f"{folder.name}-{hashlib.sha256(str(folder).encode()).hexdigest()[:8]}"
    changes: dict[str, Any] = {"corpus_dir": stage_corpus(folder, Path(settings.model_cache_dir) / "eval-corpus" / tag)}
    if not index_dir_given:
        changes["index_dir"] = Path(settings.model_cache_dir) / "eval-index" / tag
    return settings.model_copy(update=changes)


def stage_corpus(folder: Path, stage: Path) -> Path:
    """A folder of links to `folder`'s documents without its README (a test corpus's description
    of itself is not one of its documents)."""
    stage.mkdir(parents=True, exist_ok=True)
    wanted = {p.name: p for p in folder.iterdir() if p.is_file() and not p.name.upper().startswith("README")}
    for old in stage.iterdir():
        if old.name not in wanted or not old.is_symlink() or old.resolve() != wanted[old.name].resolve():
            old.unlink()
    for name, path in wanted.items():
        if not (stage / name).exists():
            (stage / name).symlink_to(path)
    return stage


def cli_eval(settings: Settings, subset: int | None, with_baseline: bool, corpus: str | None = None,
             questions: str | None = None, out: str | None = None, index_dir_given: bool = False) -> int:
    """Load a question set and the engine once, run everything, print a short table; 0 on success.

    Without `corpus`: the shipped corpus and eval/questions.jsonl. With it: that folder, indexed apart,
    and eval/corpora/<folder name>/questions.jsonl unless `questions` names another file.
    """
    from assistant.ingest.loading import load_corpus
    from assistant.serve.engine import build_engine

    if corpus:
        settings = corpus_settings(settings, corpus, index_dir_given)
        default_questions = Path(settings.eval_dir) / "corpora" / Path(corpus).resolve().name / "questions.jsonl"
    else:
        default_questions = Path(settings.eval_dir) / "questions.jsonl"
    question_file = Path(questions) if questions else default_questions
    out_dir = Path(out) if out else question_file.parent
    documents, _ = load_corpus(settings)
    gold = load_gold(question_file, documents)
    if subset:
        gold = stratified(gold, subset)
    engine = build_engine(settings)
    baseline = run_baseline(settings, engine.embedder, gold) if with_baseline else None
    report = run_eval(engine, gold, out_dir, baseline=baseline)
    width = max(len(r[0]) for r in summary_rows(report))
    print(f"{'metric':<{width}}  {'system':>8}  {'baseline':>8}")
    for name, ours, theirs in summary_rows(report):
        print(f"{name:<{width}}  {ours:>8}  {theirs:>8}")
    print(f"{len(gold)} questions, {len(report.failures)} failures, {report.seconds:.1f} s → "
          f"{report.files[0]}")
    return 0
