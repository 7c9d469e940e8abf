"""Which phrase of a question's 几 is looked for as written (templates.py)."""

from __future__ import annotations

import pytest

from assistant.answer.templates import asked_phrase


@pytest.mark.parametrize("question, phrase", [
    ("是落实区第几次党代会的开局之年", ("是落实区", "第", "次", "党代会的开局之年")),
    ("居家隔离要执行几个一律", ("居家隔离要执行", "", "个", "一律")),
    ("要完成本市户籍第几批次共有产权房核对？", ("要完成本市户籍", "第", "批次", "共有产权房核对")),
    ("已经连续几年全省第一了？", ("已经连续", "", "年", "全省第一了")),
    ("排第几？", None),  # nothing named around it
    ("有几类？", None),
    ("新增养老床位多少张？", None),
])
def test_asked_phrase(question, phrase):
    assert asked_phrase(question) == phrase
