"""Follow-ups: a conversation carries district, year, subject (and qualifier, unit) across turns.

"普陀2024年新增多少养老床位？" then "那宝山2022年呢？" is understood as 宝山区2022年新增养老床位: what
the follow-up states overrides, what it leaves out comes from the previous turn. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.answer.matching import is_bare_head, kind_named_before
from assistant.answer.understanding import (
    ABSOLUTE_CHANGE,
    ASKS_CHANGE,
    PlaceContext,
    explicit_intent,
    is_chitchat,
    normalise_question,
    parse_question,
    unit_hint,
)
from assistant.core.types import Query, Turn
from assistant.text.lexicon import AGAINST_LAST_YEAR, MOVES, SYNONYMS
from assistant.text.places import gazetteer

_JOIN = re.compile(r"^(那么?|那)?(和|跟|与|同|加上|再加上|连同|对比|相比|比)")
_MARKER = re.compile(
    r"^(那么|那如果|那要是|那(?![些里])|如果是|要是|还有|同样|同理|换成|换作|换个|改成|改为|再看|再问|另外|然后|其中)"
    r"|呢[？?！!。.]*$|的呢|怎么样[？?]*$|(也|同样|又)(是)?(多少|几)"
)


def has_followup_marker(question: str) -> bool:
    """True when the wording itself says it continues the conversation (那…呢？, 还有…, 换成…)."""
    return bool(_MARKER.search(normalise_question(question or "")))


# A subject that only says how something changed names nothing itself: 比上年增长了多少？
# (预期增长多少？ too: how a target is set says nothing of what it is set for)
_CHANGE_ONLY = re.compile(f"^(?:预期|预计|计划|目标|力争|争取)?(?:{'|'.join(AGAINST_LAST_YEAR)})?"
                          f"(?:{MOVES}|变化|增幅|增速|降幅|涨幅|调整|上调)?"
                          r"(?:之前|以前|之后|以后)?$")  # 提高之前是多少？ names nothing either


def _names_nothing(subject: str | None) -> bool:
    return not subject or bool(_CHANGE_ONLY.fullmatch(subject))


def _incomplete(query: Query) -> bool:
    """A question that cannot stand alone: it names nothing to look up (那宝山2022年呢？, 比上年增长了
    多少？). A question that names its own subject starts a new topic, even without a place: the
    documents are asked anew."""
    return _names_nothing(query.subject) or _against_last_period(query)


# 跟上年比床位变了多少？ / 比去年增长多少: a change against the year before, with no year or place of its own,
# is measured in the conversation's year and place
_AGAINST_LAST = re.compile(r"(?:比|较|跟|和|与|同)(?:上年|去年|上一年)|同比|环比")


def _against_last_period(query: Query) -> bool:
    return bool(_AGAINST_LAST.search(query.text)) and not (query.year or query.years or query.period
                                                            or query.district or query.districts)


def is_followup(question: str, vocabulary: Sequence[str] = ()) -> bool:
    """True when the question would take slots from the conversation before it."""
    if has_followup_marker(question):
        return True
    query = parse_question(question, vocabulary)
    return bool(query.text) and _incomplete(query)


def _joins(cur: Query, prev: Query) -> bool:
    """和长宁比哪个多 / 加上宝山一共多少: the place named joins the conversation's place."""
    prev_places = prev.districts or ((prev.district,) if prev.district else ())
    return bool(cur.district and prev_places and cur.district not in prev_places and _JOIN.search(cur.text)
                and explicit_intent(cur.text, 2) in ("sum", "compare"))


def _kind_from_conversation(cur: Query, prev: Query) -> str | None:
    """When `cur`'s subject is only the default reading of a bare word it writes (床位 read as 养老床位)
    and the last question wrote that word of another kind (乡镇卫生院有多少张床位), the subject the
    conversation means: the last one if it ends in that word, else the bare word (its kind comes with
    the conversation's context)."""
    if not (cur.subject and prev.subject) or cur.subject == prev.subject or cur.subject in cur.text:
        return None
    variants = SYNONYMS.get(cur.subject, ())
    for head in (v for v in variants if is_bare_head(v, cur.subject) and v in cur.text):
        if any(len(v) > len(head) and v in cur.text for v in variants):
            continue  # 认知症床位 is written whole: not the bare word
        if (at := prev.text.find(head)) >= 0:
            if prev.subject.endswith(head):
                return prev.subject
            if cur.subject not in prev.text and kind_named_before(prev.text, at):
                return head
    return None


