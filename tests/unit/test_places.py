"""Places from the gazetteer: names, short names, nesting, same-name districts, relative words."""

from __future__ import annotations

import pytest

from assistant.text.places import COUNTRY, find_places, gazetteer, short_name

SHANGHAI_PUTUO, ZHOUSHAN_PUTUO = "310107", "330903"


def names(text, **kw):
    return [m.place.code for m in find_places(text, gazetteer(), **kw)]


@pytest.mark.parametrize("name, short", [("南京市", "南京"), ("广西壮族自治区", "广西"), ("浦东新区", "浦东"),
                                         ("江苏省", "江苏"), ("和平区", "和平"), ("东区", "东区")])
def test_short_names(name, short):
    assert short_name(name) == short


@pytest.mark.parametrize("text, codes", [
    ("南京2023年GDP", ["320100"]),
    ("苏州有多少", ["320500"]),
    ("杭州市西湖区", ["330106"]),
    ("江苏省南京市", ["320100"]),  # the province only locates the city
    ("我国2024年", [COUNTRY.code]),
    ("东莞市", ["441900"]),
    ("河北国家级高新技术企业", ["130000"]),  # 国家级 is a rank, not the country
])
def test_places_named_in_text(text, codes):
    assert names(text) == codes


def test_same_name_districts_of_different_cities_stay_apart():
    assert names("舟山市普陀区民政局") == [ZHOUSHAN_PUTUO]
    assert names("上海市普陀区民政局") == [SHANGHAI_PUTUO]
    assert names("普陀区", known={ZHOUSHAN_PUTUO}) == [ZHOUSHAN_PUTUO]  # the one the documents hold


def test_a_county_short_name_counts_only_when_the_documents_hold_it():
    assert names("普陀2024年") == []
    assert names("普陀2024年", known={SHANGHAI_PUTUO}) == [SHANGHAI_PUTUO]


def test_relative_words_read_against_the_place_just_named_then_the_conversation_then_home():
    gaz = gazetteer()
    shanghai, nanjing = gaz.get("310000"), gaz.get("320100")
    assert names("全市新增多少", home=shanghai) == ["310000"]
    assert names("全市新增多少", home=shanghai, context=nanjing) == ["320100"]
    assert names("杭州全市一般工业固废", home=shanghai) == ["330100", "330100"]


def test_every_place_lies_within_the_country_and_its_province():
    gaz = gazetteer()
    putuo = gaz.get(SHANGHAI_PUTUO)
    assert putuo.within(COUNTRY) and putuo.within(gaz.get("310000")) and not putuo.within(gaz.get("330000"))
    assert gaz.path(gaz.get(ZHOUSHAN_PUTUO)) == "浙江省舟山市普陀区"


def test_a_short_county_name_is_read_inside_a_city_the_documents_hold():
    gaz = gazetteer()
    hangzhou = next(p for p in gaz.lookup("杭州市") if p.level == 2)
    found = find_places("那建德呢？", gaz, known={hangzhou.code})
    assert [m.place.name for m in found] == ["建德市"]
    assert find_places("那建德呢？", gaz, known=set()) == []  # no document near it: a word, not a place


def test_a_generic_district_name_is_a_word_unless_its_city_is_named():
    assert names("长宁认知症友好城区建设") == [] and names("上海郊区乡村照护之家") == ["310000"]
    assert names("阳泉市郊区2024年") == ["140311"]


def test_a_short_county_name_naming_a_school_or_road_is_no_place():
    gaz = gazetteer()
    hunan = next(p for p in gaz.lookup("湖南省") if p.level == 1)
    found = find_places("湖南建成了多少所芙蓉学校？", gaz, known={hunan.code})
    assert [m.place.name for m in found] == ["湖南省"]
    assert [m.place.name for m in find_places("芙蓉新增多少养老床位？", gaz, known={hunan.code})] == ["芙蓉区"]


@pytest.mark.parametrize("text", ["长宁救助资源库对接了多少家", "发展了多少名认知症友好志愿者", "政银校企是几方合作"])
def test_a_national_or_provincial_document_makes_no_county_of_a_common_word(text):
    # 资源县 (广西), 友好区 (伊春), 合作市 (甘南): their short names are common words; held documents of the
    # country or their province do not make them places, only their city's would (芙蓉, a name, still reads
    # as 芙蓉区 over 湖南's documents)
    held = {"000000", "450000", "230000", "620000", "310105"}
    names = [m.place.name for m in find_places(text, gazetteer(), known=held)]
    assert not {"资源县", "友好区", "合作市"} & set(names), names


@pytest.mark.parametrize("text, place", [
    ("2021年成都公共服务投资中，卫生投资增长了多少？", "成都市"),  # 投资中 holds no 资中县
    ("2024年东莞规上高技术制造业里哪个行业增长最快？", "东莞市"),  # nor 规上高技术 上高县
    ("闵行2024年新增多少养老床位？", "闵行区"),  # a name jieba cuts into characters still stands as a word
])
def test_a_short_county_name_inside_other_words_is_no_place(text, place):
    held = {"000000", "510000", "360000", "440000", "310000", "510100", "441900"}
    assert [m.place.name for m in find_places(text, gazetteer(), known=held)] == [place]
