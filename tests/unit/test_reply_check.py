"""The pure checks of an LLM reply: refusal, prompt echo, saying nothing, choice, restated context."""

from __future__ import annotations

import string

import pytest

from assistant.answer import reply_check
from tests.llm_cases import BEDS, CANDIDATES


@pytest.mark.parametrize(("text", "expected"), [
    ("文件中没有找到相关内容。", True),
    ("抱歉，原文未提及。", True),
    ("根据现有资料无法确定具体数字。", True),
    ("普陀区2024年计划新增养老床位200张。", False),
])
def test_refuses(text, expected):
    assert reply_check.refuses(text) is expected


def test_prompt_labels_come_from_the_templates_and_catch_an_echo():
    labels = reply_check.prompt_labels([string.Template("问题：$question\n原文段落：\n$passages\n请只根据以上原文段落回答，不要编造。")])
    assert labels == ["问题：", "原文段落：", "请只根据以上原文段落回答", "不要编造"]
    assert reply_check.echoed("原文段落：普陀区新增200张", labels) == "原文段落："
    assert reply_check.echoed("普陀区新增养老床位200张。", labels) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("社区救助顾问", True),
    ("社区救助顾问是什么？", True),
    ("社区救助顾问为困难群众提供政策咨询。", False),
])
def test_says_nothing(text, expected):
    passage = "在全区各街镇配备社区救助顾问，为困难群众提供政策咨询、帮办代办服务。"
    assert reply_check.says_nothing(text, "社区救助顾问是什么", [passage]) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("F2\n普陀区……", ("F2", "普陀区……")),
    ("【F1】普陀区……", ("F1", "普陀区……")),
    ("选择：F3。普陀区……", ("F3", "普陀区……")),
    ("无\n都不对", ("无", "都不对")),
    ("普陀区新增200张。", (None, "普陀区新增200张。")),
])
def test_parse_choice(text, expected):
    assert reply_check.parse_choice(text) == expected


@pytest.mark.parametrize(("text", "missing"), [
    ("根据《普陀区民政局2024年工作要点》，普陀区2024年计划新增养老床位200张。", []),
    ("普陀24年新增200张（《普陀区民政局2024年工作要点》）", []),  # short place and year forms count
    ("《工作要点》：普陀区2024年新建200张", []),  # a title that is part of the document's
    ("200张", ["地区（普陀区）", "年份（2024年）", "限定（新增）", "文件名称（《普陀区民政局2024年工作要点》）"]),
    ("宝山区2024年新增200张，见《普陀区民政局2024年工作要点》", ["地区（普陀区）"]),
])
def test_missing_context(text, missing):
    assert reply_check.missing_context(text, BEDS, CANDIDATES[0].citation, None) == missing
