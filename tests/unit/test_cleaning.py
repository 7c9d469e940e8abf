"""Cleaning: a table of raw → cleaned cases (the shipped corpus: tests/integration/test_cleaning_corpus.py)."""

# ruff: noqa: E501 -- tables of Chinese text; ruff counts each CJK character twice

from __future__ import annotations

import pytest

from assistant.text.cleaning import clean_text, normalize_line


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # figures and spaces
        ("计划新增 200 张养老床位", "计划新增200张养老床位"),
        ("2024 年是关键年", "2024年是关键年"),
        ("普陀区民政局 2024 年工作要点", "普陀区民政局2024年工作要点"),
        ("护理型床位占比 60 %", "护理型床位占比60%"),
        ("投入 5.37 亿元", "投入5.37亿元"),
        ("惠及 91.65 万人次", "惠及91.65万人次"),
        ("资金 6679.01万元", "资金6679.01万元"),
        ("共 1,000 户", "共1000户"),
        ("合计12,345,678元", "合计12345678元"),
        ("新增２００张床位，占５０％", "新增200张床位，占50%"),
        ("比例为１．５倍", "比例为1.5倍"),
        ("好 12345 热线", "好12345热线"),
        # half-width punctuation in CJK context
        ("各镇人民政府、街道办事处,局机关各科室:", "各镇人民政府、街道办事处，局机关各科室："),
        ("(一)主要指标完成情况", "（一）主要指标完成情况"),
        ("实施方案(2019—2022年)》", "实施方案（2019—2022年）》"),
        ("(1)做好救助", "（1）做好救助"),
        ("完成任务;推进工作!是否?", "完成任务；推进工作！是否？"),
        ('推广"社区云"应用', "推广“社区云”应用"),
        ("认真贯彻落实.", "认真贯彻落实。"),
        ("发布日期:2023-10-26", "发布日期：2023-10-26"),
        # …also next to a full-width bracket or quote made from a half-width one
        ("(平均年龄45岁,比上届提高13.1%),105个居委会", "（平均年龄45岁，比上届提高13.1%），105个居委会"),
        ('推广"社区云",105个居委会', "推广“社区云”，105个居委会"),
        ("“社区云”;2023年", "“社区云”；2023年"),
        ("（试行）:1.总则", "（试行）：1.总则"),
        # left alone: Latin text, times, URLs, decimals, year lists
        ("Windows 10 系统", "Windows 10系统"),
        ("上午9:00开始", "上午9:00开始"),
        ("见 http://mzj.sh.gov.cn/a.html", "见http://mzj.sh.gov.cn/a.html"),
        ("增长3.5%", "增长3.5%"),
        ("2019,2020", "2019,2020"),
        # markers, rules, page numbers, invisible characters
        ("## 一、总则", "一、总则"),
        ("**（一）加强救助。**做好工作。", "（一）加强救助。做好工作。"),
        ("前言。\n---\n正文。", "前言。\n正文。"),
        ("第一页内容。\n- 3 -\n第二页内容。", "第一页内容。\n第二页内容。"),
        ("\ufeff正文\u200b内容。", "正文内容。"),
        ("行一。\r\n行二。", "行一。\n行二。"),
        # lines broken at page ends
        ("聚焦全维支持，重点关注有心理\n\n困境、社会融入等群体。", "聚焦全维支持，重点关注有心理困境、社会融入等群体。"),
        ("一是织密保护网。切实发挥牵头作用，围\n\n绕未成年人家庭。", "一是织密保护网。切实发挥牵头作用，围绕未成年人家庭。"),
        ("二是着力提升保障水平。做好 2022 年元旦春节期间帮困送温暖\n\n工作，传递关爱。",
         "二是着力提升保障水平。做好2022年元旦春节期间帮困送温暖工作，传递关爱。"),
        ("以贯彻落实中央、市委关于加强治理能力现代\n\n化建设为主线。", "以贯彻落实中央、市委关于加强治理能力现代化建设为主线。"),
        ("关于印发《2022年宝山民政工作要点》\n的通知", "关于印发《2022年宝山民政工作要点》的通知"),
        ("提供人性化、有温度\n\n的服务。", "提供人性化、有温度的服务。"),
        # …but headings, titles, dates and numbered items are never joined
        ("一、健全分层分类社会救助体系\n\n一是优化体系。", "一、健全分层分类社会救助体系\n一是优化体系。"),
        ("二、提质升级,进一步满足民生需求\n聚焦老年人。", "二、提质升级，进一步满足民生需求\n聚焦老年人。"),
        ("上海市普陀区民政局\n\n普民〔2024〕4号\n\n关于印发《普陀区民政局 2024 年工作要点》的通知",
         "上海市普陀区民政局\n普民〔2024〕4号\n关于印发《普陀区民政局2024年工作要点》的通知"),
        ("上海市宝山区民政局\n2022年3月28日\n2022年宝山民政工作要点\n2022年是关键之年。",
         "上海市宝山区民政局\n2022年3月28日\n2022年宝山民政工作要点\n2022年是关键之年。"),
        ("## 2022 年长宁民政工作要点\n\n2022 年是开局之年。", "2022年长宁民政工作要点\n2022年是开局之年。"),
        ("• 发文机构:上海市长宁区民政局\n• 发布日期:2023-10-26", "•发文机构：上海市长宁区民政局\n•发布日期：2023-10-26"),
        ("工作未完\n\n（二）下一项。", "工作未完\n（二）下一项。"),
        # repeated blocks are kept once; a short repeated line in new context is kept
        ("甲乙丙丁戊己庚辛壬癸甲乙丙丁戊己庚辛壬癸一。\n第二段也很长很长很长很长很长很长很长很长。\n"
         "甲乙丙丁戊己庚辛壬癸甲乙丙丁戊己庚辛壬癸一。\n第二段也很长很长很长很长很长很长很长很长。",
         "甲乙丙丁戊己庚辛壬癸甲乙丙丁戊己庚辛壬癸一。\n第二段也很长很长很长很长很长很长很长很长。"),
        ("上海市宝山区民政局\n现将要点印发给你们，请认真贯彻执行。\n上海市宝山区民政局\n2022年3月28日",
         "上海市宝山区民政局\n现将要点印发给你们，请认真贯彻执行。\n上海市宝山区民政局\n2022年3月28日"),
        ("一、总则\n这是一段足够长的正文内容用于测试重复块的识别。\n一、总则\n这是一段足够长的正文内容用于测试重复块的识别。",
         "一、总则\n这是一段足够长的正文内容用于测试重复块的识别。"),
    ],
)
def test_clean_text_cases(raw: str, expected: str) -> None:
    assert clean_text(raw).text == expected


