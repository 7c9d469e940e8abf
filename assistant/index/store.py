"""Build and load the index on disk: chunks, facts, FAISS vectors, BM25, and a manifest.

Layout of `settings.index_dir` (plain files, no pickles):
    manifest.json     format version, embedder id and dimension, corpus fingerprint, counts
    documents.jsonl   one cleaned document a line (the text citations quote)
    chunks.jsonl      one chunk a line, in FAISS order
    facts.jsonl       one extracted figure a line
    facts.npy         the vector of each figure's own words (row i is fact i), for the answer model
    vectors.faiss     the chunk vectors (llama-index FaissVectorStore, inner product)
    embcache.npy/.json  passage vectors by content hash, reused by the next build
    bm25/             the keyword index (bm25s files)
A build writes a sibling temp folder and swaps it in at the end, so a build that dies halfway
leaves the previous index usable; the passage vectors it had computed wait in a journal beside the
index (see `passages`) and are not computed again. One build at a time per index folder.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import logging
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from assistant.core.errors import CorpusError, IndexMismatch, IndexNotBuilt
from assistant.core.settings import Settings
from assistant.core.types import BuildReport, Chunk, DocMeta, Document, DocumentInfo, Fact
from assistant.index.integrity import index_files, integrity_problem
from assistant.index.keywords import KeywordIndex
from assistant.index.passages import drop_journal, embed_passages, write_cache
from assistant.ingest.facts import extract_facts
from assistant.ingest.loading import SUPPORTED, load_corpus
from assistant.ingest.sectioning import chunk_document

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 2: places (adcodes) and per-part years; 3: a vector per figure's own words
CHUNK_CHARS = 450

Progress = Callable[[float, str], None]


# The stages whose code decides what the index holds: a change to any of them makes the index stale.
PIPELINE_MODULES = ("ingest/loading", "text/cleaning", "ingest/sectioning", "text/numbers", "text/time", "text/places",
                    "ingest/facts", "ingest/subjects", "ingest/parts", "ingest/metadata", "text/tables",
                    "index/keywords", "text/lexicon", "answer/features",  # features: a figure's own words
                    "index/store")  # own_texts: what a figure's vector is made of
PIPELINE_DATA = ("data/vocabulary.json", "data/units.txt")


def corpus_fingerprint(settings: Settings) -> str:
    """Hash of every corpus file's bytes and name, the format and the ingest code: cheap, no parsing."""
    h = hashlib.sha256(f"v{FORMAT_VERSION}/{CHUNK_CHARS}".encode())
    here = Path(__file__).resolve().parents[1]
    for name in PIPELINE_MODULES:
        h.update((here / f"{name}.py").read_bytes())
    for name in PIPELINE_DATA:
        h.update((here / name).read_bytes())
    folder = settings.corpus_dir
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file() and (path.suffix.lower() in SUPPORTED or path.name == "manifest.json"):
                h.update(path.name.encode())
                h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:32]


def passage_text(chunk: Chunk) -> str:
    """What the embedder sees for a chunk: where it sits, then what it says."""
    return f"{chunk.doc_title} {chunk.section_str}\n{chunk.text}"


def read_manifest(index_dir: Path) -> dict | None:
    path = index_dir / "manifest.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def index_status(settings: Settings, embedder_name: str) -> str:
    """'ok', 'missing', 'foreign' (other embedder or format), 'damaged' (files do not match the manifest)
    or 'stale' (corpus changed)."""
    return _status(settings, embedder_name, None)


def _status(settings: Settings, embedder_name: str, fingerprint: str | None) -> str:
    manifest = read_manifest(settings.index_dir)
    if manifest is None:
        return "missing"
    if manifest.get("format") != FORMAT_VERSION or manifest.get("embedder") != embedder_name:
        return "foreign"
    problem = integrity_problem(settings.index_dir, manifest)
    if problem:
        log.warning("索引 %s 未通过校验：%s；将重建索引。", settings.index_dir, problem)
        return "damaged"
    if manifest.get("fingerprint") != (fingerprint or corpus_fingerprint(settings)):
        return "stale"
    return "ok"


def ensure_index(settings: Settings, embedder, progress: Progress | None = None) -> BuildReport | None:
    """Build the index when it is missing, stale or made by another embedder; else do nothing."""
    status = index_status(settings, embedder.name)
    if status == "ok":
        return None
    log.info("index is %s: building %s", status, settings.index_dir)
    return build_index(settings, embedder, progress=progress, force=True)  # status known: not checked twice


