"""Question → `Query`: normalise and check the text, then read district, year, qualifier, unit,
subject and intent out of it. Pure functions over `lexicon` tables; no I/O."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.answer.matching import DOC_SAYS, counted_in, is_bare_head, kind_named_before
from assistant.core.errors import BadQuestion
from assistant.core.settings import Settings
from assistant.core.types import Query
from assistant.ingest.facts import PEOPLE_ENDINGS
from assistant.ingest.subjects import closes_noun, opens_noun
from assistant.text import lexicon
from assistant.text.places import Place, find_places, gazetteer
from assistant.text.time import question_years

# ---------------------------------------------------------------- normalising and checking

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = "，。：；（）！？“”、《》〔〕【】…—"
_FULLWIDTH = {0xFF10 + i: 0x30 + i for i in range(10)}
_FULLWIDTH |= {0xFF21 + i: 0x41 + i for i in range(26)} | {0xFF41 + i: 0x61 + i for i in range(26)}
_FULLWIDTH |= {ord("％"): "%", ord("＋"): "+", ord("\u3000"): " "}
_TO_CJK_PUNCT = {",": "，", "?": "？", "!": "！", ":": "：", ";": "；", "(": "（", ")": "）"}
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")
_SPACE_NEAR_CJK = re.compile(f"(?<=[{_CJK}{_CJK_PUNCT}\\w%]) (?=[{_CJK}{_CJK_PUNCT}])|"
                             f"(?<=[{_CJK}{_CJK_PUNCT}]) (?=[\\w%])")


def _is_cjk(ch: str) -> bool:
    return bool(ch) and ("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or ch in _CJK_PUNCT)


def normalise_question(text: str) -> str:
    """The cleaned-text conventions applied to a question: half-width digits and letters,
    full-width punctuation in CJK context, no spaces around CJK, one space elsewhere.

    A mark converted in one pass can make its neighbour CJK context for the next (`)"㐀`: the quote
    becomes “, then the bracket sits beside it), so passes repeat until nothing changes."""
    for _ in range(4):
        done = _normalise_once(text)
        if done == text:
            break
        text = done
    return text


def _normalise_once(text: str) -> str:
    text = _INVISIBLE.sub("", text).translate(_FULLWIDTH)
    text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    text = re.sub(r"(?<=\d)．(?=\d)", ".", text)
    text = re.sub(r"(?<![\d,])(\d{1,3})((?:,\d{3})+)(?![\d,])", lambda m: m[1] + m[2].replace(",", ""), text)
    text = re.sub(r"\s+", " ", text).strip()
    text = _SPACE_NEAR_CJK.sub("", text)
    out: list[str] = []
    quote_open = True
    open_brackets = 0
    for i, ch in enumerate(text):
        prev = next((c for c in reversed(out) if c != " "), "")
        nxt = next((c for c in text[i + 1:i + 3] if c != " "), "")
        near_cjk = _is_cjk(prev) or _is_cjk(nxt)
        if ch == ")" and open_brackets:
            ch, open_brackets = "）", open_brackets - 1
        elif ch in _TO_CJK_PUNCT and near_cjk and not (ch in ",:" and prev.isdigit() and nxt.isdigit()):
            ch = _TO_CJK_PUNCT[ch]
            open_brackets += ch == "（"
        elif ch == "." and _is_cjk(prev) and (not nxt or _is_cjk(nxt)):
            ch = "。"
        elif ch == '"' and near_cjk:
            ch = "“" if quote_open else "”"
            quote_open = not quote_open
        out.append(ch)
    return _SPACE_NEAR_CJK.sub("", "".join(out))


_TOO_LONG_HINT = "请只保留要问的那一句，或拆成几个问题分别提问。"


_CHITCHAT = re.compile(
    r"(你好|您好|hi|hello|嗨|谢谢|多谢|感谢|谢了|好的|明白了?|知道了|收到|ok|嗯+|哦+|再见|拜拜|辛苦了?|"
    r"你是谁|你叫什么|你能做什么|你会什么|在吗)+",
    re.IGNORECASE,
)


def is_chitchat(text: str) -> bool:
    """True for greetings and thanks with nothing to look up (你好, 谢谢, 好的)."""
    core = re.sub(r"[\W_]+", "", normalise_question(text or ""))
    return bool(core) and bool(_CHITCHAT.fullmatch(core))


def validate_question(text: str, max_chars: int = 2000) -> str:
    """The normalised question, or `BadQuestion` saying what is wrong and what to do."""
    if text is None or not str(text).strip():
        raise BadQuestion("问题是空的：请输入想问的内容，例如“普陀区2024年计划新增多少张养老床位？”")
    if len(text) > max_chars * 4 + 10_000:  # do not normalise megabytes of pasted text
        raise BadQuestion(f"问题太长（约{len(text)}字，上限{max_chars}字）：{_TOO_LONG_HINT}")
    norm = normalise_question(str(text))
    if not norm:
        raise BadQuestion("问题是空的：请输入想问的内容，例如“普陀区2024年计划新增多少张养老床位？”")
    if len(norm) > max_chars:
        raise BadQuestion(f"问题太长（{len(norm)}字，上限{max_chars}字）：{_TOO_LONG_HINT}")
    if not any(c.isalnum() for c in norm):
        raise BadQuestion("问题里只有标点或符号，没有文字：请用文字写出想问的内容，"
                          "例如“宝山区2022年新增几家综合为老服务中心？”")
    return norm


def has_document_words(text: str) -> bool:
    """True when the question holds at least two Chinese characters: "1+1" or "=A1" asks nothing
    the documents could say."""
    return sum(1 for c in text if "\u3400" <= c <= "\u9fff") >= 2


def is_mostly_english(text: str) -> bool:
    """True when the question is written in English (or another Latin-script language)."""
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    cjk = sum(1 for c in text if "\u3400" <= c <= "\u9fff")
    return latin >= 3 and cjk * 4 <= latin and cjk <= 6


_INJECTION = re.compile(
    "|".join([
        r"(?<![被易所])(忽略|忽视|无视|别管|不用管|不要管|不必管|别理|不要理|不用理|抛开|撇开|跳过|丢掉|忘掉|忘记)"
        r"[^，。？！]{0,8}(资料|文件|文档|材料|内容|指令|指示|规则|要求|提示|设定|限制|上文|前文|以上|上面|前面|之前)",
        r"(不要|不用|不必|别)(参考|依据|根据|看|查|引用|受限于)[^，。？！]{0,4}(资料|文件|文档|材料|原文|上面|以上)",
        r"(随便|随意|瞎|胡|自己|凭空|任意)(编|说|写|讲|造|猜|估|给)",
        r"编(一个|一下|个|些|点)|编造|捏造|杜撰|虚构|(?<!评)(猜|估)(一个|个)(数|答案)?",
        r"(假装|请扮演|你扮演|扮演一[个名位]|你现在是|你不再是|进入.{0,4}模式|越狱|系统提示|提示词)",
        r"\b(ignore|disregard|forget)\b.{0,30}\b(instructions?|documents?|context|above|previous|prior|rules?)\b",
        r"\bmake\s+(something|it|one|a number|up)\b|\bjailbreak\b|\bsystem prompt\b",
        r"\bpretend\b|\byou are now\b",
    ]),
    re.IGNORECASE,
)


def detect_injection(text: str) -> bool:
    """True when the question tells the assistant to leave the documents aside or make things up."""
    return bool(_INJECTION.search(normalise_question(text)))


# ---------------------------------------------------------------- places

_ALL_DISTRICTS = re.compile(
    r"各区|各个区|所有区|每个区|全市各区|哪个区|哪一个区|哪些区|哪个区县|哪区|各市|哪个市|哪个城市|各县|哪个县|各省|哪个省"
)
# 全市 used as a comparison's frame (在全市率先, 全市第一) names no place to look in.
_CITY_AS_CONTEXT = re.compile(r"(在|于|居|占|高于|低于|领先|位于|位居)全[市省区]|全[市省区](率先|首|前列|第一|排名|平均|领先|范围)")


_JOINERS = "和与跟同、及"


@dataclass(frozen=True)
class PlaceContext:
    """What place reading needs besides the text: places the documents hold, the home place and
    the place of the conversation so far (全市/本区 are read against it)."""

    known: frozenset[str] = frozenset()
    home: Place | None = None
    current: Place | None = None

    @classmethod
    def for_home(cls, home: str, known: Collection[str] = ()) -> PlaceContext:
        """The home place by name; its own divisions count as known (their short names are read)."""
        gaz = gazetteer()
        found = find_places(home, gaz)
        place = found[0].place if found else None
        under = {c for c, p in gaz.by_code.items() if place is not None and place.level > 0 and p.within(place)}
        return cls(known=frozenset(known) | frozenset(under), home=place)


@lru_cache(maxsize=1)
def default_places() -> PlaceContext:
    """The context of the default home place, for questions read without an index."""
    return PlaceContext.for_home(Settings.model_fields["home_place"].default)


_RANK_SCOPE = re.compile(r"[内中里]?(?:的)?(?:排名|排行|排第|排在|排|位列|位居|名列)")


def find_question_places(text: str, ctx: PlaceContext | None = None) -> tuple[list[Place], list[tuple[int, int]]]:
    """Places a question names, in order of first mention, and the spans they occupy."""
    ctx = ctx or default_places()
    mentions = find_places(text, gazetteer(), known=ctx.known, home=ctx.home, context=ctx.current)
    spans = [(m.start, m.end) for m in mentions]
    mentions = [m for m in mentions if not (m.relative and _CITY_AS_CONTEXT.search(text))]
    # 在宁波排第几 / 在全省排名: the place a ranking is within, not the place asked about
    mentions = [m for m in mentions if not (text[max(0, m.start - 1):m.start] == "在" and _RANK_SCOPE.match(text, m.end))]
    named = [m for m in mentions if m.relative is None]
    mentions = [m for m in mentions if m.relative is None or not any(n.place.within(m.place) for n in named)]
    specific = [m for m in mentions if m.place.level > 0]
    if specific:  # 国家级, 全国先进: a national word beside a named place qualifies, it does not locate
        mentions = specific
    places: list[Place] = []
    for m in mentions:
        if m.place not in places:
            places.append(m.place)
    # 江苏省第二十届运动会上南京代表团: a place that contains another named one only locates it
    joined = {m.place for m in mentions if text[m.end:m.end + 1] in _JOINERS or text[m.start - 1:m.start] in _JOINERS}
    places = [p for p in places if p in joined or not any(o != p and o.within(p) for o in places)]
    return places, spans


# ---------------------------------------------------------------- qualifier, unit, intent

_QUALIFIER_PRIORITY = ("改建", "新增", "不低于", "累计", "完成", "覆盖", "总数", "计划")
_SUM_WORDS = re.compile(r"一共|合计|加起来|加在一起|总共|总计|共计|总和|之和|相加|合起来|共有|一起")
_COMPARE_STRONG = re.compile(
    r"(哪个|哪一个|哪|哪些)(区|年|街道|街镇)[^，。？]{0,20}(最多|最少|最高|最低|最大|最小|更多|更少|多些|少些|领先|靠前)"
    r"|排名|排第几|排行|比较(?!多|少|大|小|高|低|快|慢|好|突出|明显|集中)|对比|谁多|谁少|谁更|谁的|哪个多|哪个少|哪个更|哪年更|哪年多|多还是|少还是|高还是|低还是"
)
_COMPARE_WEAK = re.compile(
    r"比[^，。？]{1,12}(多|少|高|低)|更多|更少|差多少|相差|差距|差几|最多|最少|最高|最低|哪个[^，。？]{0,20}(多|少|高|低|大|小)"
    r"|比呢|比一比|比一下|相比|比较(?!多|少|大|小|高|低|快|慢|好|突出|明显|集中)"
)
_TEXT_CUES = re.compile(
    r"哪个街道|哪些街道|哪几个|哪几|哪个镇|哪个街镇|哪个社区|哪个项目|哪些项目|什么街道|叫什么|是什么|什么是|是哪|"
    r"如何|怎么|怎样|有哪些|哪些|什么措施|什么内容|什么项目|什么政策|什么举措|什么服务|什么机制|什么时候|何时|为什么|"
    r"在哪|哪里|具体做法|主要内容|介绍一下|介绍下|讲讲|说说|谈谈|举措|措施|做法|内容|目标任务|重点工作|工作重点|意义|什么|啥|"
    r"动作|亮点|特色|经验|成效|进展"
)
_NUMERIC_CUES = re.compile(
    r"多少|几[张家个户名人对所处项类支批次场条座块件套台位万成]|百分之|比例|占比|比重|数量|金额|规模|数字|率是|多大|几岁"
)


def names_all_districts(text: str) -> bool:
    """True when the question is about every district at once (哪个区, 各区, 所有区)."""
    return bool(_ALL_DISTRICTS.search(text))


# 比上年多了多少 / 增加了多少: a change in the figure's own unit (1.5亿人次), not a rate
ABSOLUTE_CHANGE = re.compile(r"(?:多|少|增加|减少)了?多少")
# 增长了多少 / 同比降了多少 / 增幅: the question asks how a figure changed
ASKS_CHANGE = re.compile("|".join((lexicon.MOVES, "涨", "降", "增幅", "增速", "降幅", *lexicon.AGAINST_LAST_YEAR)))


def unit_hint(text: str) -> str | None:
    """The unit a question's wording asks for (多少张 → 张, 占比 → %), None when it names none."""
    probe = re.sub(r"哪几", "", text)
    # 多少万人, 几万吨, 多少个百分点: any unit the documents write, after the question word
    m = _asked_unit_pattern().search(probe)
    for hint in sorted(lexicon.UNIT_HINTS, key=len, reverse=True):
        if hint in probe and not (m and len(m.group(0)) > len(hint)):
            return lexicon.UNIT_HINTS[hint]
    if m:
        return m.group(1)
    if counted := counted_in().search(probe):  # 按人算
        return counted.group(1)
    if re.search(r"(?:多少|几)大", probe):  # 几大光荣使命: counted as 三大, in 个
        return "个"
    return "年" if re.search(r"连续(?:多少|几)年", probe) else None  # 连续几年: a number of years


