"""Years in documents and questions: one parser, tables of cases and a round-trip property."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.text.time import find_years, parse_period, question_years, written_period


@pytest.mark.parametrize(
    "text, years",
    [("2024", [2024]), ("2024年", [2024]), ("24年", [2024]), ("二〇二四年", [2024]), ("二零二四年", [2024]),
     ("普陀2024年新增多少养老床位？", [2024]), ("那宝山22年呢", [2022]), ("普陀新增多少床位", []),
     ("新增200张", []), ("2021-2023年", [2021, 2022, 2023]), ("2021年和2022年", [2021, 2022]),
     ("满20年的", []), ("80年代", [])],
)
def test_question_years(text, years):
    assert question_years(text, None)[0] == years


@pytest.mark.parametrize("text, reference, years, period",
                         [("今年新增多少", 2026, [2026], None), ("去年呢", 2026, [2025], None),
                          ("明年计划", 2024, [2025], None), ("今年新增多少", None, [], "今年"),
                          ("十四五期间", None, [], "十四五"),
                          # the year compared against is no year asked: the conversation's year stands
                          ("跟上年比床位变了多少？", 2026, [], None), ("比去年增长多少", 2026, [], None),
                          ("与上年相比呢", 2026, [], None)])
def test_relative_years_resolve_against_the_reference(text, reference, years, period):
    got, got_period, _ = question_years(text, reference)
    assert (got, got_period) == (years, period)


@pytest.mark.parametrize(
    "text, period",
    [("十四五", (2021, 2025)), ("“十三五”末期", (2016, 2020)), ("十五五规划", (2026, 2030)),
     ("十一五", (2006, 2010)), ("2024年", None)],
)
def test_parse_period(text, period):
    assert parse_period(text) == period


def test_find_years_in_document_text():
    text = "截至2023年6月，2021年以来，到二〇三五年，“十四五”上半期，2022年2月21日，长民〔2022〕2号，200张"
    years = find_years(text, bare=False)
    assert [y.year for y in years] == [2023, 2021, 2035, None, 2022]
    assert years[3].period == (2021, 2025)
    assert all(text[y.start:y.end].endswith(("年", "五")) for y in years)


@given(st.integers(min_value=2000, max_value=2050))
def test_question_year_forms_round_trip(year):
    digits = "〇一二三四五六七八九"
    assert question_years(f"{year}年的呢", None)[0] == [year]
    assert question_years("".join(digits[int(c)] for c in str(year)) + "年", None)[0] == [year]
    if 2015 <= year <= 2029:  # 30年 and up read as durations (满30年), not as 2030
        assert question_years(f"{year % 100:02d}年", None)[0] == [year]


@pytest.mark.parametrize("before, period", [
    ("“十四五”上半期，共完成新增床位", (2021, 2023)),  # the first half, to the mid-term review
    ("十三五末期持证率达到", (2020, 2020)),
    ("十四五期间累计新增", (2021, 2025)),
    ("2022年新增", None),  # a year, not a period: the fact's own year decides
    ("十四五以来，2022年新增", None),  # the last time named is a year
    ("全年新增", None),
])
def test_the_plan_period_a_figure_holds_for(before, period):
    assert written_period(before, len(before)) == period


def test_a_plan_period_s_time_word_is_part_of_the_time_not_of_the_subject():
    from assistant.text.time import question_years

    text = "河北“十四五”时期城镇新增就业多少人？"
    years, period, spans = question_years(text, 2026)
    assert period == "十四五" and any(text[a:b].endswith("时期") for a, b in spans)


def test_the_end_of_a_plan_period_is_asked_as_its_last_year():
    from assistant.text.time import question_years

    assert question_years("十三五末社区工作者持证率是多少？", 2026)[:2] == ([2020], "十三五")
    assert question_years("山东“十四五”末人均生产总值是多少？", 2026)[:2] == ([2025], "十四五")
    assert question_years("十四五期间建成多少所学校？", 2026)[:2] == ([], "十四五")


def test_a_text_writes_a_plans_end_only_for_that_plan():
    from assistant.text.time import writes_period_end

    assert writes_period_end("由“十三五”末期的21.52%提升至27%", "十三五")
    assert writes_period_end("十三五末达到90%", "十三五")
    assert not writes_period_end("“十四五”末达到90%", "十三五")
    assert not writes_period_end("十三五期间累计新增", "十三五")