def build_index(settings: Settings, embedder, progress: Progress | None = None, force: bool = False
                ) -> BuildReport:
    """Load, clean, chunk, extract facts, embed (reusing saved vectors) and write the index."""
    settings.index_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(settings.index_dir.with_name(settings.index_dir.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process (the CLI, a second app) may be building it
        return _build(settings, embedder, progress, force)


def _build(settings: Settings, embedder, progress: Progress | None, force: bool) -> BuildReport:
    t0 = time.perf_counter()
    say = progress or (lambda frac, msg: None)
    fingerprint = corpus_fingerprint(settings)
    if not force and _status(settings, embedder.name, fingerprint) == "ok":
        return BuildReport(rebuilt=False, seconds=time.perf_counter() - t0, **_counts(settings.index_dir))

    say(0.02, "读取文档")
    docs, skipped = load_corpus(settings)
    if not docs:
        raise CorpusError(f"语料目录 {settings.corpus_dir} 中没有可用的文档：请放入 txt/md/docx/pdf/html 文件后重新建索引。")
    say(0.15, f"切分 {len(docs)} 篇文档")
    chunks: list[Chunk] = []
    facts: list[Fact] = []
    for doc in docs:
        doc_chunks = chunk_document(doc, max_chars=CHUNK_CHARS)
        chunks += doc_chunks
        facts += extract_facts(doc, doc_chunks)
    say(0.25, f"向量化 {len(chunks)} 个片段")
    owns = own_texts(docs, facts)
    both, embedded = embed_passages(settings.index_dir, embedder, [passage_text(c) for c in chunks] + owns, say)
    vectors, fact_vectors = both[:len(chunks)], both[len(chunks):]

    say(0.92, "写入索引")
    tmp = settings.index_dir.with_name(settings.index_dir.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        write_index(tmp, docs, chunks, facts, vectors, embedder, fingerprint, skipped,
                    progress=lambda frac, msg: say(0.92 + 0.07 * frac, msg), own_words=(owns, fact_vectors))
        _swap_in(tmp, settings.index_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # a write that failed halfway leaves nothing behind
    drop_journal(settings.index_dir)
    say(1.0, "完成")
    return BuildReport(documents=len(docs), chunks=len(chunks), facts=len(facts), embedded=embedded,
                       seconds=time.perf_counter() - t0, skipped=list(skipped), rebuilt=True)


def own_texts(docs: Sequence[Document], facts: Sequence[Fact]) -> list[str]:
    """Each figure's own words (新增助餐点12个), the text its vector is made of, after the subject it took
    from an earlier sentence when they do not write it (…生产安全事故125起…；死亡103人)."""
    from assistant.answer.features import own_stretch

    text = {d.doc_id: d.text for d in docs}
    out = []
    for f in facts:
        own = own_stretch(text[f.doc_id], f.start, f.end)
        out.append(f"{f.subject}：{own}" if f.subject and f.subject[:2] not in own else own)
    return out


def write_index(folder: Path, docs: Sequence[Document], chunks: Sequence[Chunk], facts: Sequence[Fact],
                vectors: np.ndarray, embedder, fingerprint: str, skipped: Sequence[str] = (),
                progress: Progress | None = None,
                own_words: tuple[Sequence[str], np.ndarray] | None = None) -> None:
    """Write a complete index into a new `folder` from chunks and their vectors (row i is chunk i) and
    the facts' own words with their vectors (row i is fact i; computed here when not given)."""
    say = progress or (lambda frac, msg: None)
    folder.mkdir(parents=True)
    say(0.0, "写入文档与片段")
    _write_jsonl(folder / "documents.jsonl", (_doc_to_dict(d) for d in docs))
    _write_jsonl(folder / "chunks.jsonl", (c.to_dict() for c in chunks))
    _write_jsonl(folder / "facts.jsonl", (f.to_dict() for f in facts))
    say(0.2, "写入向量")
    _write_vectors(folder / "vectors.faiss", chunks, vectors)
    if own_words is None:
        owns = own_texts(docs, facts)
        own_words = owns, (embedder.embed(owns, "passage") if owns else np.zeros((0, vectors.shape[1])))
    owns, fact_vectors = own_words[0], np.asarray(own_words[1], dtype=np.float32).reshape(-1, vectors.shape[1])
    np.save(folder / "facts.npy", fact_vectors, allow_pickle=False)
    write_cache(folder, embedder.name, [passage_text(c) for c in chunks] + list(owns),
                np.concatenate([vectors, fact_vectors]))
    say(0.5, "建立关键词索引")
    KeywordIndex.build([c.doc_title + " " + c.section_str + " " + c.text for c in chunks]).save(folder / "bm25")
    manifest = {
        "format": FORMAT_VERSION,
        "embedder": embedder.name,
        "dim": int(embedder.dim),
        "fingerprint": fingerprint,
        "documents": len(docs),
        "chunks": len(chunks),
        "facts": len(facts),
        "skipped": list(skipped),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "files": index_files(folder),  # size and SHA-256 of every file above, checked at load
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    say(1.0, "索引已写入")


def _counts(index_dir: Path) -> dict:
    m = read_manifest(index_dir) or {}
    return {"documents": m.get("documents", 0), "chunks": m.get("chunks", 0), "facts": m.get("facts", 0),
            "skipped": list(m.get("skipped", []))}


def _write_vectors(path: Path, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
    """Chunks as llama-index nodes with their vectors in a FAISS inner-product store."""
    import faiss  # faiss and llama-index take seconds to import: only when an index is written or read
    from llama_index.core.schema import TextNode
    from llama_index.vector_stores.faiss import FaissVectorStore

    store = FaissVectorStore(faiss_index=faiss.IndexFlatIP(vectors.shape[1]))
    batch = 2000  # nodes hold their vectors as Python floats: add them a batch at a time
    for n in range(0, len(chunks), batch):
        store.add([
            TextNode(id_=c.chunk_id, text=c.text, embedding=vectors[n + i].tolist(),
                     metadata={"doc_title": c.doc_title, "section": c.section_str, "district": c.district})
            for i, c in enumerate(chunks[n : n + batch])
        ])
    store.persist(persist_path=str(path))


def _swap_in(tmp: Path, target: Path) -> None:
    """Replace the index folder by the freshly built one, keeping the old one until the end."""
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _write_jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> Iterator[dict]:
    """The rows one at a time: 100k chunks parsed all at once held 140 MB more at load, for good."""
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


# Fields that repeat across rows (a document's title in each of its chunks): one copy each on load.
SHARED_FIELDS = {Chunk: ("doc_id", "doc_title", "source", "section", "district", "years", "doc_type", "place"),
                 Fact: ("chunk_id", "doc_id", "unit", "qualifier", "subject", "district", "qualifiers", "place")}


def _read_rows(path: Path, cls: type) -> list:
    """`cls.from_dict` of every row, with the values of `SHARED_FIELDS[cls]` held once (about 80 MB of
    100k chunks' 170 MB: every chunk otherwise carries its own copy of its document's strings)."""
    fields, seen = SHARED_FIELDS[cls], {}
    out = []
    for d in _read_jsonl(path):
        for k in fields:
            if (v := d.get(k)) is not None:
                v = tuple(v) if isinstance(v, list) else v  # from_dict's tuple() keeps a tuple as it is
                d[k] = seen.setdefault(v, v)
        out.append(cls.from_dict(d))
    return out


def _doc_to_dict(doc: Document) -> dict:
    return {"doc_id": doc.doc_id, "source": doc.source, "meta": dataclasses.asdict(doc.meta), "text": doc.text}


def _doc_from_dict(d: dict) -> Document:
    meta = DocMeta(**{**d["meta"], "years": tuple(d["meta"].get("years") or ())})
    return Document(doc_id=d["doc_id"], source=d["source"], meta=meta, text=d["text"])


class LoadedIndex:
    """Everything retrieval and answering need, in memory."""

    def __init__(self, manifest: dict, documents: list[Document], chunks: list[Chunk], facts: list[Fact],
                 vector_store, keyword_index: KeywordIndex, fact_vectors: np.ndarray | None = None):
        self.manifest = manifest
        self.documents = {d.doc_id: d for d in documents}
        self.chunks = chunks
        self.facts = facts
        self.fact_vectors = fact_vectors  # row i: the vector of fact i's own words; None in hand-made indexes
        self.fact_row = {f.fact_id: i for i, f in enumerate(facts)}
        self.vector_store = vector_store
        self.keyword_index = keyword_index
        self.position = {c.chunk_id: i for i, c in enumerate(chunks)}

    def chunk(self, chunk_id: str) -> Chunk:
        return self.chunks[self.position[chunk_id]]

    def districts(self) -> dict[str, set[int]]:
        """District -> the years its documents speak of."""
        out: dict[str, set[int]] = defaultdict(set)
        for d in self.documents.values():
            if d.meta.district:
                out[d.meta.district].update(d.meta.years)
        return dict(out)

    def places(self) -> dict[str | None, set[int]]:
        """Place adcode (None for documents of no known place) -> the years its documents speak of."""
        out: dict[str | None, set[int]] = defaultdict(set)
        for d in self.documents.values():
            out[d.meta.place].update(d.meta.years)
        return dict(out)

    def document_infos(self) -> list[DocumentInfo]:
        """Every document with its metadata and chunk/fact counts, as the knowledge-base tab lists them."""
        n_chunks: dict[str, int] = defaultdict(int)
        n_facts: dict[str, int] = defaultdict(int)
        for c in self.chunks:
            n_chunks[c.doc_id] += 1
        for f in self.facts:
            n_facts[f.doc_id] += 1
        return [DocumentInfo(doc_id=d.doc_id, source=d.source, meta=d.meta, chunks=n_chunks[d.doc_id],
                             facts=n_facts[d.doc_id]) for d in self.documents.values()]


class FaissVectors:
    """The chunk vectors as read back from the file llama-index's FaissVectorStore wrote, searched with
    FAISS directly: serving imports no llama-index (two seconds of every start) and converts no lists."""

    def __init__(self, faiss_index):
        self.client = faiss_index

    @classmethod
    def read(cls, path: Path) -> FaissVectors:
        import faiss

        return cls(faiss.read_index(str(path)))

    def search(self, vector: np.ndarray, k: int) -> tuple[list[int], list[float]]:
        """Positions of the k nearest chunks (inner product), best first, and their scores."""
        scores, ids = self.client.search(np.asarray(vector, dtype=np.float32).reshape(1, -1), k)
        kept = [(int(i), float(v)) for i, v in zip(ids[0], scores[0], strict=True) if i >= 0]
        return [i for i, _ in kept], [v for _, v in kept]


def load_index(settings: Settings, embedder) -> LoadedIndex:
    """Read the index from disk; refuse one built with another embedder or format."""

    folder = settings.index_dir
    manifest = read_manifest(folder)
    if manifest is None:
        raise IndexNotBuilt(f"索引目录 {folder} 中没有索引：请先运行 `assistant index` 建立索引。")
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexMismatch(f"索引 {folder} 的格式版本为 {manifest.get('format')}，当前程序需要 {FORMAT_VERSION}："
                            "请运行 `assistant index` 重建索引。")
    if manifest.get("embedder") != embedder.name or manifest.get("dim") != embedder.dim:
        raise IndexMismatch(f"索引 {folder} 是用向量模型 {manifest.get('embedder')} 建立的，当前设置为 {embedder.name}："
                            "请运行 `assistant index` 重建索引，或改回原来的向量模型。")
    problem = integrity_problem(folder, manifest)
    if problem:
        raise IndexNotBuilt(f"索引目录 {folder} 未通过校验：{problem}。请运行 `assistant index --force` 重建索引"
                            "（启动服务时会自动重建）。")
    try:
        documents = [_doc_from_dict(d) for d in _read_jsonl(folder / "documents.jsonl")]
        chunks = _read_rows(folder / "chunks.jsonl", Chunk)
        facts = _read_rows(folder / "facts.jsonl", Fact)
        if not (folder / "vectors.faiss").is_file():
            raise FileNotFoundError(folder / "vectors.faiss")
        store = FaissVectors.read(folder / "vectors.faiss")
        keyword_index = KeywordIndex.load(folder / "bm25", len(chunks))
        fact_vectors = np.load(folder / "facts.npy", allow_pickle=False)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:  # a file missing or cut short
        raise IndexNotBuilt(f"索引目录 {folder} 不完整或已损坏（{type(e).__name__}: {e}）："
                            "请运行 `assistant index --force` 重建索引。") from e
    if store.client.ntotal != len(chunks):
        raise IndexNotBuilt(f"索引目录 {folder} 中向量数（{store.client.ntotal}）与片段数（{len(chunks)}）不一致："
                            "请运行 `assistant index --force` 重建索引。")
    if fact_vectors.shape[0] != len(facts):
        raise IndexNotBuilt(f"索引目录 {folder} 中数字向量数（{fact_vectors.shape[0]}）与数字数（{len(facts)}）不一致："
                            "请运行 `assistant index --force` 重建索引。")
    return LoadedIndex(manifest, documents, chunks, facts, store, keyword_index, fact_vectors)
