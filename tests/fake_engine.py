"""A stand-in for `assistant.engine.Engine` for front-end tests: canned answers, no index, no model.

It fakes the boundary the front ends talk to (ask / ask_stream / search / documents / rebuild);
the front ends themselves run for real against it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from assistant.core.errors import BadQuestion
from assistant.core.settings import Settings
from assistant.core.types import (
    Answer,
    BuildReport,
    Chunk,
    Citation,
    DocMeta,
    DocumentInfo,
    Hit,
    Query,
    Status,
    Turn,
)

PUTUO_TEXT = (
    "二是推动“普惠共享”多元养老新发展。民心工程和为民办实事加速升级，计划新增200张养老床位、"
    "2家智慧养老院、2家“互联网医院+养老院”，改进建认知障碍照护床位140张。"
)
PUTUO_CHUNK = Chunk(
    chunk_id="c-putuo-1",
    doc_id="d-putuo",
    doc_title="普陀区民政局2024年工作要点",
    source="2024-putuo-work-plan.txt",
    section=("二、建设高品质普惠养老格局", "二是推动“普惠共享”多元养老新发展"),
    text=PUTUO_TEXT,
    start=1000,
    end=1000 + len(PUTUO_TEXT),
    district="普陀区",
    years=(2024,),
    doc_type="工作要点",
)


class FakeEngine:
    """Answers 200张 for anything mentioning 养老床位, refuses the rest."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.asked: list[tuple[str, list]] = []

    def search(self, text: str, k: int | None = None) -> list[Hit]:
        return [Hit(chunk=PUTUO_CHUNK, score=0.9, dense_score=0.8, keyword_score=12.5, rank=1)][: k or 5]

    def ask(self, question: str, history: Sequence[Turn | str] = ()) -> Answer:
        answer = None
        for item in self.ask_stream(question, history):
            if isinstance(item, Answer):
                answer = item
        return answer

    def ask_stream(self, question: str, history: Sequence[Turn | str] = ()) -> Iterator[str | Answer]:
        if not question.strip():
            raise BadQuestion("问题是空的：请输入一个问题，例如“普陀2024年新增多少养老床位？”")
        self.asked.append((question, list(history)))
        if "养老床位" in question or (history and "呢" in question):
            pos = PUTUO_TEXT.index("200张")
            cit = Citation(
                doc_id=PUTUO_CHUNK.doc_id,
                doc_title=PUTUO_CHUNK.doc_title,
                section=PUTUO_CHUNK.section_str,
                text=PUTUO_TEXT,
                start=PUTUO_CHUNK.start,
                end=PUTUO_CHUNK.end,
                chunk_id=PUTUO_CHUNK.chunk_id,
                highlight=(pos, pos + 4),
            )
            text = "根据《普陀区民政局2024年工作要点》，普陀区2024年计划新增养老床位200张。"
            if "大模型" in question:  # as with an LLM endpoint: a status line before any text
                yield Status("正在请大模型组织回答……")
            yield text[:10]
            yield text[10:]
            yield Answer(
                question=question,
                text=text,
                value=200.0,
                unit="张",
                as_written="200张",
                citations=(cit,),
                understood_as="普陀区2024年新增养老床位",
                query=Query(text=question, district="普陀区", year=2024, qualifier="新增", unit="张",
                            subject="养老床位"),
                latency_ms=3.0,
                # "…大模型…": the answer an unreachable LLM left to the offline engine, with its note
                notes=("大模型服务 http://llm.example/v1 在20秒内没有给出完整回答，已给出离线答案",)
                if "大模型" in question else (),
            )
            return
        text = "文件中没有找到这个问题的答案。"
        yield text
        yield Answer(question=question, text=text, refused=True, reason="no_match", latency_ms=2.0)

    def documents(self) -> list[DocumentInfo]:
        meta = DocMeta(title=PUTUO_CHUNK.doc_title, issuer="上海市普陀区民政局", doc_number="普民〔2024〕4号",
                       district="普陀区", years=(2024,), doc_type="工作要点")
        return [DocumentInfo(doc_id="d-putuo", source=PUTUO_CHUNK.source, meta=meta, chunks=30, facts=80)]

    def rebuild(self, progress: Callable[[float, str], None] | None = None) -> BuildReport:
        if progress:
            progress(1.0, "done")
        return BuildReport(documents=1, chunks=30, facts=80, embedded=0, seconds=0.01, rebuilt=False)
