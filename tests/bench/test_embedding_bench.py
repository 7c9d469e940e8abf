"""Embedder figures, torch beside ONNX fp32 and int8 in one run (printed, never asserted on time).

Interleaved rounds (torch, onnx, onnx-int8, torch, ...) so a change in the machine's load hits every
runtime alike; the load average is printed with each figure. Query latency: one question at a time,
as a server embeds them. Passage throughput: the 195 shipped chunks as an index build embeds them
(the runtime's own batching; ONNX splits a batch over the cores, torch uses every core).

Run with `make bench` (or `pytest tests/bench/test_embedding_bench.py -s -p no:cacheprovider -o addopts=""`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
RUNTIMES = ("torch", "onnx", "onnx-int8")
ROUNDS = 3
MARK = "BENCH_JSON "


def load_avg() -> str:
    return "load {:.2f}/{:.2f}/{:.2f}".format(*os.getloadavg())


def pcts(ms: list[float]) -> str:
    a = np.asarray(ms)
    return f"p50 {np.percentile(a, 50):6.1f} ms  p95 {np.percentile(a, 95):6.1f} ms  (n={len(a)})"


def _passages() -> list[str]:
    from assistant.core.settings import Settings
    from assistant.index.store import CHUNK_CHARS, passage_text
    from assistant.ingest.loading import load_corpus
    from assistant.ingest.sectioning import chunk_document

    docs, _ = load_corpus(Settings())
    return [passage_text(c) for d in docs for c in chunk_document(d, max_chars=CHUNK_CHARS)]


def _questions(n: int) -> list[str]:
    lines = (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()][:n]


def _cold_load(runtime: str) -> dict:
    """Child-process body: import and load one runtime, embed one question; seconds and memory."""
    t0 = time.perf_counter()
    from assistant.core.settings import Settings
    from assistant.index.embedding import get_embedder

    emb = get_embedder(Settings(embed_runtime=runtime))
    emb.load()
    emb.embed(["普陀2024年新增多少养老床位？"], "query")
    seconds = time.perf_counter() - t0
    status = Path("/proc/self/status").read_text()
    rss, peak = (int(re.search(rf"{k}:\s+(\d+)", status).group(1)) / 1024 for k in ("VmRSS", "VmHWM"))
    return {"seconds": seconds, "rss_mb": rss, "peak_mb": peak,
            "torch": "torch" in sys.modules, "transformers": "transformers" in sys.modules}


def test_torch_beside_onnx(tmp_path):
    from assistant.core.settings import Settings
    from assistant.index.embedding import all_cores, get_embedder
    from assistant.index.onnx_export import MODEL_FILES, ONNX_FOLDER, SPLIT_FILES

    settings = Settings()
    embedders = {r: get_embedder(settings.model_copy(update={"embed_runtime": r})) for r in RUNTIMES}
    for emb in embedders.values():
        emb.load()  # exports once into the model cache when not there yet
    passages, questions = _passages(), _questions(60)
    for emb in embedders.values():  # warm-up: first-call costs, kernels, allocations
        emb.embed(questions[:5], "query")
        emb.embed(passages[:8], "passage")

    lat: dict[str, list[float]] = {r: [] for r in RUNTIMES}
    tput: dict[str, list[float]] = {r: [] for r in RUNTIMES}
    vectors: dict[str, np.ndarray] = {}
    before = load_avg()
    for _ in range(ROUNDS):
        for r, emb in embedders.items():
            for q in questions:
                t0 = time.perf_counter()
                emb.embed([q], "query")
                lat[r].append((time.perf_counter() - t0) * 1000)
            with all_cores():  # as a build runs: torch on every core (ONNX splits batches over them)
                t0 = time.perf_counter()
                vectors[r] = emb.embed(passages, "passage")
            tput[r].append(len(passages) / (time.perf_counter() - t0))
    after = load_avg()

    cold = {r: json.loads(next(ln for ln in subprocess.run(
        [sys.executable, __file__, r], cwd=ROOT, capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)}
    ).stdout.splitlines() if ln.startswith(MARK))[len(MARK):]) for r in RUNTIMES}
    cache = settings.model_cache_dir
    size = {"torch": (cache / "e5-small-st" / "model.safetensors").stat().st_size,
            "onnx": (cache / ONNX_FOLDER / SPLIT_FILES[0]).stat().st_size,  # the word table is read by row
            "onnx-int8": (cache / ONNX_FOLDER / MODEL_FILES[True]).stat().st_size}
    table_mb = (cache / ONNX_FOLDER / SPLIT_FILES[1]).stat().st_size / 2**20

    base_q = np.median(lat["torch"])
    base_p = np.median(tput["torch"])
    print(f"\n[embedding bench] e5-small, {os.cpu_count()} cores, {ROUNDS} interleaved rounds ({before} → {after})")
    print(f"  {len(questions)} questions one at a time, {len(passages)} shipped passages as one build batch")
    for r in RUNTIMES:
        cos = (vectors[r] * vectors["torch"]).sum(axis=1)
        c = cold[r]
        print(f"  {r:<9} query {pcts(lat[r])} ({base_q / np.median(lat[r]):4.2f}x torch);  "
              f"passages {np.median(tput[r]):5.1f}/s ({np.median(tput[r]) / base_p:4.2f}x torch; rounds "
              f"{', '.join(f'{t:.1f}' for t in tput[r])})")
        table = f" + {table_mb:.0f} MB word table read by row" if r == "onnx" else ""
        print(f"            cosine to torch min {cos.min():.5f} mean {cos.mean():.5f};  model {size[r] / 2**20:.0f} MB{table};"
              f"  fresh process import+load+1 query {c['seconds']:.1f} s, RSS {c['rss_mb']:.0f} MB (peak "
              f"{c['peak_mb']:.0f}); torch imported: {c['torch']}, transformers: {c['transformers']}")


if __name__ == "__main__":
    print(MARK + json.dumps(_cold_load(sys.argv[1])))
