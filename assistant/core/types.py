"""Value types every pipeline stage speaks: documents, sections, chunks, facts, hits, answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SECTION_SEP = " › "


@dataclass(frozen=True)
class DocMeta:
    """What a document is: read from the manifest, or guessed from the text for user files."""

    title: str
    issuer: str | None = None
    doc_number: str | None = None  # 文号, e.g. 普民〔2024〕4号
    district: str | None = None  # the place's name: 普陀区, 南京市, 全国
    years: tuple[int, ...] = ()  # the year(s) the document speaks of
    doc_type: str | None = None  # 工作要点, 中期评估, …
    date: str | None = None  # ISO date of issue, where known
    place: str | None = None  # adcode of the place (text.places): 310107 上海市普陀区, 000000 全国


@dataclass(frozen=True)
class Document:
    """One source file after loading and cleaning; `text` is the cleaned text citations quote."""

    doc_id: str  # content hash of the cleaned text
    source: str  # file name relative to the corpus folder
    meta: DocMeta
    text: str
    # Spans of `text` the source marked as headings (markdown #, bold line openers, docx heading
    # styles, html h1–h4); sectioning uses them besides the numbering. Empty for reloaded docs.
    headings: tuple[tuple[int, int], ...] = ()

    @property
    def title(self) -> str:
        return self.meta.title


@dataclass(frozen=True)
class Section:
    """A heading and the span of its body in the cleaned document text."""

    doc_id: str
    path: tuple[str, ...]  # heading titles from the top, e.g. ("二、建设…", "二是推动…")
    level: int
    start: int  # offset of the body (after the heading line) in Document.text
    end: int


@dataclass(frozen=True)
class Chunk:
    """The unit of retrieval: a section body, or a run of whole sentences of a long one."""

    chunk_id: str  # content hash of doc_id + offsets + text
    doc_id: str
    doc_title: str
    source: str
    section: tuple[str, ...]
    text: str  # == Document.text[start:end]
    start: int
    end: int
    district: str | None
    years: tuple[int, ...]
    doc_type: str | None
    place: str | None = None  # adcode of the document's place

    @property
    def section_str(self) -> str:
        return SECTION_SEP.join(self.section)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Chunk:
        return cls(**{**d, "section": tuple(d["section"]), "years": tuple(d["years"])})


@dataclass(frozen=True)
class Fact:
    """One figure in the corpus, normalised, with the exact span it stands in."""

    fact_id: str
    chunk_id: str
    doc_id: str
    value: float  # normalised: 91.65万人次 -> 916500, 50% -> 0.5
    unit: str  # normalised unit: 张, 家, 人次, 元, %, 个 …
    as_written: str  # the figure as the text writes it, e.g. "200张", "5.37亿元"
    qualifier: str | None  # 新增, 改建, 累计, 达到, 不低于, 计划 …
    subject: str | None  # the thing counted, e.g. 养老床位
    district: str | None
    year: int | None
    start: int  # offsets of as_written in Document.text
    end: int
    sentence_start: int  # offsets of the sentence holding it in Document.text
    sentence_end: int
    qualifiers: tuple[str, ...] = ()  # every qualifier key written before it in its clause
    approx: str | None = None  # 余, 多, 约, 近, 逾 when the text gives the figure as approximate
    planned: bool = False  # the sentence states a plan or target (计划, 力争, 目标 …)
    context: str | None = None  # the clause the figure stands in, for matching a question's words
    place: str | None = None  # adcode of the place the figure holds for

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Fact:
        return cls(**{**d, "qualifiers": tuple(d.get("qualifiers", ()))})


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with the scores that put it there."""

    chunk: Chunk
    score: float  # fused
    dense_score: float | None = None
    keyword_score: float | None = None
    rank: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A search hit as JSON (API and CLI): the chunk's fields plus its keyword, vector and fused scores."""
        return {
            **self.chunk.to_dict(),
            "section_str": self.chunk.section_str,
            "rank": self.rank,
            "keyword_score": self.keyword_score,
            "vector_score": self.dense_score,
            "fused_score": self.score,
        }