def _inherit(cur: Query, prev: Query) -> Query:
    """`cur` with the slots it leaves out taken from `prev`; `inherited` names them."""
    inherited: list[str] = []
    fields: dict = {}
    if _joins(cur, prev):
        prev_places = prev.districts or (prev.district,)
        prev_codes = prev.places or (prev.place,)
        fields.update(district=None, districts=(*prev_places, cur.district), place=None,
                      places=tuple(c for c in (*prev_codes, cur.place) if c))
        inherited.append("district")
    elif not (cur.district or cur.districts) and (prev.district or prev.districts):
        fields.update(district=prev.district, districts=prev.districts, place=prev.place, places=prev.places)
        inherited.append("district")
    if cur.year is None and not cur.years and cur.period is None and (prev.year or prev.years or prev.period):
        fields.update(year=prev.year, years=prev.years, period=prev.period)
        inherited.append("year")
    if subject := _kind_from_conversation(cur, prev):
        cur = replace(cur, subject=subject)  # 跟上年比床位变了多少 after 乡镇卫生院有多少张床位: those beds
        inherited.append("subject")
    same_subject = _names_nothing(cur.subject) or cur.subject == prev.subject
    marked = has_followup_marker(cur.text)
    if _names_nothing(cur.subject) and prev.subject:
        fields["subject"] = prev.subject
        inherited.append("subject")
    elif marked and cur.subject and prev.subject and cur.subject not in prev.subject:
        inherited.append("context")  # 农村的呢 / 支出呢 / 其中住户存款: narrows or swaps part of the last subject
    elif _against_last_period(cur) and not _names_nothing(cur.subject):
        inherited.append("context")  # 跟上年比床位变了多少: the beds of the last question (乡镇卫生院)
    if cur.qualifier is None and prev.qualifier and (same_subject or marked):
        fields["qualifier"] = prev.qualifier
        inherited.append("qualifier")
    # 同比降了多少？ asks a change, in % unless it names a unit: the last question's unit stays behind
    if unit_hint(cur.text) is None and same_subject and prev.unit and cur.unit != prev.unit \
            and (not ASKS_CHANGE.search(cur.text) or ABSOLUTE_CHANGE.search(cur.text)):
        fields["unit"] = prev.unit
        inherited.append("unit")
    places = fields.get("districts", cur.districts) or (fields.get("district", cur.district),)
    n_places = len([p for p in places if p])
    n_years = len(fields.get("years", cur.years))
    intent = explicit_intent(cur.text, n_places, n_years)
    if intent is None:
        stated_place = bool(cur.district or cur.districts)
        if prev.intent == "text" or (prev.intent in ("sum", "compare") and not stated_place):
            intent = prev.intent
        else:
            intent = "lookup"
    if intent != cur.intent:
        fields["intent"] = intent
        if intent != "lookup" and "intent" not in inherited:
            inherited.append("intent")
    if intent == "text" and unit_hint(cur.text) is None:
        fields["unit"] = None
    return replace(cur, **fields, inherited=tuple(inherited))


def resolve_turn(question: str, previous: Query | None, vocabulary: Sequence[str] = (), *,
                 reference_year: int | None = None, places: PlaceContext | None = None) -> Query:
    """One question understood against the query of the turn before it (None: no conversation)."""
    if places is not None and previous is not None and previous.place:
        places = replace(places, current=gazetteer().get(previous.place))
    cur = parse_question(question, vocabulary, reference_year=reference_year, places=places)
    if previous is None or not cur.text or is_chitchat(cur.text):
        return cur
    if _joins(cur, previous):  # read again with the conversation's places counted (sum words)
        cur = parse_question(question, vocabulary, reference_year=reference_year,
                             context_places=len(previous.districts) or 1, places=places)
    if not (has_followup_marker(cur.text) or _incomplete(cur)):
        return _situated(cur, previous)  # a complete new question starts afresh, where the talk is
    return _inherit(cur, previous)


_ASKS_FIGURE = re.compile(r"多少|几|比例|比重|占比|百分之|[率额量数]是?$|[率额量数][？?]")
# What `_situated` adds: the conversation's place and year, no more (its subject is the question's own).
SETTING = frozenset({"district", "year", "setting"})


def _situated(cur: Query, prev: Query) -> Query:
    """A question for a figure that names its own subject but no place and no year (在校学生有多少？ after
    南京2024年有多少所小学？) is asked where and when the conversation is: the last question's place and year."""
    if cur.district or cur.districts or cur.year or cur.years or cur.period or not _ASKS_FIGURE.search(cur.text):
        return cur  # 社区救助顾问是什么: words answer it, wherever the talk was
    if not (prev.district or prev.districts or prev.year or prev.years or prev.period):
        return cur
    inherited = [slot for slot, held in (("district", prev.district or prev.districts),
                                         ("year", prev.year or prev.years or prev.period)) if held]
    return replace(cur, district=prev.district, districts=prev.districts, place=prev.place, places=prev.places,
                   year=prev.year, years=prev.years, period=prev.period, inherited=(*inherited, "setting"))


def conversation_slots(query: Query) -> set[str]:
    """The slots a question took from the conversation beyond its setting (place and year)."""
    return set(query.inherited) - SETTING if "setting" in query.inherited else set(query.inherited)


def resolve(question: str, history: Sequence[Turn | str] = (), vocabulary: Sequence[str] = (), *,
            reference_year: int | None = None, places: PlaceContext | None = None) -> Query:
    """The question understood in its conversation: history is oldest first; Turns with a `query`
    are taken as they are, strings and query-less Turns are resolved turn by turn."""
    previous: Query | None = None
    for item in history:
        if isinstance(item, Turn) and item.query is not None:
            previous = item.query
            continue
        text = item.question if isinstance(item, Turn) else str(item or "")
        if not normalise_question(text) or is_chitchat(text):
            continue  # 谢谢 / 好的 between questions do not end the conversation
        previous = resolve_turn(text, previous, vocabulary, reference_year=reference_year, places=places)
    return resolve_turn(question, previous, vocabulary, reference_year=reference_year, places=places)


def inherited_slots(question: str, history: Sequence[Turn | str] = (),
                    vocabulary: Sequence[str] = ()) -> tuple[str, ...]:
    """Which slots (district, year, subject, qualifier, unit, intent) came from the conversation."""
    return resolve(question, history, vocabulary).inherited


def understood_as(query: Query, always: bool = False) -> str | None:
    """“理解为：宝山区2022年新增养老床位” for a follow-up (or always), else None."""
    if not (query.inherited or always):
        return None
    return f"理解为：{query.describe()}"