@pytest.mark.parametrize(
    ("raw", "headings"),
    [
        ("# 上海市民政局\n正文。", ["上海市民政局"]),
        ("## **二、突出“嵌入+开放”,进一步提升能级**\n正文。", ["二、突出“嵌入+开放”，进一步提升能级"]),
        ("**（一）扎实推进社会救助改革创新。**全面推广工作机制。", ["（一）扎实推进社会救助改革创新。"]),
        ("**重点任务**\n正文。", ["重点任务"]),
        ("正文里有**强调**的词。", []),
        ("一、没有标记的标题\n正文。", []),
    ],
)
def test_heading_signals(raw: str, headings: list[str]) -> None:
    cleaned = clean_text(raw)
    assert [cleaned.text[s:e] for s, e in cleaned.headings] == headings
    assert "**" not in cleaned.text and not cleaned.text.startswith("#")


def test_empty_and_blank_input() -> None:
    assert clean_text("").text == ""
    assert clean_text(" \n\n\t\n").text == ""
    assert clean_text("---\n***\n").text == ""


@pytest.mark.parametrize("raw, clean", [("1—11月累计发放", "1-11月累计发放"), ("1～11月份", "1-11月份"),
                                        ("2021—2025年", "2021—2025年")])  # a range of years stays as written
def test_a_range_of_months_is_written_one_way(raw, clean):
    assert normalize_line(raw) == clean