@lru_cache(maxsize=1)
def _asked_unit_pattern() -> re.Pattern:
    from assistant.text.numbers import unit_alternation

    # 几个人 counts people (人), not things (个); 几个项目 stays 个
    return re.compile(rf"(?:多少|几)(?:万|亿|千|百|大)?(?:个(?=人))?({unit_alternation()})")


def _unit_of_subject(subject: str | None) -> str | None:
    if subject:
        for suffix, unit in lexicon.SUBJECT_UNITS:
            if subject.endswith(suffix):
                return unit
    return None


def explicit_intent(text: str, n_places: int = 0, n_years: int = 0) -> str | None:
    """The intent the wording itself states (sum, compare, text, lookup), None when it states none."""
    text = normalise_question(text)
    several = n_places >= 2 or n_years >= 2
    all_districts = bool(_ALL_DISTRICTS.search(text))
    if _COMPARE_STRONG.search(text) or (_COMPARE_WEAK.search(text) and (several or all_districts)):
        return "compare"
    if _SUM_WORDS.search(text) and (several or all_districts):
        return "sum"
    if _NUMERIC_CUES.search(re.sub(r"哪几", "", text)) or unit_hint(text):
        return "lookup"
    if _TEXT_CUES.search(text):
        return "text"
    return None


def _qualifier(text: str, blocked: list[tuple[int, int]], is_sum: bool) -> str | None:
    pairs = [(w, k) for k, ws in lexicon.QUALIFIERS.items() for w in ws if len(w) >= 2]
    pairs += [(w, k) for k, ws in lexicon.QUESTION_QUALIFIERS.items() for w in ws]
    pairs.sort(key=lambda p: -len(p[0]))
    taken = [False] * len(text)
    for s, e in blocked:
        for i in range(s, min(e, len(text))):
            taken[i] = True
    for m in re.finditer(r"\d+(\.\d+)?[^\d，。？]{0,3}(及|或)?以上", text):
        for i in range(m.start(), m.end()):
            taken[i] = True
    if is_sum:
        for m in _SUM_WORDS.finditer(text):
            for i in range(m.start(), m.end()):
                taken[i] = True
    found: set[str] = set()
    for word, key in pairs:
        for m in re.finditer(re.escape(word), text):
            if key == "新增" and text.startswith(("到", "至"), m.end()):
                continue  # 增加到多少: the level it reached, not how much was added
            if not any(taken[m.start():m.end()]):
                found.add(key)
                for i in range(m.start(), m.end()):
                    taken[i] = True
    return next((k for k in _QUALIFIER_PRIORITY if k in found), None)


