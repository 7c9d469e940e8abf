"""What a question for the members of a list asks, and which sentences list them (text_answers.py)."""

from __future__ import annotations

import pytest

from assistant.answer.text_answers import _through_list, asked_members, list_fits


@pytest.mark.parametrize("question, members", [
    ("要推进的三进活动是哪三个百", (3, "百")),
    ("这个区要打造成哪几型社区", (None, "型")),
    ("服务站的四个中心是哪四个", (4, "中心")),
    ("签约的是哪两家银行", (2, "银")),  # the first character of what each member is called
    ("2023年新增养老床位多少张", None),
])
def test_asked_members(question, members):
    assert asked_members(question) == members


@pytest.mark.parametrize("sentence, members, fit", [
    ("深入开展“进百村、访百户、解百难”活动。", (3, "百"), 1.0),
    ("深入开展“进百村、访百户、解百难”活动。", (4, "百"), 0.0),
    ("打造“开放型、共享型”社区。", (None, "型"), 1.0),
    ("与甲银行、乙银行签署协议。", (2, "行"), 1.0),
    ("与甲银行、乙集团签署协议。", (2, "行"), 0.5),  # as many items, not each holding the head
    ("做到“三有”：议事有场所，配齐设施；协商有规则，定期公开；参与有渠道，人人可说。", (3, "有"), 1.0),
    ("全年新增床位200张。", (2, ""), 0.0),
])
def test_list_fits(sentence, members, fit):
    assert list_fits(sentence, members) == fit


def test_a_list_opened_by_a_colon_is_quoted_through_its_semicolons():
    text = "做到“三有”：议事有场所，配齐设施；协商有规则；参与有渠道。下一句。"
    first = text.index("；") + 1
    assert _through_list(text, 0, first, len(text)) == text[:text.index("。") + 1]
    assert _through_list("新增床位200张；改造50户。", 0, 9, 14) == "新增床位200张；"  # no colon, no list
