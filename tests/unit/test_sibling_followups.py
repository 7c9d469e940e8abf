"""A follow-up naming a sibling of the last subject replaces it in the carried words (answering._replaces)."""

from types import SimpleNamespace

import pytest

from assistant.answer.answering import _replaces
from assistant.core.types import Query

UNITS = {"医院": {"个", "张"}, "村卫生室": {"个"}, "中医类医院": {"个", "张"}, "床位": {"张"},
         "农村常住居民": {"元", "人"}, "执业医师": {"人"}, "女医生": {"人"}}
CTX = SimpleNamespace(subject_units=UNITS)


def q(text: str, subject: str, unit: str | None = None) -> Query:
    return Query(text=text, district=None, year=None, qualifier=None, unit=unit, subject=subject)


@pytest.mark.parametrize(("follow_up", "subject", "last", "last_subject", "unit", "expected"), [
    ("村卫生室呢？", "村卫生室", "合肥有多少家医院？", "医院", "家", True),  # a sibling, counted in 个 ~ 家
    ("床位呢？", "床位", "中医类医院有多少个？", "中医类医院", "个", False),  # an attribute, counted in 张
    ("农村常住居民呢？", "农村常住居民", "城镇常住居民收入多少？", "城镇常住居民", "元", False),  # a side
    ("其中女医生呢？", "女医生", "执业医师有多少人？", "执业医师", "人", False),  # a part
    ("村卫生室呢？", "村卫生室", "医院的情况", "医院", None, False),  # the last question asked no unit
])
def test_replaces(follow_up, subject, last, last_subject, unit, expected):
    assert _replaces(CTX, q(follow_up, subject), q(last, last_subject, unit)) is expected