# ---------------------------------------------------------------- subject

@lru_cache(maxsize=8)
def _term_table(vocabulary: tuple[str, ...]) -> tuple[dict[str, str], int, tuple[str, ...]]:
    """surface form -> the documents' wording, for lexicon terms, synonyms and the vocabulary."""
    table: dict[str, str] = {}
    for term in lexicon.DOMAIN_TERMS:
        table[term] = term
    for term in vocabulary:
        term = term.strip()
        if len(term) >= 2:
            table[term] = term
    for canonical, variants in lexicon.SYNONYMS.items():
        table[canonical] = canonical
        for v in variants:
            table[v] = canonical
    for word in ("十四五", "民政局", "工作要点", "中期评估"):
        table.pop(word, None)
    beds = {t for t in table.values() if t.endswith("床位") and len(t) >= 4}
    beds = tuple(sorted(beds, key=len, reverse=True))
    return table, max(map(len, table)), beds


def _match_terms(text: str, blocked: list[tuple[int, int]], vocabulary: tuple[str, ...]):
    """Left-to-right longest matches: (start, end, surface, canonical)."""
    table, longest, _ = _term_table(vocabulary)
    taken = [False] * len(text)
    for s, e in blocked:
        for i in range(s, min(e, len(text))):
            taken[i] = True
    out = []
    i = 0
    while i < len(text):
        for n in range(min(longest, len(text) - i), 1, -1):
            surface = text[i:i + n]
            if surface in table and not any(taken[i:i + n]):
                canon = table[surface]
                if is_bare_head(surface, canon) and kind_named_before(text, i, tuple(blocked)):
                    canon = surface  # 医疗床位: the bare head is not the default kind here
                out.append((i, i + n, surface, canon))
                i += n
                break
        else:
            i += 1
    return out


