"""Numerals, quantities, years and formatting: tables of cases and round-trip properties."""

from __future__ import annotations

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.text.numbers import cn_to_number, find_quantities, format_quantity, parse_quantity


@pytest.mark.parametrize(
    "text, value, unit, approx",
    [
        ("91.65万人次", 916500, "人次", None),
        ("8892具", 8892, "具", None),
        ("5.37亿元", 537000000, "元", None),
        ("6679.01万元", 66790100, "元", None),
        ("50%", 0.5, "%", None),
        ("79.17%", 0.7917, "%", None),
        ("1万名", 10000, "名", None),
        ("200张", 200, "张", None),
        ("两镇", 2, "镇", None),
        ("三支", 3, "支", None),
        ("四类", 4, "类", None),
        ("五周年", 5, "周年", None),
        ("第十批次", 10, "批次", None),
        ("十余个", 10, "个", "余"),
        ("200余家", 200, "家", "余"),
        ("1000余名", 1000, "名", "余"),
        ("6.6万余户", 66000, "户", "余"),
        ("460余万元", 4600000, "元", "余"),
        ("约91.65万人次", 916500, "人次", "约"),
        ("逾300万元", 3000000, "元", "逾"),
        ("近500人次", 500, "人次", "近"),
        ("45.6周岁", 45.6, "周岁", None),
        ("61平方米", 61, "平方米", None),
        ("890万", 8900000, "", None),
        ("232课时", 232, "课时", None),
        ("24小时", 24, "小时", None),
        ("二十三个", 23, "个", None),
        ("200", 200, "", None),
        ("第四届", 4, "届", None),
        ("第五轮", 5, "轮", None),
        ("第二批", 2, "批", None),
        ("四级", 4, "级", None),
        ("四方", 4, "方", None),
        ("三十周年", 30, "周年", None),
    ],
)
def test_parse_quantity(text, value, unit, approx):
    q = parse_quantity(text)
    assert q is not None
    assert (q.value, q.unit, q.approx) == (value, unit, approx)


@pytest.mark.parametrize("text", ["", "张", "养老床位", "十四五", "二十大", "一是", "万名"])
def test_parse_quantity_rejects_non_figures(text):
    assert parse_quantity(text) is None


@pytest.mark.parametrize(
    "text, value",
    [("两", 2), ("十", 10), ("十一", 11), ("一百二十", 120), ("两千", 2000), ("二〇二四", 2024),
     ("二零二四", 2024), ("零点五", 0.5), ("十四五", None), ("千", None), ("abc", None), ("", None)],
)
def test_cn_to_number(text, value):
    assert cn_to_number(text) == value


@pytest.mark.parametrize(
    "value, unit, written",
    [(200, "张", "200张"), (537000000, "元", "5.37亿元"), (916500, "人次", "91.65万人次"), (0.6, "%", "60%"),
     (0.7917, "%", "79.17%"), (10000, "名", "1万名"), (66790100, "元", "6679.01万元"),
     (67361, "人次", "67361人次"), (1250000, "元", "125万元"), (8900000, "", "890万"),
     (45.6, "周岁", "45.6周岁"),
     (0, "对", "0对"), (300, "元", "300元")],
)
def test_format_quantity(value, unit, written):
    assert format_quantity(value, unit) == written


@pytest.mark.parametrize("value, unit, approx, written",
                         [(200, "家", "余", "200余家"), (916500, "人次", "约", "约91.65万人次"),
                          (66000, "户", "余", "6.6万余户")])
def test_format_quantity_approx(value, unit, approx, written):
    assert format_quantity(value, unit, approx) == written


def test_find_quantities_spans_and_filters():
    text = ("计划新增200张养老床位、2家智慧养老院，护理型床位不低于养老总床位的60%；"
            "长征、桃浦两镇；“十四五”上半期"
            "约91.65万人次，抓好12345热线，2022年2月21日，长民〔2022〕2号，社区云2.0版本，第十批次，3794户5158人")
    found = find_quantities(text)
    assert [q.text for q in found] == ["200张", "2家", "60%", "两镇", "91.65万人次", "十批次", "3794户",
                                       "5158人"]
    assert all(text[q.start:q.end] == q.text for q in found)
    assert found[4].approx == "约"


