"""Compiled documents: each annual part found, with its own year."""

from __future__ import annotations

from assistant.ingest.parts import document_parts, part_year

FILL = "全市上下坚持稳中求进，经济运行总体平稳，发展质量稳步提升，民生保障持续加强。" * 3
BODY = f"一、综合\n全年实现地区生产总值100亿元。{FILL}\n二、农业\n粮食产量1万吨。{FILL}\n三、工业\n工业增加值5亿元。{FILL}\n"


def test_a_compilation_of_two_bulletins_has_two_parts_with_their_years():
    text = f"2024年某市统计公报\n发布日期：2025-03-01\n{BODY}\n2023年某市统计公报\n发布日期：2024-03-01\n{BODY}"
    parts = document_parts(text)
    assert [p.years for p in parts] == [(2024,), (2023,)]
    assert text[parts[1].start:].startswith("2023年某市统计公报")


def test_numbering_that_starts_again_begins_a_part_introduced_by_its_issuer_and_date():
    preamble = "2023年是关键的一年，全市经济运行总体平稳，发展质量稳步提升，人民生活持续改善。"
    text = f"某市2024年统计公报\n2024年，全市经济回升向好。\n{BODY}\n某市统计局\n2024年3月\n{preamble}\n{BODY}"
    parts = document_parts(text)
    assert [p.years for p in parts] == [(2024,), (2023,)]
    assert text[parts[1].start:].startswith("某市统计局")


def test_a_single_document_is_one_part():
    parts = document_parts(f"2022年宝山民政工作要点\n{BODY}")
    assert len(parts) == 1 and parts[0].years == (2022,)


def test_a_release_date_is_not_the_year_a_part_speaks_of():
    assert part_year("某市统计局\n2024年3月\n2023年，全市经济运行总体平稳。") == (2023,)


REPORT = ("2026年某省政府工作报告\n一、“十四五”时期和2025年工作回顾\n过去一年，全省新增养老床位1.2万张。\n"
          "二、“十五五”时期主要目标\n到2030年，养老床位达到30万张。\n三、2026年重点工作\n今年新增养老床位1万张。")


def test_sections_carry_the_year_their_heading_names():
    from assistant.ingest.parts import section_parts, years_at

    sections = section_parts(REPORT)
    assert years_at(sections, REPORT.index("1.2万张")) == (2025,)
    assert years_at(sections, REPORT.index("30万张")) == (2030,)  # 十五五: its targets are for 2030
    assert years_at(sections, REPORT.index("1万张。")) == (2026,)
    assert section_parts("一、基本情况\n全年新增床位200张。\n二、主要做法\n建成10家。") == []


def test_a_report_covers_the_year_it_reviews():
    from assistant.ingest.metadata import document_years

    assert document_years("2026年某省政府工作报告", REPORT) == (2025, 2026, 2030)
    assert document_years("2024年工作要点", "一、总体要求\n二、重点任务\n新增200张。") == (2024,)


def test_a_heading_naming_one_plan_period_speaks_of_its_last_year():
    from assistant.ingest.parts import heading_years

    assert heading_years("一、“十四五”时期经济社会发展回顾") == (2025,)
    assert heading_years("二、“十五五”时期的主要目标任务") == (2030,)
    assert heading_years("一、“十四五”时期和2025年工作回顾") == (2025,)  # its written year decides
    assert heading_years("二、“十四五”时期发展成就和“十五五”时期主要目标任务") == ()  # two periods: neither
    assert heading_years("二、主要做法") == ()


def test_a_paragraph_opens_on_one_year_or_on_a_span_of_years():
    from assistant.ingest.parts import paragraph_opening

    text = "一、回顾\n刚刚过去的2025年，我们迎难而上。全省生产总值增长5.6%。\n这五年，城镇新增就业452万人。\n新增床位200张。"
    assert paragraph_opening(text, text.index("5.6%")) == (2025,)
    assert paragraph_opening(text, text.index("452万")) == ()
    assert paragraph_opening(text, text.index("200张")) is None
    assert paragraph_opening("2020年以来，累计新增床位900张。", 10) is None  # 以来: a span from a year, not that year
    assert paragraph_opening("“十四五”时期，累计新增床位900张。", 10) == ()


def test_a_heading_naming_no_year_takes_the_one_its_first_paragraph_opens_on():
    from assistant.ingest.parts import section_parts, years_at

    report = ("2026年某省政府工作报告\n一、工作回顾\n2025年是收官之年，全省上下奋力拼搏。\n"
              "一是稳增长。地区生产总值增长5%。\n二、2026年重点工作\n地区生产总值增长5%左右。")
    sections = section_parts(report)
    assert years_at(sections, report.index("增长5%。")) == (2025,)  # the section's later paragraphs too
    assert years_at(sections, report.index("5%左右")) == (2026,)