# Words that are never the thing asked about: removed wherever they stand.
_NOISE = re.compile(
    r"哪(?:[个些]|几个|一个)?(?:街道|街镇|乡镇|社区|区县|区)|请问|告诉我|帮我|多大|这些|那些|它们|它的|查一下|查查|想知道|我想|问一下|一下|"
    r"(多少|几)(万人次|人次|万元|亿元|平方米|课时|[张家个户名人对所处项类支批次场条座块件套台位元岁])?|"
    r"是什么|什么|哪个|哪些|哪几|怎么样|怎么说|怎么|如何|怎样|有没有|是否|那么|还有|同样|"
    r"计划|打算|准备|要求|目标|以及|一共|合计|总共|加起来|以来|期间|上半期|比例|占比|比重|数量|情况|方面|"
    r"具体|主要|大概|大约|左右|新增|新建|增加|改建|改造|累计|完成|实现|达到|不低于|至少|以上|覆盖|试点|开展|"
    r"推进|办理|提供|开设|设立|率先|全面|进一步|持续|实施|加强|做好|打造|创建|优化|提升|深化|落实|"
    r"今年|去年|明年|本年度|如果是|如果|要是|换成|换作|改成|改为|再看看|看看|另外|的话|也是|数据|数字|结果|"
    r"这个|那个|这边|那边|说法|规定|最多|最少|最高|最低|最大|最小|更多|更少|比较|对比|排名|"
    r"支出|发放|投入|筹集|组建|惠及|安装|举办|招录|配备|问题|问下|问问|一样|地方|地点|哪儿|为什么|"
    r"谢谢|多谢|你好|您好|好的|明白|知道了|已经|目前|现在|当前"
)
# Single characters that are noise only at the edge of what is left (区 stays inside 社区).
_EDGE = "请几哪吗呢吧啊呀那这也还又谁要会能将在于的了是有和与跟及对为给把被所共年末底初区市加建达到多少个"


