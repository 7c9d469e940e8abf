"""Server figures per embedder runtime, torch beside ONNX in one run (printed, never asserted on time).

For each runtime (torch, onnx, onnx-int8): (a) the shipped corpus indexed from scratch by a fresh
`assistant index` process (wall seconds, passages/s from its progress lines); (b) `python app.py`
started on that built index: seconds from launch to the first answer of `POST /api/ask`, and the
start-up phases it prints; (c) one client asking the 251 gold questions in turn; (d) 20 clients
asking without pause for 60 s (`load_ask.py`). The query cache is off (ASSISTANT_QUERY_CACHE_SIZE=0) so
every request embeds its question, as without it; (e) one more 20-client run on the default runtime
with the cache on, as deployed. uvicorn runs as app.py runs it: one process, FastAPI's thread pool
(40 threads) for the endpoints.

Run with `make bench` (or `pytest tests/bench/test_serve_bench.py -s -p no:cacheprovider -o addopts=""`).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from load_ask import describe, gold_questions, one_client, run_load

ROOT = Path(__file__).resolve().parents[2]
RUNTIMES = ("torch", "onnx", "onnx-int8")
CLIENTS, SECONDS = 20, float(os.environ.get("BENCH_SECONDS", "60"))  # shorter for a smoke run


def load_avg() -> str:
    return "load {:.2f}/{:.2f}/{:.2f}".format(*os.getloadavg())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(runtime: str, index_dir: Path, cache: bool = False) -> dict:
    # The 20 clients all come from 127.0.0.1: the per-client rate limit (which would give them 429s)
    # is off, so this measures capacity; tests/bench/load.py measures through the limit, one address each.
    return {**os.environ, "ASSISTANT_EMBED_RUNTIME": runtime, "ASSISTANT_INDEX_DIR": str(index_dir),
            "ASSISTANT_QUERY_CACHE_SIZE": "512" if cache else "0", "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0",
            "PYTHONPATH": str(ROOT)}


def _build(runtime: str, index_dir: Path) -> tuple[float, str]:
    """A fresh `assistant index` process; its wall seconds and its last progress line with a rate."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "assistant.serve.cli", "index"], cwd=ROOT, env=_env(runtime, index_dir),
                         capture_output=True, text=True, check=True)
    rates = [ln for ln in out.stderr.splitlines() if "段/秒" in ln]
    return time.perf_counter() - t0, rates[-1].strip() if rates else "-"


def _ask(port: int, question: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/api/ask", body=json.dumps({"question": question}).encode(),
                     headers={"Content-Type": "application/json"})
        return conn.getresponse().status
    finally:
        conn.close()


class Server:
    """`python app.py` on a free port; `ready_s` is launch → first answered /api/ask."""

    def __init__(self, runtime: str, index_dir: Path, cache: bool = False):
        self.port = _free_port()
        self.log = index_dir.parent / f"app-{runtime}-{self.port}.log"
        t0 = time.perf_counter()
        with self.log.open("w") as log:
            self.proc = subprocess.Popen([sys.executable, "app.py", "--port", str(self.port)], cwd=ROOT,
                                         env=_env(runtime, index_dir, cache), stdout=log, stderr=subprocess.STDOUT)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app.py exited: {self.log.read_text()[-2000:]}")
            try:
                if _ask(self.port, "普陀2024年新增多少养老床位？") == 200:
                    break
            except OSError:
                time.sleep(0.05)
        self.ready_s = time.perf_counter() - t0
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        self.ready_cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
        self.url = f"http://127.0.0.1:{self.port}"

    def phases(self) -> list[str]:
        return [ln.strip() for ln in self.log.read_text().splitlines() if re.search(r"秒（启动后", ln)]

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def test_serving_figures(tmp_path):
    questions = gold_questions()
    print(f"\n[serve bench] {os.cpu_count()} cores; {len(questions)} gold questions; query cache off unless said")
    default = None
    for runtime in RUNTIMES:
        index_dir = tmp_path / f"index-{runtime}"
        before = load_avg()
        build_s, rate = _build(runtime, index_dir)
        print(f"  {runtime}: (a) index from scratch, fresh process {build_s:5.1f} s; {rate} ({before})")
        server = Server(runtime, index_dir)
        try:
            print(f"      (b) ready to answer {server.ready_s:4.1f} s after launch, {server.ready_cpu_s:4.1f} s of CPU "
                  f"({load_avg()}); phases:")
            for line in server.phases():
                print(f"            {line}")
            one = one_client(server.url, questions)
            print(f"      (c) 1 client:   {describe(one)} ({load_avg()})")
            many = run_load(server.url, questions, CLIENTS, SECONDS)
            print(f"      (d) {CLIENTS} clients: {describe(many)} ({load_avg()}); server RSS {server.rss_mb():.0f} MB")
        finally:
            server.stop()
        if runtime == "onnx":
            default = index_dir
    if default is not None:
        server = Server("onnx", default, cache=True)
        try:
            many = run_load(server.url, questions, CLIENTS, SECONDS)
            print(f"  onnx, query cache on (512): (e) {CLIENTS} clients: {describe(many)} ({load_avg()})")
        finally:
            server.stop()
