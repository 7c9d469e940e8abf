"""Table rows read as sentences (text/tables.py) and pipe tables in text files (text/cleaning.py)."""

from __future__ import annotations

import pytest

from assistant.text.cleaning import clean_text
from assistant.text.tables import row_sentence, split_pipe_row, table_lines


@pytest.mark.parametrize("cells, line", [
    (["养老机构床位", "万张", "9.5"], "养老机构床位9.5万张。"),
    (["社区服务站", "个", "16,021"], "社区服务站16021个。"),
    (["最低生活保障平均标准", "元/人·月", ""], "最低生活保障平均标准（元/人·月）。"),  # left blank: no figure
    (["城市最低生活保障", "", ""], "城市最低生活保障："),
    (["指标名称", "单位", "数量"], "指标名称，单位，数量。"),
    (["", "", ""], ""),
])
def test_row_sentence(cells, line):
    assert row_sentence(cells) == line


def test_rows_under_a_group_read_in_its_line():
    rows = [["四、社会救助", "", ""], ["城市低保", "", ""], ["低保人数", "万人", "6.1"], ["低保户数", "万户", "4.1"],
            ["农村低保", "", ""], ["低保人数", "万人", "45.9"]]
    assert table_lines(rows) == ["四、社会救助：", "城市低保：低保人数6.1万人。低保户数4.1万户。", "农村低保：低保人数45.9万人。"]


def test_a_pipe_table_in_a_text_file_becomes_sentences():
    raw = "2021年民政统计\n指标名称 | 单位 | 数量 |\n|---|---|---|\n养老机构 | 个 | 712 |\n正文一句。\n"
    text = clean_text(raw).text
    assert "养老机构712个。" in text and "|" not in text and "正文一句。" in text


def test_a_line_with_one_bar_is_no_table():
    assert split_pipe_row("甲|乙") is None


def test_a_gold_quote_copied_from_table_rows_is_read_as_the_rows_are():
    from assistant.eval.scoring import _as_read

    assert _as_read("养老机构 | 个 | 712 |\n孤儿 | 万人 | 0.3") == "养老机构712个。孤儿0.3万人"
    assert _as_read("新增床位200张") == "新增床位200张"
