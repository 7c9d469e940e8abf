"""Writing systems of a text: which scripts the documents are written in, and whether a question uses one.

A question with no letter of the documents' scripts ("1+1", "=1+1", "GDP?" over a Chinese corpus)
has no word the documents could match, so it is refused rather than answered from a stray figure.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable

# Unicode character names start with the script for most letters ("CJK UNIFIED IDEOGRAPH-4E00",
# "LATIN SMALL LETTER A", "HIRAGANA LETTER A"); these name prefixes are folded into one script.
_SCRIPT_ALIASES = {"CJK": "Han", "KANGXI": "Han", "IDEOGRAPHIC": "Han", "FULLWIDTH": "Latin", "LATIN": "Latin"}
MIN_SHARE = 0.2  # a script is one of the documents' when at least this share of their letters use it
SAMPLE_CHARS = 20_000  # letters looked at per text: plenty to tell scripts apart, cheap at any corpus size


def letter_script(ch: str) -> str | None:
    """The script of one letter ("Han", "Latin", "Cyrillic" …), None for digits, symbols and spaces."""
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    if not name:
        return None
    first = name.split(" ", 1)[0]
    if first == "FULLWIDTH":  # FULLWIDTH LATIN CAPITAL LETTER A
        first = name.split(" ", 2)[1]
    return _SCRIPT_ALIASES.get(first, first.title())


def main_scripts(texts: Iterable[str], min_share: float = MIN_SHARE) -> frozenset[str]:
    """The scripts that make up at least `min_share` of the letters of `texts` (empty for no letters)."""
    counts: Counter[str] = Counter()
    for text in texts:
        for ch in text[:SAMPLE_CHARS]:
            script = letter_script(ch)
            if script:
                counts[script] += 1
    total = sum(counts.values())
    return frozenset(s for s, n in counts.items() if total and n / total >= min_share)


def has_letters_of(text: str, scripts: frozenset[str]) -> bool:
    """True when `text` holds a letter of one of `scripts`; with no known scripts, any letter counts."""
    for ch in text:
        script = letter_script(ch)
        if script and (not scripts or script in scripts):
            return True
    return False