def test_a_bracketed_per_unit_stays_with_its_figure():
    found = find_quantities("降尘为2.56吨/（平方千米×30天），其余3个县，投入100万元（其中区级50万元）")
    assert [(q.text, q.unit) for q in found] == [("2.56吨/（平方千米×30天）", "吨/（平方千米×30天）"), ("3个", "个"),
                                                 ("100万元", "元"), ("50万元", "元")]


UNITS = st.sampled_from(["张", "家", "个", "户", "名", "人次", "元", "平方米", "周岁", "类", "对", ""])


@given(st.integers(min_value=0, max_value=10**8 - 1))
def test_chinese_numeral_round_trip(n):
    assert cn_to_number(cn2an.an2cn(n, "low")) == n  # the library's writer as the oracle


@given(st.integers(min_value=1, max_value=10**9).map(lambda k: k / 100), UNITS)
def test_format_then_parse_round_trip(value, unit):
    q = parse_quantity(format_quantity(value, unit))
    assert q is not None
    assert (q.value, q.unit) == (value, unit)


@given(st.integers(min_value=0, max_value=100000).map(lambda k: k / 10000))
def test_percent_round_trip(value):
    q = parse_quantity(format_quantity(value, "%"))
    assert q is not None and (q.value, q.unit) == (value, "%")


FIGURES = st.tuples(st.integers(min_value=1, max_value=10**7), UNITS.filter(bool))


@given(st.lists(FIGURES, min_size=1, max_size=6))
def test_find_quantities_recovers_formatted_figures(items):
    parts, expected = [], []
    for i, (value, unit) in enumerate(items):
        parts.append(("新增" if i % 2 else "完成") + format_quantity(value, unit) + "服务，")
        expected.append((float(value), unit))
    text = "".join(parts)
    found = find_quantities(text)
    assert [(q.value, q.unit) for q in found] == expected
    assert all(text[q.start:q.end] == q.text for q in found)


@pytest.mark.parametrize("text, found", [
    ("扛起三大光荣使命", [("三大", 3, "个")]),
    ("包括信息化学品制造业等六大类。", [("六大类", 6, "类")]),
    ("连续三年位居全省第一，连续5年获评", [("三年", 3, "年"), ("5年", 5, "年")]),
    ("学习贯彻党的二十大精神，十九大以来", []),  # party congresses, not counts
    ("建成一大批项目，成为第三大城市", []),
])
def test_find_quantities_reads_counts_of_big_things_and_runs_of_years(text, found):
    assert [(q.text, q.value, q.unit) for q in find_quantities(text)] == found


def test_find_quantities_reads_ordinal_and_tier_classifiers():
    text = "开展第四届评选，完成第五轮联检，完善四级运管模式，做实四方合作，建成61平方米/千人"
    found = find_quantities(text)
    assert [(q.text, q.unit) for q in found] == [("四届", "届"), ("五轮", "轮"), ("四级", "级"), ("四方", "方"),
                                                 ("61平方米/千人", "平方米/千人")]


@pytest.mark.parametrize("text, found", [
    ("孕产妇死亡率为14.3/10万，其中农村15.9/10万。", [("14.3/10万", 14.3, "/10万"), ("15.9/10万", 15.9, "/10万")]),
    ("发病率23.5/10万人", [("23.5/10万人", 23.5, "/10万人")]),
    ("比例为1/3", []),            # a fraction is no rate
    ("2024/5/6", []),             # nor a date
])
def test_a_rate_per_so_many_is_one_figure(text, found):
    from assistant.text.numbers import find_quantities

    assert [(q.text, q.value, q.unit) for q in find_quantities(text)] == found


def test_wan_yi_is_one_multiplier():
    from assistant.text.numbers import find_quantities, format_quantity

    [q] = find_quantities("全省地区生产总值达到5.53万亿元")
    assert (q.text, q.value, q.unit) == ("5.53万亿元", 5.53e12, "元")
    assert format_quantity(5.53e12, "元") == "5.53万亿元" and format_quantity(7.8e8, "元") == "7.8亿元"


def test_a_per_unit_stops_at_the_words_after_it():
    from assistant.text.numbers import find_quantities

    found = find_quantities("城市低保标准从796元/月提高至842元/月")
    assert [(q.text, q.unit) for q in found] == [("796元/月", "元/月"), ("842元/月", "元/月")]
