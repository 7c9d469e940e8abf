"""Domain vocabulary shared by tokenising, fact extraction and question understanding.

The tables are data, in `assistant/data/vocabulary.json`: everyday wording → the documents' wording
(养老院 → 养老机构), terms the tokenizer keeps whole, qualifier words, question phrasings → the unit
they expect. A deployment extends that file; nothing here is code. Places are not here: they come
from the gazetteer (`text.places`).
"""

from __future__ import annotations

import json
from pathlib import Path

VOCABULARY_FILE = Path(__file__).resolve().parents[1] / "data" / "vocabulary.json"


def _load(path: Path = VOCABULARY_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


_DATA = _load()

# Words that say what a figure is: canonical qualifier -> the words that write it.
QUALIFIERS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA["qualifiers"].items()}
# Question-only wordings of a qualifier (colloquial; never used to label figures in the documents).
QUESTION_QUALIFIERS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA["question_qualifiers"].items()}
# Units a count carries (text/numbers.py adds the general measure words of data/units.txt).
COUNT_UNITS: tuple[str, ...] = tuple(_DATA["count_units"])
# Question phrasings -> the unit they expect.
UNIT_HINTS: dict[str, str] = dict(_DATA["unit_hints"])
# Everyday wording -> the documents' wording (both directions are used for keyword expansion).
SYNONYMS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA["synonyms"].items()}
# Terms jieba must keep whole (added to its dictionary at tokeniser start).
DOMAIN_TERMS: tuple[str, ...] = tuple(_DATA["domain_terms"])
# What a subject is counted in, by the end of its name (first match wins): 多少养老床位 → 张.
SUBJECT_UNITS: tuple[tuple[str, str], ...] = tuple((a, b) for a, b in _DATA["subject_units"])
# Numeral phrases that name rather than count (八项规定, 四面八方), for texts that do not quote them.
SET_PHRASES: tuple[str, ...] = tuple(_DATA["set_phrases"])
# Verbs that end the phrase naming what a figure counts (提供, 建设), in the order subjects.py tries them.
SUBJECT_VERBS: tuple[str, ...] = tuple(_DATA["subject_verbs"])
# Words naming two things at once (城乡 → 城市, 农村), read apart in a 分别 list.
PAIRED_COMPOUNDS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA.get("paired_compounds", {}).items()}
# Pairs of words naming figures that never answer for each other (城镇 / 农村, 收入 / 支出).
CONTRASTS: tuple[tuple[str, str], ...] = tuple((a, b) for a, b in _DATA.get("contrasts", ()))
# How a figure moves: rise verbs, fall verbs, and words comparing with the year before (比上年, 同比).
RISE_VERBS: tuple[str, ...] = tuple(_DATA["movement"]["rise"])
FALL_VERBS: tuple[str, ...] = tuple(_DATA["movement"]["fall"])
AGAINST_LAST_YEAR: tuple[str, ...] = tuple(_DATA["movement"]["against_last_year"])
MOVES = "|".join(RISE_VERBS + FALL_VERBS)  # a regex alternation of both
# Domain terms too broad to be what a question is about when a narrower term is present.
GENERIC_TERMS: frozenset[str] = frozenset(_DATA["generic_terms"])
