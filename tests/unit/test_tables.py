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


def test_a_header_column_naming_its_unit_gives_the_rows_figures_that_unit():
    rows = [["指标", "年末数（万人）", "比重（%）"], ["全国人口", "1,000", "100.0"], ["60周岁及以上", "230", "23.0"]]
    assert table_lines(rows)[1:] == ["全国人口1000万人，比重100.0%。", "60周岁及以上230万人，比重23.0%。"]
    rows = [["指标名称", "单位", "数量（个）"], ["养老机构", "", "12"]]
    assert table_lines(rows)[1:] == ["养老机构12个。"]


def test_a_line_with_one_bar_is_no_table():
    assert split_pipe_row("甲|乙") is None


def test_a_gold_quote_copied_from_table_rows_is_read_as_the_rows_are():
    from assistant.eval.scoring import _as_read

    assert _as_read("养老机构 | 个 | 712 |\n孤儿 | 万人 | 0.3") == "养老机构712个。孤儿0.3万人"
    assert _as_read("新增床位200张") == "新增床位200张"
    several = "60周岁及以上 | 230 | 23.0"  # read against a header the quote does not hold
    assert _as_read(several) == several


def test_a_quote_of_a_row_with_several_figures_is_found_cell_by_cell():
    from assistant.eval.scoring import passage_match

    read = "60周岁及以上230万人，比重23.0%。其中：65周岁及以上150万人，比重15.0%。"
    assert passage_match("60周岁及以上 | 230 | 23.0", read)
    assert not passage_match("60周岁及以上 | 150 | 23.0", read)


# A statistics table laid out with spaces, as PDF and web pages extract it (made-up figures).
LAID = """某市民政统计季报
指标名称 单位 代码 本期 上年同期 同比
1 2 3
一、机构 MZ0100000
  1.养老机构 个 MZ0101000 1,204 1,150 4.70
    其中:A 农村敬老院 个 MZ0101100 388 402 -3.48
        B 城市养老院 个 MZ0101200 816
  2.乡级区划 MZ0102000 95 95
说明：本表数据为快报数。
"""


def test_a_table_laid_out_with_spaces_reads_each_figure_against_its_column():
    text = clean_text(LAID).text
    assert "1.养老机构1204个，上年同期1150个，同比4.70%。" in text
    assert "其中：农村敬老院388个，上年同期402个，同比-3.48%。" in text  # the item mark A goes
    assert "城市养老院816个。" in text
    assert "MZ01" not in text and "1 2 3" not in text
    assert "说明：本表数据为快报数。" in text  # the table ends where its rows do


def test_a_laid_out_row_without_unit_states_no_unit():
    assert "2.乡级区划95，上年同期95。" in clean_text(LAID).text


@pytest.mark.parametrize("line", [
    "全年新增养老床位 200张 完成年度目标",   # words after the figure: a sentence, not a row
    "2024 年 工作要点",
    "说明：本表数据为快报数。",
])
def test_lines_that_are_not_laid_out_rows(line):
    from assistant.text.tables import layout_cells

    assert layout_cells(line) is None


def test_spaced_rows_without_a_header_are_left_to_the_cleaner():
    assert clean_text("养老机构 个 1,204\n正文。").text == "养老机构个1204正文。"  # no header: joined as text


def test_header_columns():
    from assistant.text.tables import header_columns

    assert header_columns(["指标名称", "单位", "代码", "数量", "上季度", "环比"]) == ["数量", "上季度", "环比"]
    assert header_columns(["项目", "本期", "增长%"]) == ["本期", "增长%"]
    assert header_columns(["新增", "床位", "200张"]) is None
    assert header_columns(["养老", "托育", "助餐"]) is None


def test_a_quote_copied_from_a_laid_out_row_is_read_up_to_its_first_figure():
    from assistant.eval.scoring import _as_read

    assert _as_read("  1.养老机构 个 MZ0101000 1,204 1,150 4.70") == "1.养老机构1204个"
    assert _as_read("其中:A 农村敬老院 个 MZ0101100 388") == "其中:农村敬老院388个"
