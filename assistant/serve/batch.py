"""Batch runs: answer every question of a file into a result file; `cli_batch` for `assistant batch IN -o OUT`."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant.core.errors import AssistantError, BadInputFile
from assistant.core.settings import Settings
from assistant.serve.batch_files import (
    OUTPUT_TYPES,
    XLSX_SAVE_EVERY,
    BatchRow,
    BatchSummary,
    ResultWriter,
    extra_columns,
    read_done,
    read_questions,
    result_record,
)
from assistant.serve.engine import build_engine


def check_output_path(out_path: str | Path) -> Path:
    """OUT as a Path when its extension names a result format we write."""
    out = Path(out_path)
    if out.suffix.lower() not in OUTPUT_TYPES:
        kind = out.suffix or "无扩展名"
        raise BadInputFile(f"结果文件类型“{kind}”不支持：请以 .xlsx、.csv 或 .jsonl 结尾。")
    return out


def run_batch(engine, rows: Sequence[BatchRow], out_path: str | Path,
              progress: Callable[[int, int], None] | None = None, resume: bool = True) -> BatchSummary:
    """Answer every row into OUT (.jsonl/.csv/.xlsx); rows whose id is already in OUT are skipped.

    `progress(done, total)` counts rows, those skipped as already done included.
    """
    out = check_output_path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not resume and out.exists():
        out.unlink()
    done = read_done(out) if resume else {}
    todo = [r for r in rows if r.id not in done]
    summary = BatchSummary(total=len(rows), skipped=len(rows) - len(todo), out_path=str(out))
    writer = ResultWriter(out, done, [r.id for r in rows], extra_columns(rows))
    t0 = time.perf_counter()
    if progress:
        progress(summary.skipped, len(rows))
    try:
        for n, row in enumerate(todo, start=1):
            rec = _answer_row(engine, row)
            writer.write(rec)
            if rec["error"]:
                summary.errors += 1
                summary.error_ids.append(row.id)
            elif rec["refused"]:
                summary.not_found += 1
            else:
                summary.answered += 1
            if writer.ext == ".xlsx" and n % XLSX_SAVE_EVERY == 0:
                writer.save_xlsx()
            if progress:
                progress(summary.skipped + n, len(rows))
    finally:
        writer.close()
        summary.seconds = time.perf_counter() - t0
    return summary


def _answer_row(engine, row: BatchRow) -> dict[str, Any]:
    if row.error:
        return result_record(row, None, row.error)
    try:
        return result_record(row, engine.ask(row.question, list(row.history)), None)
    except AssistantError as exc:
        return result_record(row, None, str(exc))
    except Exception as exc:  # one row must not end a 5000-row run; the error is kept in its row
        return result_record(row, None, f"内部错误（{type(exc).__name__}: {exc}）：请把这一行报告给管理员。")


def cli_batch(settings: Settings, in_path: str | Path, out_path: str | Path, engine=None) -> int:
    """`assistant batch IN -o OUT`: progress bar on stderr, summary line; 0 ok, 1 rows failed, 2 bad input."""
    try:
        check_output_path(out_path)
        rows = read_questions(in_path, settings.max_batch_rows, settings.max_question_chars)
    except BadInputFile as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    if engine is None:
        try:
            engine = build_engine(settings)
        except AssistantError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 2
    bar = tqdm(total=len(rows), desc="批量问答", unit="题", file=sys.stderr, dynamic_ncols=True)

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)

    try:
        summary = run_batch(engine, rows, out_path, progress=progress)
    finally:
        bar.close()
    print(summary.line())
    return 1 if summary.errors else 0

