"""`indexing.write_index`: an index written from chunks and precomputed vectors loads and searches."""

from __future__ import annotations

import numpy as np

from assistant.answer.retrieval import search
from assistant.core.settings import Settings
from assistant.core.types import Chunk, DocMeta, Document
from assistant.index.store import load_index, write_index
from tests.fakes import CharHashEmbedder

TEXTS = ("普陀区计划新增200张养老床位。", "宝山区新增760张养老床位。", "长宁区新建社区长者食堂5家。")


def _corpus() -> tuple[list[Document], list[Chunk]]:
    text = "\n".join(TEXTS)
    meta = DocMeta(title="合成文档", district="普陀区", years=(2024,))
    doc = Document(doc_id="d1", source="d1.txt", meta=meta, text=text)
    chunks, pos = [], 0
    for i, t in enumerate(TEXTS):
        chunks.append(Chunk(chunk_id=f"c{i}", doc_id="d1", doc_title=meta.title, source="d1.txt", section=("一、养老",),
                            text=t, start=pos, end=pos + len(t), district="普陀区", years=(2024,), doc_type=None))
        pos += len(t) + 1
    return [doc], chunks


def test_written_index_loads_with_the_given_vectors(tmp_path):
    embedder = CharHashEmbedder(dim=16)
    docs, chunks = _corpus()
    vectors = np.eye(16, dtype=np.float32)[[3, 7, 11]]  # chunk i points along axis 3, 7, 11
    seen = []
    write_index(tmp_path / "index", docs, chunks, [], vectors, embedder, "fp", progress=lambda f, m: seen.append(f))

    index = load_index(Settings(index_dir=tmp_path / "index"), embedder)
    assert [c.chunk_id for c in index.chunks] == ["c0", "c1", "c2"]
    assert index.documents["d1"].text[chunks[1].start:chunks[1].end] == TEXTS[1]
    assert index.manifest["fingerprint"] == "fp" and index.manifest["chunks"] == 3
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)

    class AlongAxis7(CharHashEmbedder):
        def embed(self, texts, kind):
            return np.eye(16, dtype=np.float32)[[7] * len(texts)]

    hits = search(index, AlongAxis7(dim=16), "宝山区新增760张养老床位", k=3)
    assert hits[0].chunk.chunk_id == "c1"
    assert hits[0].dense_score == 1.0 and hits[0].keyword_score is not None


def test_loaded_chunks_and_facts_equal_the_written_ones_and_share_their_repeated_values(tmp_path):
    from assistant.core.types import Fact

    embedder = CharHashEmbedder(dim=16)
    docs, chunks = _corpus()
    facts = [Fact(fact_id=f"f{i}", chunk_id="c0", doc_id="d1", value=200.0, unit="张", as_written="200张",
                  qualifier="新增", subject="养老床位", district="普陀区", year=2024, start=6, end=10,
                  sentence_start=0, sentence_end=15, qualifiers=("计划", "新增")) for i in range(2)]
    write_index(tmp_path / "index", docs, chunks, facts, np.eye(16, dtype=np.float32)[:3], embedder, "fp")

    index = load_index(Settings(index_dir=tmp_path / "index"), embedder)
    assert index.chunks == chunks and index.facts == facts  # tuples stay tuples, None stays None
    first, second = index.chunks[0], index.chunks[1]
    assert first.doc_title is second.doc_title and first.section is second.section and first.years is second.years
    assert index.facts[0].qualifiers is index.facts[1].qualifiers and index.facts[0].unit is index.facts[1].unit
