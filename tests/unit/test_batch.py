"""Batch files: reading each format, round trips, bad files, formula safety, resume, the CLI entry."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from assistant.core.errors import BadInputFile
from assistant.core.settings import Settings
from assistant.core.types import Answer
from assistant.serve.batch import cli_batch, run_batch
from assistant.serve.batch_files import (
    COLUMNS,
    EXCEL_CELL_MAX,
    BatchRow,
    format_value,
    read_questions,
    safe_cell,
)
from tests.fake_engine import PUTUO_TEXT, FakeEngine

Q = "普陀2024年新增多少养老床位？"


def write_xlsx(path: Path, rows: list[list]) -> Path:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def read_table(path: Path) -> list[list[str]]:
    if path.suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return list(csv.reader(fh))
    ws = load_workbook(path).active
    return [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]


# ---------------------------------------------------------------- reading


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_each_encoding(tmp_path, encoding):
    path = write_csv(tmp_path / "q.csv", [["序号", "问题"], ["a1", Q], ["a2", "那宝山2022年呢？"]], encoding)
    rows = read_questions(path)
    assert rows == [BatchRow("a1", Q), BatchRow("a2", "那宝山2022年呢？")]


def test_csv_with_english_header_and_no_id_numbers_rows(tmp_path):
    path = write_csv(tmp_path / "q.csv", [["Question", "备注"], [Q, "x"], ["", ""], ["养老床位？", ""]])
    assert [(r.id, r.question) for r in read_questions(path)] == [("1", Q), ("2", "养老床位？")]


def test_xlsx_reads_first_sheet_numbers_as_text_and_formulas_unevaluated(tmp_path):
    path = write_xlsx(tmp_path / "q.xlsx", [["序号", "问题"], [1, Q], [2.0, "=1+1"], [3, 2024]])
    rows = read_questions(path)
    assert [(r.id, r.question) for r in rows] == [("1", Q), ("2", "=1+1"), ("3", "2024")]


def test_jsonl_with_history_and_bad_lines_marked(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join([
        json.dumps({"id": "a", "question": Q}, ensure_ascii=False),
        json.dumps({"id": "b", "question": "那宝山2022年呢？", "history": [Q]}, ensure_ascii=False),
        "{broken",
        json.dumps({"id": "d"}),
        json.dumps({"id": "e", "question": "x", "history": "oops"}),
        "",
    ]), encoding="utf-8")
    rows = read_questions(path)
    assert [r.id for r in rows] == ["a", "b", "3", "d", "e"]
    assert rows[1].history == (Q,) and rows[0].error is None
    assert "不是合法的 JSON" in rows[2].error
    assert "没有 question" in rows[3].error
    assert "history" in rows[4].error


def test_duplicate_ids_are_made_unique(tmp_path):
    path = write_csv(tmp_path / "q.csv", [["id", "question"], ["1", "a"], ["1", "b"], ["", "c"]])
    assert [r.id for r in read_questions(path)] == ["1", "1-2", "3"]


def test_long_cell_errors_that_row_only(tmp_path):
    path = write_csv(tmp_path / "q.csv", [["问题"], [Q], ["养" * 100_000], ["养老床位？"]])
    rows = read_questions(path)
    assert rows[0].error is None and rows[2].error is None
    assert "太长（100000字" in rows[1].error


def test_long_cell_in_xlsx_errors_that_row_only(tmp_path):
    path = write_xlsx(tmp_path / "q.xlsx", [["问题"], ["养" * 100_000], [Q]])
    rows = read_questions(path)
    assert "太长" in rows[0].error and rows[1].error is None


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("q.txt", b"hello", "不支持的文件类型"),
        ("q.docx", b"PK", "不支持的文件类型"),
        ("q.xls", b"\xd0\xcf", "旧版 Excel.*另存为"),
        ("q.csv", b"", "空文件"),
        ("q.jsonl", b"\n\n", "没有问题"),
        ("q.csv", "序号,问题\n".encode(), "没有问题"),
        ("q.csv", "序号,内容\n1,abc\n".encode(), "没有“问题”列（找到的列名：序号、内容）"),
        ("q.xlsx", b"not a zip at all", "不是有效的 .xlsx"),
        ("q.csv", b"\xff\xfe\x00\x00garbage\x80\x81\xfe", "编码无法识别"),
    ],
)
def test_bad_files_raise_bad_input_file_in_chinese(tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BadInputFile, match=words):
        read_questions(path)


def test_missing_file(tmp_path):
    with pytest.raises(BadInputFile, match="找不到文件"):
        read_questions(tmp_path / "nope.csv")


def test_too_many_rows(tmp_path):
    path = write_csv(tmp_path / "q.csv", [["问题"]] + [[f"问题{i}"] for i in range(11)])
    assert len(read_questions(path, max_rows=11)) == 11
    with pytest.raises(BadInputFile, match="11行问题，超过每批10行的上限"):
        read_questions(path, max_rows=10)


# ---------------------------------------------------------------- cells


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+86", "'+86"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("普陀=200", "普陀=200"),
        ("", ""),
        (None, ""),
        (200, "200"),
    ],
)
def test_safe_cell_escapes_formula_starts(value, expected):
    assert safe_cell(value) == expected


def test_safe_cell_cuts_at_excel_limit_with_marker():
    cut = safe_cell("养" * 40_000)
    assert len(cut) == EXCEL_CELL_MAX and cut.endswith("…[已截断，原文共40000字]")
    assert safe_cell("养" * EXCEL_CELL_MAX) == "养" * EXCEL_CELL_MAX


@pytest.mark.parametrize("value, expected", [(200.0, "200"), (0.5, "0.5"), (916500.0, "916500"), (None, "")])
def test_format_value(value, expected):
    assert format_value(value) == expected


# ---------------------------------------------------------------- running


ROWS = [BatchRow("1", Q), BatchRow("2", "今天天气怎么样？"), BatchRow("3", "", error="这一行的问题是空的"),
        BatchRow("4", "那宝山2022年呢？", history=(Q,))]


def test_jsonl_results_one_per_row_in_order(tmp_path):
    engine = FakeEngine()
    out = tmp_path / "out.jsonl"
    summary = run_batch(engine, ROWS, out)
    recs = read_jsonl(out)
    assert [r["id"] for r in recs] == ["1", "2", "3", "4"]
    first = recs[0]
    assert set(first) >= {"id", "question", "answer", "value", "unit", "refused", "citations",
                          "understood_as", "latency_ms"}
    assert (first["value"], first["unit"], first["refused"]) == (200.0, "张", False)
    assert first["citations"] == [{"doc_title": "普陀区民政局2024年工作要点",
                                   "section": "二、建设高品质普惠养老格局 › 二是推动“普惠共享”多元养老新发展",
                                   "text": PUTUO_TEXT}]
    assert recs[1]["refused"] is True and recs[1]["error"] is None
    assert recs[2]["error"] == "这一行的问题是空的" and recs[2]["answer"] is None
    assert engine.asked[-1] == ("那宝山2022年呢？", [Q])  # the row's history reaches the engine
    assert (summary.answered, summary.not_found, summary.errors, summary.total) == (2, 1, 1, 4)
    assert "找到答案2题，未找到1题，出错1题" in summary.line()


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_table_results_have_the_chinese_columns(tmp_path, ext):
    out = tmp_path / f"out{ext}"
    run_batch(FakeEngine(), ROWS, out)
    table = read_table(out)
    assert tuple(table[0]) == COLUMNS
    row = dict(zip(COLUMNS, table[1], strict=True))
    assert row["问题"] == Q and row["数值"] == "200" and row["单位"] == "张" and row["是否找到"] == "是"
    assert row["来源文件"] == "普陀区民政局2024年工作要点" and row["引用原文"] == PUTUO_TEXT
    assert "二是推动" in row["章节"]
    assert table[2][5] == "否" and table[3][5] == "出错" and table[3][2].startswith("出错：")
    assert [r[0] for r in table[1:]] == ["1", "2", "3", "4"]


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_formula_questions_are_written_as_inert_text(tmp_path, ext):
    out = tmp_path / f"out{ext}"
    run_batch(FakeEngine(), [BatchRow("1", '=HYPERLINK("http://x","y")'), BatchRow("2", "@cmd")], out)
    table = read_table(out)
    assert table[1][1] == "'=HYPERLINK(\"http://x\",\"y\")" and table[2][1] == "'@cmd"
    if ext == ".xlsx":
        cells = list(load_workbook(out).active.iter_rows(min_row=2))
        assert all(c.data_type == "s" for row in cells for c in row if c.value is not None
                   and c.column_letter not in "AD")  # 序号 and 数值 are numbers


@pytest.mark.parametrize("ext", [".jsonl", ".csv", ".xlsx"])
def test_round_trip_from_file_to_file(tmp_path, ext):
    table = [["序号", "问题"], ["q1", Q], ["q2", "养" * 100_000], ["q3", "天气？"]]
    src = write_csv(tmp_path / "in.csv", table)
    out = tmp_path / f"out{ext}"
    summary = run_batch(FakeEngine(), read_questions(src), out)
    assert (summary.answered, summary.not_found, summary.errors) == (1, 1, 1)
    if ext == ".jsonl":
        recs = read_jsonl(out)
        assert [r["id"] for r in recs] == ["q1", "q2", "q3"] and "太长" in recs[1]["error"]
    else:
        table = read_table(out)
        assert [r[0] for r in table[1:]] == ["q1", "q2", "q3"]
        assert len(table[2][1]) == EXCEL_CELL_MAX and table[2][1].endswith("原文共100000字]")


@pytest.mark.parametrize("ext", [".jsonl", ".csv", ".xlsx"])
def test_resume_skips_ids_already_in_out(tmp_path, ext):
    out = tmp_path / f"out{ext}"
    run_batch(FakeEngine(), ROWS[:2], out)
    engine = FakeEngine()
    seen = []
    summary = run_batch(engine, ROWS, out, progress=lambda done, total: seen.append((done, total)))
    assert summary.skipped == 2 and summary.total == 4
    assert [q for q, _ in engine.asked] == ["那宝山2022年呢？"]  # row 3 errors without asking
    assert seen[0] == (2, 4) and seen[-1] == (4, 4)
    ids = [r["id"] for r in read_jsonl(out)] if ext == ".jsonl" else [r[0] for r in read_table(out)[1:]]
    assert ids == ["1", "2", "3", "4"]
    # a third run has nothing left to do
    again = FakeEngine()
    assert run_batch(again, ROWS, out).skipped == 4 and again.asked == []


def test_no_resume_starts_over(tmp_path):
    out = tmp_path / "out.jsonl"
    run_batch(FakeEngine(), ROWS, out)
    run_batch(FakeEngine(), ROWS[:1], out, resume=False)
    assert [r["id"] for r in read_jsonl(out)] == ["1"]


def test_engine_failure_on_one_row_does_not_stop_the_run(tmp_path):
    class Flaky(FakeEngine):
        def ask(self, question, history=()):
            if "天气" in question:
                raise RuntimeError("boom")
            return super().ask(question, history)

    out = tmp_path / "out.jsonl"
    summary = run_batch(Flaky(), ROWS, out)
    recs = read_jsonl(out)
    assert "RuntimeError: boom" in recs[1]["error"] and recs[3]["value"] == 200.0
    assert summary.errors == 2 and summary.error_ids == ["2", "3"]


def test_unknown_output_type(tmp_path):
    with pytest.raises(BadInputFile, match="结果文件类型“.txt”不支持"):
        run_batch(FakeEngine(), ROWS, tmp_path / "out.txt")


# ---------------------------------------------------------------- CLI entry


def test_cli_batch_writes_results_and_a_summary_line(tmp_path, capsys):
    src = write_csv(tmp_path / "in.csv", [["问题"], [Q], ["天气？"]], "gbk")
    out = tmp_path / "out.xlsx"
    code = cli_batch(Settings(), src, out, engine=FakeEngine())
    captured = capsys.readouterr()
    assert code == 0
    assert "共2题：找到答案1题，未找到1题，出错0题" in captured.out
    assert "批量问答" in captured.err  # the tqdm bar goes to stderr
    assert len(read_table(out)) == 3


def test_cli_batch_bad_file_is_one_line_and_exit_2(tmp_path, capsys):
    src = write_csv(tmp_path / "in.csv", [["内容"], ["x"]])
    assert cli_batch(Settings(), src, tmp_path / "out.csv", engine=FakeEngine()) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "问题" in err and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


def test_cli_batch_row_errors_exit_1(tmp_path, capsys):
    src = write_csv(tmp_path / "in.csv", [["问题"], [Q], ["养" * 3000]])
    assert cli_batch(Settings(max_question_chars=2000), src, tmp_path / "o.jsonl", engine=FakeEngine()) == 1
    assert "出错1题" in capsys.readouterr().out


def test_cli_batch_respects_max_batch_rows(tmp_path, capsys):
    src = write_csv(tmp_path / "in.csv", [["问题"], ["a"], ["b"], ["c"]])
    assert cli_batch(Settings(max_batch_rows=2), src, tmp_path / "o.jsonl", engine=FakeEngine()) == 2
    assert "ASSISTANT_MAX_BATCH_ROWS" in capsys.readouterr().err


def test_xlsx_writes_ids_and_values_as_numbers_and_codes_as_text(tmp_path):
    rows = [BatchRow("1", Q), BatchRow("007", Q), BatchRow("2", "今天天气怎么样？")]
    out = tmp_path / "out.xlsx"
    run_batch(FakeEngine(), rows, out)
    ws = load_workbook(out).active
    assert [ws.cell(r, 1).value for r in (2, 3, 4)] == [1, "007", 2]  # a leading zero stays as written
    assert ws.cell(2, 4).value == 200 and ws.cell(2, 4).data_type == "n"
    assert ws.cell(4, 4).value is None  # no figure: an empty cell, not "0"


@pytest.mark.parametrize("ext", [".jsonl", ".csv", ".xlsx"])
def test_the_inputs_own_columns_are_kept_beside_the_answers(tmp_path, ext):
    src = write_csv(tmp_path / "in.csv", [["序号", "街镇", "问题", "备注", ""], ["1", "长寿路", Q, "核对", ""],
                                          ["2", "", "今天天气怎么样？", "=1+1", ""]])
    rows = read_questions(src)
    assert rows[0].extra == (("街镇", "长寿路"), ("备注", "核对"))  # the empty, unnamed column is left out
    out = tmp_path / f"out{ext}"
    run_batch(FakeEngine(), rows, out)
    if ext == ".jsonl":
        assert [r["extra"] for r in read_jsonl(out)] == [{"街镇": "长寿路", "备注": "核对"}, {"街镇": "", "备注": "=1+1"}]
        return
    table = read_table(out)
    assert table[0] == [*COLUMNS, "街镇", "备注"]
    assert table[1][-2:] == ["长寿路", "核对"] and table[2][-1] == "'=1+1"
    assert table[1][2].startswith("根据")
    summary = run_batch(FakeEngine(), rows, out)  # resuming keeps the extra columns of the rows done
    assert summary.skipped == 2 and read_table(out)[1][-2:] == ["长寿路", "核对"]


def test_jsonl_input_keeps_its_other_keys(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "question": Q, "街镇": "长寿路", "n": 3}, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    assert read_questions(src)[0].extra == (("街镇", "长寿路"), ("n", "3"))


def test_a_unit_with_a_denominator_is_written_whole():
    from assistant.serve.batch_files import result_record, table_cells

    answer = Answer(question="q", text="长宁区社区养老服务设施建筑面积61平方米/千人。", value=61.0, unit="平方米/千人",
                    as_written="61平方米/千人")
    cells = dict(zip(COLUMNS, table_cells(result_record(BatchRow("1", "q"), answer, None)), strict=True))
    assert cells["单位"] == "平方米/千人" and cells["答案"].endswith("61平方米/千人。")