# How a figure moved, not what it counts: a fact's subject that is only this (增长, 比上年下降) names nothing.
_MOVEMENT = re.compile("|".join((*lexicon.AGAINST_LAST_YEAR, lexicon.MOVES, "增幅", "降幅", "分别", "为", "达")))


def names_a_thing(term: str) -> bool:
    """Whether `term` says what is counted: something is left once question words, movement words
    and units are taken out (增长, 比上年下降, 亿元 say nothing of it; 卫生投资增长 does)."""
    from assistant.text.numbers import UNITS

    rest = _MOVEMENT.sub(" ", _NOISE.sub(" ", term))
    runs = re.findall(f"[{_CJK}A-Za-z]+", rest)
    return any(len(r) >= 2 and r.lstrip("万亿千百十") not in UNITS for r in runs)


def _strip_edge(run: str) -> str:
    """`run` without noise characters at its ends, unless one begins or ends a noun there (在 of 在校生,
    区 of 社区)."""
    run = run if opens_noun(run) else run.lstrip(_EDGE)
    return run if closes_noun(run) else run.rstrip(_EDGE)


# 公共服务投资中，卫生投资…: a run closed by 中 and a comma says where to look, not what is asked
_SCOPE = re.compile(rf"[{_CJK}A-Za-z]{{2,}}中(?=\s*[，,：:])")


