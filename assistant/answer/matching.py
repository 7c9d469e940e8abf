"""Comparing a question's wording with the documents': synonyms, character bigrams, IDF, units asked.

Pure functions over strings and value types. Wording is compared as character bigrams after
mapping everyday words to the documents' wording, so it does not depend on how jieba cuts words.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Container, Iterable, Mapping
from functools import lru_cache

from assistant.core.types import Query
from assistant.text.cleaning import ASKED_MONTH_RANGE, blank_spans
from assistant.text.lexicon import SYNONYMS
from assistant.text.places import short_name

_ALL_TOGETHER = re.compile(r"一共|总共")  # 一共有 splits into 一 / 共有, which are not what is asked


@lru_cache(maxsize=1)
def counted_in() -> re.Pattern:
    """按人算 / 按户计 / 以人次计: how the asker wants it counted (a unit), not what is asked about."""
    from assistant.text.numbers import unit_alternation

    return re.compile(rf"[按以]({unit_alternation()})数?[算计]")


# Where the asker read it, not what they ask (公报注释里说…, 工作要点里提到…, 文件开头说…): general phrasing
# about a document, taken out before the question's words are matched.
DOC_SAYS = re.compile(
    r"(?:这份|那份|该|本)?(?:统计公报|公报|工作要点|要点|工作总结|总结|评估报告|报告|规划|文件|文中|原文|文章|材料)"
    r"的?(?:注释|附注|开头|结尾|正文|前言|里面|里|中|上)*(?:说|讲|写|提到|提及|显示|指出|写到|写着|列出|介绍)[了的过]?"
    r"|(?:注释|附注|开头|结尾|开篇)(?:里面|里|中)?(?:说|讲|写|提到|提及|显示|指出)[了的过]?")
_QUOTES = re.compile(r"[“”‘’\"'《》「」『』]")
# Words (whole jieba tokens) that shape a question but name nothing the documents count.
_QUESTION_WORDS = frozenset(
    "多少 几 哪个 哪些 哪家 哪里 哪 什么 啥 怎么 怎样 如何 是不是 有没有 请问 一共 总共 合计 加起来 大概 大约 "
    "现在 目前 如今 已经 准备 打算 计划 要 想 知道 告诉 一下 呢 吗 吧 啊 呀 那么 那 了 的 是 有 在 给 能 会 到底 左右 "
    "上下 以来 期间 时候 时 今年 去年 明年 底 全年 年内 年 区 市 里 里面 其中 个 达到 达 做到 做 搞 办 弄 叫 名字 名称 "
    "称为 谁 跟 用来 推 推出 开展 开 建 设 共 多 少 多大 多高 目标 要求 争取 预计 提到 提 到 上 下 后 以后 "
    "之后 年底 年末 末 一年 每年 全 全部 总 人 位 名 家 张 户 对 ？ ? "
    # how a change is asked (比上一年涨了多少): the change itself is read apart (features.py)
    "比 上一年 上年 同比 环比 涨 涨了 跌 跌了 "
    # how a count is framed: 分成几类, 包括几个, 涉及几个镇
    "分成 分为 包括 包含 涉及 "
    # colloquial fillers: 光出口这一块, 大概有多少
    "光 就 只 仅 还 又 也 都 一块 这块 那块 这一块 方面 这方面 这边 那边 总体 整体 大致 差不多 "
    # multipliers and units a question asks in (多少亿, 几万): the asked unit is read apart
    "万 亿 千 百 万元 亿元 元 块钱 钱".split()
)
_UNIT_EQUIV = ({"公里", "千米"}, {"人", "名", "位"}, {"个", "家", "所", "处", "座", "镇", "街镇", "街道"}, {"张", "床"}, {"岁", "周岁"},
               {"批", "批次"}, {"元", "万元", "亿元"})


@lru_cache(maxsize=1)
def _synonym_pattern() -> tuple[re.Pattern, dict[str, str]]:
    to_canon: dict[str, str] = {}
    for canonical, variants in SYNONYMS.items():
        to_canon.setdefault(canonical, canonical)
        for v in variants:
            if len(v) >= 2:
                to_canon.setdefault(v, canonical)
    words = sorted(to_canon, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words))), to_canon


def canonicalize(text: str, known: Container[str] | None = None) -> str:
    """Everyday words to the documents' wording, longest match first, in one pass (养老院床位 → 养老床位).

    With `known` (the corpus's bigrams), a word is replaced only where the corpus writes the
    replacement: a document that itself writes PM2.5 keeps PM2.5."""
    pattern, to_canon = _synonym_pattern()

    def swap(m: re.Match) -> str:
        canon = to_canon[m.group(0)]
        if known is not None and not all(b in known for b in bigrams(canon)):
            return m.group(0)
        if is_bare_head(m.group(0), canon) and kind_named_before(text, m.start()):
            return m.group(0)
        return canon

    return pattern.sub(swap, text)


def is_bare_head(surface: str, canonical: str) -> bool:
    """Whether a synonym only drops its canonical's modifier (床位 for 养老床位): a default reading,
    right when nothing else says which kind is meant."""
    return len(canonical) > len(surface) and canonical.endswith(surface)


# Part-of-speech tags (jieba's) of words that say which kind of thing a later word is: nouns,
# distinguishing words and the suffix 型. Person and place names are left out: places are read apart.
_KIND_TAGS = frozenset({"n", "nz", "nt", "nl", "ng", "vn", "b", "k"})
_WHOLE_PLACE = re.compile(r"[全本该][国省市区县镇乡]")  # 全省, 本市: where, not which kind


@lru_cache(maxsize=4096)
def kind_named_before(text: str, start: int, blocked: tuple[tuple[int, int], ...] = ()) -> bool:
    """Whether a noun before `start` in its clause (医疗 in 医疗床位, 卫生院 in 乡镇卫生院有多少张床位)
    names the kind of what follows, so a bare head there is not the default kind. `blocked`: spans
    (places, years) that say where and when, not which kind."""
    import jieba.posseg

    clause = re.split(r"[，,。？?！!；;]", blank_spans(text, blocked, end=start))[-1]
    return any(w.flag in _KIND_TAGS and not _WHOLE_PLACE.fullmatch(w.word)
               for w in jieba.posseg.cut(clause) if w.word.strip())


def bigrams(text: str, chars: bool = False) -> set[str]:
    """Character bigrams of the CJK/alphanumeric runs of a text (a one-character run stands as itself).

    With `chars`, every single character is added too, so a one-character word of a question
    (界, 镇) can be found inside a longer word of a passage.
    """
    out: set[str] = set()
    for run in re.findall(r"[\u4e00-\u9fffA-Za-z0-9+]+", _QUOTES.sub("", text)):
        if len(run) == 1 or chars:
            out.update(run)
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


_WHEN_OR_HOW = re.compile(r"(?:19|20)?\d{2}年|十[一二三四五]五|第?几\w{0,2}|多少\w{0,2}")


def question_content(query: Query, with_context: bool = True, known: Container[str] | None = None,
                     canonical: bool = True) -> str:
    """The question less its places, years and question words: what is being asked about (in the
    documents' wording unless `canonical` is False)."""
    from assistant.index.keywords import tokenize, unknown_runs

    places = {query.district, *query.districts} - {None}
    drop = {n for d in places for n in (d, short_name(d))}
    context = query.context if query.context and with_context else ""
    if context:  # the last question's places are not what the follow-up asks about
        from assistant.text.places import find_places, gazetteer, place_names

        for mention in find_places(context, gazetteer()):
            for name in sorted(place_names(mention.place), key=len, reverse=True):
                context = context.replace(name, " ")
    text = _without_years(query.text)  # 二〇二二年, 22年, 今年: when, not what
    text = counted_in().sub(" ", _ALL_TOGETHER.sub(" ", DOC_SAYS.sub(" ", text)))
    text = ASKED_MONTH_RANGE.sub(r"\1-\2", text)  # 1到11月 as the documents write it, 1-11月
    text = canonicalize(text, known) if canonical else text
    if context:  # what the conversation carries is read in the documents' wording either way
        text += " " + canonicalize(_ALL_TOGETHER.sub(" ", context), known)
    words = [w for w in tokenize(text) if w not in drop and w not in _QUESTION_WORDS and not _WHEN_OR_HOW.fullmatch(w)]
    words += [w for w in re.findall(r"[“\"‘']([^”\"’']{2,12})[”\"’']", query.text)  # a quoted term stays
              if not _WHEN_OR_HOW.fullmatch(w)]  # whole: “六个老有”; a quoted period (“十四五”) is when, not what
    # a word jieba does not know keeps its characters' pairs (上云率 → 上云, 云率), less any place in it and
    # any pair the corpus never writes (帮我算 → nothing: an unseen pair would only dilute the rest)
    for run in unknown_runs(text):
        for name in sorted(drop, key=len, reverse=True):
            run = run.replace(name, " ")
        words += [p for r in run.split() for p in (r[i:i + 2] for i in range(len(r) - 1))
                  if known is None or p in known]
    return " ".join(words)


def _without_years(text: str) -> str:
    from assistant.text.time import question_years

    # not 比上年, which says a change is asked: only spans writing a numeral
    return blank_spans(text, [(a, b) for a, b in question_years(text, None)[2]
                              if re.search(r"[\d〇零一二三四五六七八九十]", text[a:b])])


def idf_table(texts: Iterable[str]) -> dict[str, float]:
    """Inverse document frequency of each bigram over the given texts (rare bigrams say more)."""
    df: dict[str, int] = {}
    n = 0
    for t in texts:
        n += 1
        for b in bigrams(t, chars=True):
            df[b] = df.get(b, 0) + 1
    return {b: math.log((n + 1) / (c + 1)) + 1.0 for b, c in df.items()} | {"": math.log(n + 1) + 1.0}


def weighted_coverage(needle: set[str], hay: set[str] | frozenset[str], idf: dict[str, float]) -> float:
    """Share of the needle's information (IDF-weighted bigrams) found in the hay (whose bigrams should
    be taken with `chars=True`, so that a one-character word of the question can be found)."""
    if not needle:
        return 0.0
    total = sum(gram_weight(b, idf) for b in needle)
    return sum(gram_weight(b, idf) for b in needle & hay) / total


class ScaledIdf(Mapping):
    """An IDF table with some grams' weights scaled: a follow-up's words from the conversation count
    less than its own (利润呢？ after 旅行社营业收入: 利润 decides, 旅行社 only helps)."""

    def __init__(self, base: Mapping[str, float], scaled: set[str], factor: float):
        self.base, self.scaled, self.factor = base, scaled, factor

    def __getitem__(self, gram: str) -> float:
        w = self.base[gram]
        return w * self.factor if gram in self.scaled else w

    def get(self, gram, default=None):
        w = self.base.get(gram, default)
        return w * self.factor if w is not None and gram in self.scaled else w

    def __iter__(self):
        return iter(self.base)

    def __len__(self) -> int:
        return len(self.base)


def gram_weight(gram: str, idf: Mapping[str, float]) -> float:
    """How much a gram of a question says: its IDF, halved for a single character (a one-character
    word such as 电 or 打 says less than a two-character one)."""
    w = idf.get(gram, idf.get("", 1.0))
    return w if len(gram) > 1 else w / 2


def unit_matches(asked: str, unit: str) -> bool:
    """Whether a figure's unit answers a question that asks in `asked` (个 ~ 家, 人 ~ 名, …)."""
    if asked == unit:
        return True
    return any(asked in group and unit in group for group in _UNIT_EQUIV)


def asked_unit(text: str, known_units: Iterable[str]) -> str | None:
    """The classifier a question counts in (几届, 第几轮, 多少客), if the corpus knows it as a unit."""
    known = set(known_units)
    for m in re.finditer(r"(?:第?几|多少)(个?)([\u4e00-\u9fff]{1,2})", text):
        if m.group(1):
            return "个" if "个" in known else None  # "多少个项目": the classifier is 个, 项目 the noun
        word = m.group(2)
        for cand in (word, word[:1]):
            if cand in known:
                return cand
    return None


_HAN = "\u4e00-\u9fff"
ABBREVIATION_GAP = 4  # characters a full name may hold between two its abbreviation keeps (未成年人保护工作站 → 未保站)


def expand_abbreviations(content: str, known: Container[str], corpus: str) -> str:
    """The question's words with each abbreviation the corpus never writes replaced by the full name it
    does write: a Chinese abbreviation keeps characters of the full name in order (三甲医院 is written
    三级甲等医院, 未保站 未成年人保护工作站). `content` is space-separated words; a word is expanded
    only when none of its bigrams is in `known` (the corpus's), and only where the corpus writes it
    next to the question's following (or else preceding) word, and only by a name at least twice as long
    (an abbreviation keeps about one character of each word: 大洲 is no abbreviation of 大洋洲). The most
    frequent such full name wins."""
    words = content.split()
    for i, word in enumerate(words):
        if not (2 <= len(word) <= 4 and re.fullmatch(f"[{_HAN}]+", word)) or any(b in known for b in bigrams(word)):
            continue
        core = f"[{_HAN}]{{0,{ABBREVIATION_GAP}}}?".join(map(re.escape, word))
        tail = f"[{_HAN}]{{0,{ABBREVIATION_GAP}}}?"
        nxt = next((w for w in words[i + 1:] if any(b in known for b in bigrams(w))), None)
        prev = next((w for w in reversed(words[:i]) if any(b in known for b in bigrams(w))), None)
        if nxt:
            pattern, cut = re.compile(f"({core}{tail}){re.escape(nxt)}"), 1
        elif prev:
            pattern, cut = re.compile(f"{re.escape(prev)}({core}{tail})"), 1
        else:
            continue
        found = Counter(m.group(cut) for m in pattern.finditer(corpus) if len(m.group(cut)) >= 2 * len(word))
        if found:
            words[i] = found.most_common(1)[0][0]
    return " ".join(words)
