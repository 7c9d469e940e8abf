"""Batch files: read questions from .jsonl/.csv/.xlsx and write result rows (resumable), as plain functions.

`read_questions(path)` -> rows; `open_writer(out)` appends results; `read_done(out)` for resuming.
A bad row gets an error in its own row; a bad file raises `BadInputFile` with a message saying what to do.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.core.errors import BadInputFile
from assistant.core.types import Answer

INPUT_TYPES = (".jsonl", ".csv", ".xlsx")
OUTPUT_TYPES = (".jsonl", ".csv", ".xlsx")
QUESTION_COLUMNS = ("问题", "question")
ID_COLUMNS = ("序号", "id", "编号")
COLUMNS = ("序号", "问题", "答案", "数值", "单位", "是否找到", "来源文件", "章节", "引用原文", "回答方式", "回答说明")
BACKENDS = {"offline": "离线检索", "openai": "大模型（已核对）"}
EXCEL_CELL_MAX = 32767
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_SAVE_EVERY = 100  # rows between full rewrites of an .xlsx result, so a crash loses little
FOUND, NOT_FOUND, FAILED = "是", "否", "出错"
NUMBER_COLUMNS = (COLUMNS.index("序号"), COLUMNS.index("数值"))  # written to .xlsx as numbers
JSONL_KEYS = ("id", "序号", "question", "问题", "history")
JSONL_HINT = '请写成 {"id": "1", "question": "…"}。'
Extra = tuple[tuple[str, str], ...]  # (column, value) of the input beyond id, question and history
RawRow = tuple[str | None, str, tuple[str, ...], str | None, Extra]  # id, question, history, error, extra


@dataclass(frozen=True)
class BatchRow:
    """One question of a batch file; `error` is set when the row cannot be asked as written."""

    id: str
    question: str
    history: tuple[str, ...] = ()
    error: str | None = None
    extra: Extra = ()  # the input's other columns, written back beside the answer


@dataclass
class BatchSummary:
    """What a run did: counts for this run, rows skipped as already done, where the results are."""

    total: int = 0
    answered: int = 0
    not_found: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0
    out_path: str = ""
    error_ids: list[str] = field(default_factory=list)

    def line(self) -> str:
        """The closing summary, in Chinese, one line."""
        done = f"，跳过已完成{self.skipped}题" if self.skipped else ""
        return (f"共{self.total}题{done}：找到答案{self.answered}题，未找到{self.not_found}题，"
                f"出错{self.errors}题；用时{self.seconds:.1f}秒；结果已写入 {self.out_path}")


# ---------------------------------------------------------------- reading


def read_questions(path: str | Path, max_rows: int = 5000, max_chars: int = 2000) -> list[BatchRow]:
    """Rows of a .jsonl/.csv/.xlsx questions file; raises BadInputFile when the file cannot be used."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext == ".xls":
        raise BadInputFile(f"{path.name} 是旧版 Excel（.xls）文件：请在 Excel 里“另存为” .xlsx 后再试。")
    if ext not in INPUT_TYPES:
        raise BadInputFile(
            f"不支持的文件类型“{ext or '无扩展名'}”（{path.name}）：请使用 .xlsx、.csv（第一行写“问题”列名）"
            "或 .jsonl（每行一个 {\"id\": …, \"question\": …}）。"
        )
    if not path.is_file():
        raise BadInputFile(f"找不到文件 {path}：请检查路径是否正确。")
    if path.stat().st_size == 0:
        raise BadInputFile(f"{path.name} 是空文件：请在文件里填入问题后再试。")
    if ext == ".jsonl":
        raw = _read_jsonl(path)
    else:
        table = _read_csv(path) if ext == ".csv" else _read_xlsx(path)
        raw = _rows_from_table(table, path.name)
    if not raw:
        raise BadInputFile(f"{path.name} 里没有问题：请至少填写一行问题。")
    if len(raw) > max_rows:
        raise BadInputFile(
            f"{path.name} 有{len(raw)}行问题，超过每批{max_rows}行的上限：请拆成几个文件分批运行，"
            "或由管理员调高 ASSISTANT_MAX_BATCH_ROWS。"
        )
    return _finish_rows(raw, max_chars)


def _read_jsonl(path: Path) -> list[RawRow]:
    text = _decode(path.read_bytes(), path.name)
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            rows.append((None, "", (), f"第{n}行不是合法的 JSON：{JSONL_HINT}", ()))
            continue
        if not isinstance(obj, dict):
            rows.append((None, "", (), f"第{n}行不是 JSON 对象：{JSONL_HINT}", ()))
            continue
        rid = obj.get("id", obj.get("序号"))
        question = obj.get("question", obj.get("问题"))
        history = obj.get("history") or []
        error = None
        if question is None:
            error = f"第{n}行没有 question 字段：请补上问题。"
        elif not isinstance(question, str):
            error = f"第{n}行的 question 不是文字：请写成字符串。"
        if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
            error = error or f"第{n}行的 history 应是问题文字的列表，例如 [\"普陀2024年新增多少养老床位？\"]"
            history = []
        extra = tuple((str(k), v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
                      for k, v in obj.items() if k not in JSONL_KEYS)
        rows.append((None if rid is None else _cell_text(rid), question if isinstance(question, str) else "",
                     tuple(history), error, extra))
    return rows


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else GBK/GB18030, as Excel on Chinese Windows saves CSV."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise BadInputFile(f"{name} 的编码无法识别：请用 Excel 或记事本另存为“UTF-8”编码后再试。")


def _read_csv(path: Path) -> list[list[str]]:
    text = _decode(path.read_bytes(), path.name)
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))  # long cells are a row error
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise BadInputFile(f"{path.name} 不是规范的 CSV（{exc}）：请用 Excel 打开后另存为 CSV。") from exc


