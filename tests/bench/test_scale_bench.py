"""Scale figures (printed, never asserted on time): 100,000 synthetic chunks, built, loaded, searched.

The chunks are made from the shipped corpus: its cleaned sentences recombined at random into chunks
of the shipped chunks' lengths, under sections taken from the shipped documents, in 500 synthetic
documents with varied districts and years (named in the titles, the metadata and the text). Their
vectors are RANDOM UNIT VECTORS, not e5-small vectors: embedding 100k passages on this CPU would take
hours. So the dense scores say nothing about relevance here; the figures are about time and memory
of the same code paths: `indexing.write_index` (the FAISS IndexFlatIP through llama-index's
FaissVectorStore, the embedding cache, bm25s over jieba tokens, the JSONL files), `load_index` and
`retrieval.search` (dense + BM25 + rank fusion + metadata weights). Queries are the gold questions,
embedded by the real e5-small on each runtime (torch, ONNX fp32, ONNX int8; one thread a query):
search is timed with and without that query embedding. Real passage vectors for 100k chunks would
take about 1.5 hours of embedding on these 2 cores (≈ 15-25 passages/s), so they are not made here.

Build and serve each run in a fresh process, so their peak resident memory (VmHWM, reset between
phases) is their own; both load the embedder, as `assistant index` and the app do.
Run with `make bench` (or `pytest tests/bench/test_scale_bench.py -s -p no:cacheprovider -o addopts=""`).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
N_CHUNKS = 100_000
N_DOCS = 500
MARK = "BENCH_JSON "
SHANGHAI = ("黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区", "宝山区", "嘉定区",
            "浦东新区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区")
YEARS = (2020, 2021, 2022, 2023, 2024, 2025)
DOC_TYPES = ("工作要点", "中期评估", "工作总结", "实施方案")
_SENTENCE = re.compile(r"[^。！？；\n]+[。！？；]?")
_PLACE = re.compile("|".join(sorted({*SHANGHAI, *(d[:-1] for d in SHANGHAI if d.endswith("区"))}, key=len,
                                    reverse=True)))
_YEAR = re.compile(r"20[12]\d年")


def load_avg() -> str:
    return "load {:.2f}/{:.2f}/{:.2f}".format(*os.getloadavg())


def _rss_mb() -> tuple[float, float]:
    """(current, peak since the last reset) resident memory in MB, from /proc (ru_maxrss as fallback)."""
    try:
        status = Path("/proc/self/status").read_text()
        cur = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
        peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
        return cur, peak
    except (OSError, AttributeError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return peak, peak


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux clear_refs 5); False when not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def synthetic_corpus(n_chunks: int, n_docs: int, seed: int = 7):
    """Documents and chunks recombined from the shipped corpus' sentences and sections (deterministic)."""
    from assistant.core.settings import Settings
    from assistant.core.types import Chunk, DocMeta, Document
    from assistant.index.store import CHUNK_CHARS
    from assistant.ingest.loading import load_corpus
    from assistant.ingest.sectioning import chunk_document

    rng = random.Random(seed)
    docs, _ = load_corpus(Settings())
    real = [c for d in docs for c in chunk_document(d, max_chars=CHUNK_CHARS)]
    lengths = [len(c.text) for c in real]
    sections = [c.section for c in real if c.section] or [()]
    sentences = [s for d in docs for s in _SENTENCE.findall(d.text) if len(s) >= 6]

    out_docs: list[Document] = []
    out_chunks: list[Chunk] = []
    per_doc = n_chunks // n_docs
    for d in range(n_docs):
        district, year, doc_type = rng.choice(SHANGHAI), rng.choice(YEARS), rng.choice(DOC_TYPES)
        short = district[:-1] if district.endswith("区") else district
        title = f"{year}年{short}民政{doc_type}（合成{d:03d}）"
        texts = []
        for _ in range(per_doc + (1 if d < n_chunks % n_docs else 0)):
            target, parts, size = rng.choice(lengths), [], 0
            while size < target:
                s = _YEAR.sub(f"{rng.choice((year, year, year - 1, year + 1))}年",
                              _PLACE.sub(district if rng.random() < 0.8 else rng.choice(SHANGHAI), rng.choice(sentences)))
                parts.append(s)
                size += len(s)
            texts.append("".join(parts))
        text = "\n".join(texts)
        doc_id = hashlib.sha256(text.encode()).hexdigest()[:16]
        meta = DocMeta(title=title, issuer=f"上海市{district}民政局", district=district, years=(year,),
                       doc_type=doc_type, date=f"{year}-03-01")
        out_docs.append(Document(doc_id=doc_id, source=f"synthetic-{d:03d}.txt", meta=meta, text=text))
        pos = 0
        for t in texts:
            cid = hashlib.sha256(f"{doc_id}/{pos}/{t}".encode()).hexdigest()[:16]
            out_chunks.append(Chunk(chunk_id=cid, doc_id=doc_id, doc_title=title, source=f"synthetic-{d:03d}.txt",
                                    section=rng.choice(sections), text=t, start=pos, end=pos + len(t),
                                    district=district, years=(year,), doc_type=doc_type))
            pos += len(t) + 1
    return out_docs, out_chunks


