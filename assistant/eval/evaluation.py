"""`assistant eval`: every gold question through the real system, scored, and the report written.

Every question goes through the real system (`engine.ask`, `engine.search`); nothing here answers
or retrieves on its own. The gold set and scoring live in `scoring`, the files in `report`, the
llama-index comparison in `baseline`.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.core.errors import BadInputFile
from assistant.core.settings import Settings
from assistant.eval.baseline import run_baseline
from assistant.eval.report import summary_rows, write_report
from assistant.eval.scoring import (
    RETRIEVAL_TYPES,
    EvalReport,
    GoldQuestion,
    QuestionResult,
    cites_gold,
    first_rank,
    is_correct,
    load_gold,
    stratified,
    summarize,
)
from assistant.ingest.loading import load_corpus
from assistant.serve.engine import build_engine


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