# A qualifier word between two others (城镇新增就业): the thing asked is the words around it.
_QUALIFIER_WORDS = sorted((w for ws in lexicon.QUALIFIERS.values() for w in ws if len(w) >= 2), key=len, reverse=True)
_BETWEEN_WORDS = re.compile(rf"(?<=[{_CJK}])(?:{'|'.join(_QUALIFIER_WORDS)})(?=[{_CJK}])")


def _residual_subject(text: str, blocked: list[tuple[int, int]]) -> str | None:
    """The longest run of words left when districts, years and question words are taken out."""
    chars = list(text)
    for s, e in blocked:
        for i in range(s, min(e, len(chars))):
            chars[i] = " "
    rest = _BETWEEN_WORDS.sub("", "".join(chars))  # 城镇新增就业 asks 城镇就业 (新增 is read apart)
    rest = _NOISE.sub(" ", counted_in().sub(" ", DOC_SAYS.sub(" ", rest)))
    scopes = {m[0].removesuffix("中") for m in _SCOPE.finditer(rest)}
    runs = [_strip_edge(r) for r in re.split(rf"[^{_CJK}A-Za-z+]+", rest)]
    runs = [r.removesuffix("中") if r[:-1] in scopes else r for r in runs]
    runs = [r for r in runs if len(r) >= 2 and re.search(f"[{_CJK}]", r)]
    asked = [r for r in runs if r not in scopes]
    return max(asked or runs, key=len) if runs else None