def random_unit_vectors(n: int, dim: int, seed: int = 7) -> np.ndarray:
    """n random directions in `dim` dimensions, float32, unit length."""
    v = np.random.default_rng(seed).standard_normal((n, dim), dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


class PrecomputedQueries:
    """The real embedder's name and dimension, answering from query vectors computed beforehand."""

    def __init__(self, embedder, vectors: dict[str, np.ndarray]):
        self.name, self.dim, self._vectors = embedder.name, embedder.dim, vectors

    def embed(self, texts: Sequence[str], kind: str) -> np.ndarray:
        return np.stack([self._vectors[t] for t in texts])


def _percentiles(ms: list[float]) -> dict:
    a = np.asarray(ms)
    return {"p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)), "max": float(a.max()),
            "n": len(ms)}


class NamedAs:
    """An embedder answering to another's name: the int8 model serving an index of random vectors."""

    def __init__(self, embedder, name: str):
        self.inner, self.name, self.dim = embedder, name, embedder.dim

    def embed(self, texts: Sequence[str], kind: str) -> np.ndarray:
        return self.inner.embed(texts, kind)


def _embedder(out: dict, runtime: str = "onnx"):
    """The real e5-small on `runtime`, loaded (1 thread a query); load time and RSS recorded in `out`."""
    t0 = time.perf_counter()
    from assistant.core.settings import Settings
    from assistant.index.embedding import get_embedder

    embedder = get_embedder(Settings(embed_runtime=runtime))
    embedder.load()
    out["load_embedder_s"] = time.perf_counter() - t0
    out["rss_embedder_mb"] = _rss_mb()[0]
    return embedder


def build(folder: Path, n_chunks: int) -> dict:
    """Child-process body: synthesise and write the index, as `assistant index` would with its embedder loaded."""
    from assistant.index.store import write_index

    out: dict = {"chunks": n_chunks, "docs": N_DOCS}
    embedder = _embedder(out, "onnx")
    t0 = time.perf_counter()
    docs, chunks = synthetic_corpus(n_chunks, N_DOCS)
    vectors = random_unit_vectors(len(chunks), embedder.dim)
    out["synthesise_s"] = time.perf_counter() - t0
    out["chars"] = sum(len(c.text) for c in chunks)
    out["rss_synth_mb"] = _rss_mb()[0]
    out["reset_peak"] = _reset_peak()
    out["load_before"] = load_avg()
    phases: list[tuple[str, float, float]] = []  # (message, time, peak RSS of the phase that ended)

    def mark(frac: float, msg: str) -> None:
        phases.append((msg, time.perf_counter(), _rss_mb()[1]))
        _reset_peak()

    t0 = time.perf_counter()
    write_index(folder, docs, chunks, [], vectors, embedder, "synthetic", progress=mark)
    out["build_s"] = time.perf_counter() - t0
    out["phases"] = [{"phase": phases[i][0], "s": phases[i + 1][1] - phases[i][1], "peak_mb": phases[i + 1][2]}
                     for i in range(len(phases) - 1)]
    out["rss_build_peak_mb"] = max(p["peak_mb"] for p in out["phases"])
    out["disk_mb"] = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20
    out["load_after"] = load_avg()
    return out


def serve(folder: Path, runtime: str) -> dict:
    """Child-process body: load the index as the app does and search with the gold questions."""
    from assistant.answer.retrieval import search
    from assistant.core.settings import Settings
    from assistant.index.embedding import e5_name
    from assistant.index.store import load_index

    out: dict = {"runtime": runtime}
    embedder = _embedder(out, runtime)
    if embedder.name != e5_name():  # int8: the random vectors are no more its space than fp32's
        embedder = NamedAs(embedder, e5_name())
    t0 = time.perf_counter()
    index = load_index(Settings(index_dir=folder), embedder)
    out["load_index_s"] = time.perf_counter() - t0
    out["rss_loaded_mb"] = _rss_mb()[0]
    questions = [json.loads(line)["question"] for line in
                 (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    for q in questions[:5]:
        search(index, embedder, q)  # warm-up
    out["load_before"] = load_avg()
    with_embed, qvecs = [], {}
    for q in questions:
        t0 = time.perf_counter()
        search(index, embedder, q)
        with_embed.append((time.perf_counter() - t0) * 1000)
    embed_ms = []
    for q in questions:
        t0 = time.perf_counter()
        qvecs[q] = embedder.embed([q], "query")[0]
        embed_ms.append((time.perf_counter() - t0) * 1000)
    pre = PrecomputedQueries(embedder, qvecs)
    without = []
    for q in questions:
        t0 = time.perf_counter()
        search(index, pre, q)
        without.append((time.perf_counter() - t0) * 1000)
    out["load_after"] = load_avg()
    out["search_with_embed"] = _percentiles(with_embed)
    out["query_embed"] = _percentiles(embed_ms)
    out["search_without_embed"] = _percentiles(without)
    out["rss_serve_mb"], out["rss_serve_peak_mb"] = _rss_mb()
    return out


def _child(*args: str) -> tuple[dict, float]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # this checkout's code
    wall = time.perf_counter() - t0
    return json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith(MARK))[len(MARK):]), wall


def test_scale_figures(tmp_path):
    folder = tmp_path / "index"
    b, b_wall = _child("build", str(folder), str(N_CHUNKS))
    served = [_child("serve", str(folder), runtime) for runtime in ("torch", "onnx", "onnx-int8")]

    def p(d: dict) -> str:
        return f"p50 {d['p50']:6.1f} ms  p95 {d['p95']:6.1f} ms  max {d['max']:6.1f} ms  (n={d['n']})"

    print(f"\n[scale bench] {b['chunks']:,} synthetic chunks ({b['chars'] / 1e6:.1f}M chars) in {b['docs']} documents; "
          "RANDOM unit vectors (384-d), real e5-small query vectors (1 thread a query)")
    print(f"  build process ({b_wall:.0f} s wall): load embedder {b['load_embedder_s']:.1f} s "
          f"(RSS {b['rss_embedder_mb']:.0f} MB), synthesise {b['synthesise_s']:.1f} s (RSS {b['rss_synth_mb']:.0f} MB)")
    print(f"    write_index {b['build_s']:.1f} s, {b['disk_mb']:.0f} MB on disk ({b['load_before']} → {b['load_after']}):")
    for ph in b["phases"]:
        print(f"      {ph['phase']:<10} {ph['s']:6.1f} s   peak RSS {ph['peak_mb']:6.0f} MB")
    print(f"    build peak RSS {b['rss_build_peak_mb']:.0f} MB"
          f"{'' if b['reset_peak'] else ' (per-phase peaks NOT reset: all are the process peak)'}")
    for s, s_wall in served:
        _print_serve(s, s_wall, p)


def _print_serve(s: dict, s_wall: float, p) -> None:
    print(f"  serve process, {s['runtime']} ({s_wall:.0f} s wall): load embedder {s['load_embedder_s']:.1f} s "
          f"(RSS {s['rss_embedder_mb']:.0f} MB), load_index {s['load_index_s']:.1f} s (RSS {s['rss_loaded_mb']:.0f} MB); "
          f"after searching RSS {s['rss_serve_mb']:.0f} MB, peak {s['rss_serve_peak_mb']:.0f} MB")
    print(f"    search incl. query embedding  {p(s['search_with_embed'])}  ({s['load_before']})")
    print(f"    query embedding alone         {p(s['query_embed'])}")
    print(f"    search excl. query embedding  {p(s['search_without_embed'])}  ({s['load_after']})")


if __name__ == "__main__":
    result = build(Path(sys.argv[2]), int(sys.argv[3])) if sys.argv[1] == "build" else serve(Path(sys.argv[2]), sys.argv[3])
    print(MARK + json.dumps(result))