def _read_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook  # only for .xlsx files: the API and CLI start without it

    try:
        # data_only=False: a formula cell reads as its text ("=1+1"), never evaluated
        wb = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise BadInputFile(f"{path.name} 不是有效的 .xlsx 文件：请用 Excel 打开后另存为 .xlsx。") from exc
    try:
        ws = wb.worksheets[0]
        return [["" if v is None else _cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def _cell_text(value: Any) -> str:
    """A cell as the text a person sees: 3.0 -> "3", formulas as their text."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if not isinstance(value, str) else value.strip()


def _rows_from_table(table: list[list[str]], name: str) -> list[RawRow]:
    table = [row for row in table if any(c.strip() for c in row)]
    if not table:
        return []
    header = [c.strip().lstrip("\ufeff").lower() for c in table[0]]
    q_col = next((header.index(c) for c in QUESTION_COLUMNS if c in header), None)
    if q_col is None:
        found = "、".join(c for c in header if c) or "（空）"
        raise BadInputFile(
            f"{name} 的第一行没有“问题”列（找到的列名：{found}）：请把问题所在列的第一行写成“问题”"
            "或“question”。"
        )
    id_col = next((header.index(c) for c in ID_COLUMNS if c in header), None)
    width = max(len(r) for r in table)
    names = [(table[0][i].strip().lstrip("\ufeff") if i < len(table[0]) else "") or f"列{i + 1}"
             for i in range(width)]
    keep = [i for i in range(width) if i not in (q_col, id_col) and names[i] not in COLUMNS
            and any(i < len(r) and r[i].strip() for r in table[1:])]
    rows = []
    for row in table[1:]:
        cell = row[q_col].strip() if q_col < len(row) else ""
        rid = row[id_col].strip() if id_col is not None and id_col < len(row) else ""
        extra = tuple((names[i], row[i] if i < len(row) else "") for i in keep)
        rows.append((rid or None, cell, (), None, extra))
    return rows


def _finish_rows(raw: Sequence[RawRow], max_chars: int) -> list[BatchRow]:
    """Give every row a unique id (its row number when none), and mark rows that cannot be asked."""
    rows, seen = [], set()
    for n, (rid, question, history, error, extra) in enumerate(raw, start=1):
        base = rid or str(n)
        rid, k = base, 2
        while rid in seen:
            rid, k = f"{base}-{k}", k + 1
        seen.add(rid)
        question = question.strip()
        if error is None and not question:
            error = "这一行的问题是空的：请填写问题或删除这一行。"
        elif error is None and len(question) > max_chars:
            error = f"这一行的问题太长（{len(question)}字，上限{max_chars}字）：请缩短到一个具体问题。"
        rows.append(BatchRow(id=rid, question=question, history=history, error=error, extra=extra))
    return rows


# ---------------------------------------------------------------- writing


def safe_cell(value: Any) -> str:
    """A cell as inert text: formula-like starts escaped, cut at Excel's limit with a marker."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        text = "'" + text
    if len(text) > EXCEL_CELL_MAX:
        marker = f"…[已截断，原文共{len(text)}字]"
        text = text[: EXCEL_CELL_MAX - len(marker)] + marker
    return text


def as_number(text: str) -> int | float | None:
    """A cell's text as the number it writes ("12" -> 12, "0.5" -> 0.5), None for anything else ("007", "1-2")."""
    if not re.fullmatch(r"-?(0|[1-9]\d{0,14})(\.\d+)?", text or ""):
        return None
    return float(text) if "." in text else int(text)


def format_value(value: float | None) -> str:
    """200.0 -> "200", 0.5 -> "0.5", None -> ""."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def result_record(row: BatchRow, answer: Answer | None, error: str | None) -> dict[str, Any]:
    """The JSONL result of one row."""
    if answer is None:
        return {"id": row.id, "question": row.question, "answer": None, "value": None, "unit": None,
                "refused": None, "citations": [], "understood_as": None, "latency_ms": None, "error": error,
                "backend": None, "notes": [], "extra": dict(row.extra)}
    return {
        "id": row.id, "question": row.question, "answer": answer.text, "value": answer.value,
        "unit": answer.unit, "refused": answer.refused,
        "citations": [{"doc_title": c.doc_title, "section": c.section, "text": c.text}
                      for c in answer.citations],
        "understood_as": answer.understood_as, "latency_ms": answer.latency_ms, "error": None,
        "backend": answer.backend, "notes": list(answer.notes),
        "extra": dict(row.extra),
    }


def extra_columns(rows: Sequence[BatchRow]) -> list[str]:
    """The input's own columns beyond the question, in the order first seen."""
    out: list[str] = []
    for r in rows:
        out += [name for name, _ in r.extra if name not in out]
    return out


def table_cells(rec: dict[str, Any], extra: Sequence[str] = ()) -> list[str]:
    """One result as the spreadsheet columns of COLUMNS and then the input's `extra` columns, escaped."""
    cits = rec["citations"]
    if rec["error"]:
        found, answer = FAILED, "出错：" + rec["error"]
    else:
        found, answer = (NOT_FOUND if rec["refused"] else FOUND), rec["answer"] or ""
    quotes = [c["text"] for c in cits]
    if len(quotes) > 1:
        quotes = [f"[{i}] {q}" for i, q in enumerate(quotes, start=1)]
    cells = [rec["id"], rec["question"], answer, format_value(rec["value"]), rec["unit"] or "", found,
             "\n".join(c["doc_title"] for c in cits), "\n".join(c["section"] for c in cits),
             "\n\n".join(quotes), BACKENDS.get(rec.get("backend") or "", rec.get("backend") or ""),
             "\n".join(rec.get("notes") or ())]
    kept = rec.get("extra") or {}
    cells += [kept.get(name, "") for name in extra]
    return [safe_cell(c) for c in cells]


class ResultWriter:
    """Appends results to .jsonl/.csv as they come; keeps .xlsx in memory and rewrites it in full."""

    def __init__(self, out: Path, done: dict[str, list[str] | dict[str, Any]], order: list[str],
                 extra: Sequence[str] = ()):
        self.out, self.ext, self.order, self.extra = out, out.suffix.lower(), order, list(extra)
        self.header = [*COLUMNS, *self.extra]
        self.records: dict[str, list[str] | dict[str, Any]] = dict(done)
        self.fh = None
        if self.ext in (".jsonl", ".csv"):
            new = not out.exists() or out.stat().st_size == 0
            enc = "utf-8-sig" if self.ext == ".csv" and new else "utf-8"  # BOM so Excel reads Chinese
            self.fh = open(out, "a", encoding=enc, newline="")
            if self.ext == ".csv":
                self.csv = csv.writer(self.fh)
                if new:
                    self.csv.writerow(self.header)

    def write(self, rec: dict[str, Any]) -> None:
        if self.ext == ".jsonl":
            self.fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            self.fh.flush()
        elif self.ext == ".csv":
            self.csv.writerow(table_cells(rec, self.extra))
            self.fh.flush()
        else:
            self.records[rec["id"]] = table_cells(rec, self.extra)

    def save_xlsx(self) -> None:
        from openpyxl import Workbook  # only for .xlsx files: the API and CLI start without it
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter

        wb = Workbook()
        ws = wb.active
        ws.title = "结果"
        ws.append(self.header)
        for c in ws[1]:
            c.font = Font(bold=True)
        ids = [i for i in self.order if i in self.records] + [i for i in self.records if i not in self.order]
        for rid in ids:
            cells = self.records[rid]
            ws.append([ILLEGAL_CHARACTERS_RE.sub("", str(v)) for v in cells])
            for i, c in enumerate(ws[ws.max_row]):
                number = as_number(c.value) if i in NUMBER_COLUMNS else None
                if number is None:
                    c.data_type = "s"  # text, never a formula
                else:
                    c.value = number  # 序号 and 数值 as numbers, so Excel sorts and sums them
                c.alignment = Alignment(wrap_text=True, vertical="top")
        widths = [8, 36, 48, 10, 8, 10, 30, 30, 60] + [16] * len(self.extra)
        for col, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.freeze_panes = "A2"
        tmp = self.out.with_name(self.out.name + ".tmp")
        wb.save(tmp)
        os.replace(tmp, self.out)

    def close(self) -> None:
        if self.fh:
            self.fh.close()
        elif self.ext == ".xlsx":
            self.save_xlsx()


def read_done(out: Path) -> dict[str, list[str] | dict[str, Any]]:
    """Results already in OUT, by id (for resuming); unreadable lines are ignored and redone."""
    if not out.exists() or out.stat().st_size == 0:
        return {}
    ext = out.suffix.lower()
    done: dict[str, Any] = {}
    if ext == ".jsonl":
        for line in out.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
                done[str(rec["id"])] = rec
            except (json.JSONDecodeError, KeyError, TypeError):
                continue
        return done
    table = _read_csv(out) if ext == ".csv" else _read_xlsx(out)
    width = max(len(COLUMNS), len(table[0]) if table else 0)
    for row in table[1:]:
        if row and row[0]:
            rid = row[0][1:] if row[0].startswith("'") and row[0][1:2] in FORMULA_PREFIXES else row[0]
            done[rid] = (row + [""] * width)[:width]
    return done