@dataclass(frozen=True)
class Citation:
    """A quoted passage with where it sits; `highlight` is the figure's span inside `text`."""

    doc_id: str
    doc_title: str
    section: str
    text: str
    start: int  # offsets of `text` in the cleaned document
    end: int
    chunk_id: str | None = None
    highlight: tuple[int, int] | None = None


@dataclass(frozen=True)
class Query:
    """A question as understood: the slots a follow-up can inherit."""

    text: str  # the question as asked (normalised)
    district: str | None = None  # 普陀区, 上海市, …
    year: int | None = None
    qualifier: str | None = None  # 新增, 改建, 累计, …
    unit: str | None = None  # the unit the question hints at: 张, 家, 户, 元, % …
    subject: str | None = None  # the thing asked about, e.g. 养老床位
    districts: tuple[str, ...] = ()  # for across-document questions (sum, compare)
    intent: str = "lookup"  # lookup | sum | compare | text
    # A time named without a calendar year: a plan period (十四五) or an unresolved 今年/去年.
    period: str | None = None
    years: tuple[int, ...] = ()  # two or more years named (2021年和2022年, 2021-2023年)
    inherited: tuple[str, ...] = ()
    place: str | None = None  # adcode of `district`
    places: tuple[str, ...] = ()  # adcodes of `districts`
    context: str | None = None  # the earlier question a follow-up without its own subject leans on  # slots a follow-up took from the conversation: "district", …

    def describe(self) -> str:
        """Chinese one-liner for “理解为：…”."""
        parts = []
        if self.districts:
            parts.append("、".join(self.districts))
        elif self.district:
            parts.append(self.district)
        elif self.intent == "compare":
            parts.append("各区")
        if self.years:
            parts.append("、".join(f"{y}年" for y in self.years))
        elif self.year:
            parts.append(f"{self.year}年")
        if self.period:
            parts.append(f"“{self.period}”期间" if self.period.startswith("十") else self.period)
        after = self.qualifier in ("总数", "不低于", "不超过", "达到")  # 床位总数, not 总数床位
        if self.qualifier and self.subject and not after and not self.subject.startswith(self.qualifier):
            parts.append(self.qualifier)
        if self.subject:
            parts.append(self.subject)
            if after and self.qualifier not in self.subject:
                parts.append(self.qualifier)
        if not parts:
            return self.text
        return "".join(parts) + {"sum": "（合计）", "compare": "（比较）"}.get(self.intent, "")


@dataclass(frozen=True)
class Candidate:
    """A figure the offline engine found for a question, with its cited sentence: what an LLM may choose."""

    fact: Fact
    citation: Citation


@dataclass(frozen=True)
class Answer:
    """What `ask` returns: the reply, its figure, its sources, or why nothing was found."""

    question: str
    text: str
    value: float | None = None
    unit: str | None = None
    as_written: str | None = None
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    reason: str | None = None
    understood_as: str | None = None
    query: Query | None = None
    backend: str = "offline"
    notes: tuple[str, ...] = ()
    latency_ms: float | None = None
    # The offline engine's ranked figures for a lookup (its choice first); an LLM may pick another.
    candidates: tuple[Candidate, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["citations"] = [asdict(c) for c in self.citations]
        del d["candidates"]  # internal to answering and generation; the chosen one is in citations
        return d


@dataclass(frozen=True)
class Status:
    """A progress line a stream shows while the answer is being made (never part of the answer)."""

    text: str


@dataclass(frozen=True)
class Turn:
    """One exchange of a conversation: what was asked and how it was understood."""

    question: str
    query: Query | None = None
    answer_text: str | None = None


@dataclass(frozen=True)
class DocumentInfo:
    """A document of the knowledge base as the UI lists it."""

    doc_id: str
    source: str
    meta: DocMeta
    chunks: int
    facts: int


@dataclass
class BuildReport:
    """What an index build did, for the CLI and the UI."""

    documents: int = 0
    chunks: int = 0
    facts: int = 0
    embedded: int = 0  # chunks whose vectors were computed (the rest came from the cache)
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)  # "file: reason" for files left out
    rebuilt: bool = True
