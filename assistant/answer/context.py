"""What answering derives from a loaded index, built once per index by `build_context`.

One explicit object instead of caches bolted onto the index: the places and years the documents
hold, the vocabulary question parsing uses, the IDF of the corpus's bigrams, the fitted model and
the answer templates.
"""

from __future__ import annotations

import datetime
import string
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from assistant.answer.matching import expand_abbreviations, idf_table
from assistant.answer.scoring import Model, load_model
from assistant.answer.understanding import PlaceContext, names_a_thing
from assistant.core.settings import Settings
from assistant.text.lexicon import DOMAIN_TERMS, SYNONYMS
from assistant.text.places import Place, gazetteer


@dataclass
class AnswerContext:
    index: object  # index.store.LoadedIndex
    places: PlaceContext
    reference_year: int
    vocabulary: tuple[str, ...]
    known_subjects: frozenset[str]
    idf: dict[str, float]
    held: dict[str | None, set[int]]  # place adcode -> years its documents speak of
    model: Model
    prompts_dir: Path
    doc_places: dict[str, Place | None] = field(default_factory=dict)  # doc_id -> place
    facts_by_chunk: dict[str, list] = field(default_factory=dict)  # chunk_id -> its facts, in text order
    corpus_text: str = ""  # every passage, one per line: where abbreviations are looked up
    subject_units: dict[str, set[str]] = field(default_factory=dict)  # a fact subject -> the units it is counted in
    _expanded: dict[str, str] = field(default_factory=dict, repr=False)

    def expand(self, content: str) -> str:
        """The question's words with abbreviations the documents never write spelled out (三甲 → 三级甲等)."""
        if content not in self._expanded:
            self._expanded[content] = expand_abbreviations(content, self.idf, self.corpus_text)
        return self._expanded[content]

    def render(self, name: str, **values: object) -> str:
        """Fill the answer template prompts/<name>.txt."""
        return _template(self.prompts_dir, name).substitute({k: "" if v is None else v for k, v in values.items()})

    def place(self, code: str | None) -> Place | None:
        return gazetteer().get(code)


@lru_cache(maxsize=64)
def _template(folder: Path, name: str) -> string.Template:
    return string.Template((folder / f"{name}.txt").read_text(encoding="utf-8").strip())


def build_context(index, settings: Settings) -> AnswerContext:
    """Everything answering needs from `index`, computed once."""
    gaz = gazetteer()
    held: dict[str | None, set[int]] = defaultdict(set)
    doc_places: dict[str, Place | None] = {}
    for d in index.documents.values():
        held[d.meta.place].update(d.meta.years)
        doc_places[d.doc_id] = gaz.get(d.meta.place)
    for c in index.chunks:  # a compilation's parts add their own years
        held[c.place].update(c.years)
    for f in index.facts:  # and a figure its text dates (从2020年的3.68万亿元增长到…) its year
        if f.year:
            held[f.place].add(f.year)
    known = {code for code in held if code}
    by_chunk: dict[str, list] = defaultdict(list)
    units: dict[str, set[str]] = defaultdict(set)
    for f in index.facts:
        by_chunk[f.chunk_id].append(f)
        if f.subject:
            units[f.subject].add(f.unit)
    subjects = {f.subject for f in index.facts if f.subject and 2 <= len(f.subject) <= 16 and names_a_thing(f.subject)}
    vocabulary = tuple(sorted(subjects | set(DOMAIN_TERMS) | set(SYNONYMS), key=len, reverse=True))
    texts = (index.documents[f.doc_id].text[f.sentence_start:f.sentence_end] for f in index.facts)
    idf = idf_table(list(texts) + [c.text for c in index.chunks])
    return AnswerContext(
        index=index,
        places=PlaceContext.for_home(settings.home_place, known),
        reference_year=settings.reference_year or datetime.date.today().year,
        vocabulary=vocabulary,
        known_subjects=frozenset(vocabulary),
        idf=idf,
        held=dict(held),
        model=load_model(),
        prompts_dir=Path(settings.prompts_dir),
        doc_places=doc_places,
        facts_by_chunk=dict(by_chunk),
        corpus_text="\n".join(c.text for c in index.chunks),
        subject_units=dict(units),
    )