def _head_after(text: str, end: int, blocked: list[tuple[int, int]]) -> str:
    """在岗人员 of 残疾人康复机构在岗人员有多少: people named right after a known term are what is counted,
    the term whose they are (its 机构 would ask 家). "" when the words after it name no people."""
    run = re.match(f"[{_CJK}]*", text[end:])[0]
    if stop := re.search(f"{_NOISE.pattern}|[的有是和与及为]", run):
        run = run[:stop.start()]
    if len(run) < 2 or run[-1] not in PEOPLE_ENDINGS or any(s < end + len(run) and end < e for s, e in blocked):
        return ""
    return run if closes_noun(run) else ""


def _subject(text: str, blocked: list[tuple[int, int]], vocabulary: tuple[str, ...]):
    """The thing asked about in the documents' wording, whether a known term named it, and the
    spans of every known term in the question."""
    matches = _match_terms(text, blocked, vocabulary)
    spans = [(m[0], m[1]) for m in matches]
    specific = [m for m in matches if m[3] not in lexicon.GENERIC_TERMS]
    if not specific:  # only broad words (老年人, 养老服务): what is left may say more
        residual = _residual_subject(text, blocked)
        broad = max(matches, key=lambda m: len(m[2]), default=None)
        if residual and (broad is None or len(residual) > len(broad[2])):
            return residual, False, spans
        if broad is None:
            return None, False, spans
    start, end, _surface, subject = max(specific or matches, key=lambda m: (len(m[2]), -m[0]))
    if rate := re.match(f"[{_CJK}]{{0,8}}?率", text[end:]):  # 养老护理员 + 持证率
        if not _NOISE.search(rate[0]):
            return subject + rate[0], True, spans
    if head := _head_after(text, end, blocked):
        return subject + head, True, spans
    if subject.endswith("床位"):  # 养老床位护理型的占比 → 护理型床位
        outside = text[:start] + "|" + text[end:]
        for term in _term_table(vocabulary)[2]:
            head = term[:-2]
            if head in outside and head not in subject:
                return term, True, spans
    return subject, True, spans


# ---------------------------------------------------------------- the query

def parse_question(text: str, vocabulary: Sequence[str] = (), *, reference_year: int | None = None,
                   context_places: int = 0, places: PlaceContext | None = None) -> Query:
    """Read the slots of one question; `reference_year` resolves 今年/去年 (None leaves them open);
    `context_places` counts places a conversation adds to the ones named (加上宝山一共多少)."""
    norm = normalise_question(text or "")
    found, d_spans = find_question_places(norm, places)
    districts = [p.name for p in found]
    years, period, y_spans = question_years(norm, reference_year)
    several_places = len(districts) >= 2
    intent = explicit_intent(norm, len(districts) + context_places, len(years)) or "lookup"
    blocked = d_spans + y_spans
    subject, _known, term_spans = _subject(norm, blocked, tuple(vocabulary))
    qualifier = _qualifier(norm, blocked + term_spans, intent == "sum")
    if qualifier is None and subject:  # the term itself carries it (a vocabulary phrase like 新增床位)
        qualifier = next((k for k, ws in lexicon.QUALIFIERS.items()
                          for w in ws if len(w) >= 2 and subject.startswith(w)), None)
    unit = unit_hint(norm)
    if unit is None and intent != "text":
        unit = _unit_of_subject(subject)
    return Query(
        text=norm,
        district=districts[0] if len(districts) == 1 else None,
        place=found[0].code if len(found) == 1 else None,
        places=tuple(p.code for p in found) if several_places else (),
        year=years[0] if len(years) == 1 else None,
        qualifier=qualifier,
        unit=unit,
        subject=subject,
        districts=tuple(districts) if several_places else (),
        intent=intent,
        period=period,
        years=tuple(years) if len(years) >= 2 else (),
    )
