"""Concurrent clients against a running server, through the whole security edge; prints figures.

    python -m tests.bench.load --start --clients 20 --seconds 60          # starts `python app.py` itself
    python -m tests.bench.load --url http://127.0.0.1:7860 --clients 20   # a server already running

Each client is one thread with its own connection and its own address (X-Forwarded-For, the server
trusting 127.0.0.1 as its proxy, so every client has its own rate bucket); it asks the gold
questions in turn: 70% /api/ask, 20% /api/search, 10% /v1/chat/completions, with `--think`
seconds between requests as a person would. Any status other than 200, or a failed connection,
is an error; 429s are counted apart. Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
KINDS = ["ask"] * 7 + ["search"] * 2 + ["v1"]


def questions() -> list[str]:
    lines = (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def client_loop(url: str, n: int, stop: float, think: float, qs: list[str], out: list, lock: threading.Lock) -> None:
    headers = {"X-Forwarded-For": f"10.9.{n // 250}.{n % 250 + 1}"}
    with httpx.Client(base_url=url, timeout=60, headers=headers) as c:
        i = n
        while time.monotonic() < stop:
            q = qs[i % len(qs)]
            kind = KINDS[i % len(KINDS)]
            t0 = time.perf_counter()
            try:
                if kind == "ask":
                    r = c.post("/api/ask", json={"question": q})
                elif kind == "search":
                    r = c.post("/api/search", json={"question": q})
                else:
                    r = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": q}]})
                status = r.status_code
            except httpx.HTTPError as e:
                status = type(e).__name__
            with lock:
                out.append((kind, status, (time.perf_counter() - t0) * 1000))
            i += 1
            if think:
                time.sleep(think)


def run(url: str, clients: int, seconds: float, think: float) -> dict:
    """Run the clients; the figures as a dict (and printed)."""
    qs, results, lock = questions(), [], threading.Lock()
    stop = time.monotonic() + seconds
    threads = [threading.Thread(target=client_loop, args=(url, n, stop, think, qs, results, lock))
               for n in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    statuses = Counter(str(s) for _, s, _ in results)
    ok = [ms for _, s, ms in results if s == 200]
    q = statistics.quantiles(ok, n=100) if len(ok) >= 2 else [0.0] * 99
    figures = {"clients": clients, "seconds": round(wall, 1), "think_s": think, "requests": len(results),
               "per_second": round(len(results) / wall, 1), "errors": sum(n for s, n in statuses.items()
                                                                            if s not in ("200", "429")),
               "rate_limited": statuses.get("429", 0), "statuses": dict(statuses),
               "p50_ms": round(q[49]), "p95_ms": round(q[94]), "max_ms": round(max(ok, default=0)),
               "by_kind": dict(Counter(k for k, _, _ in results)), "load_average": os.getloadavg()}
    print(json.dumps(figures, ensure_ascii=False), flush=True)
    return figures


def start_server(port: int, env: dict[str, str]) -> subprocess.Popen:
    """`python app.py` on `port` with the given ASSISTANT_* settings; returns once /api/health answers."""
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited: {proc.stderr.read()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(1)
    proc.terminate()
    raise RuntimeError("app.py did not answer within 600 s")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default="http://127.0.0.1:7860")
    p.add_argument("--start", action="store_true", help="start `python app.py` (index and data in --work)")
    p.add_argument("--work", default="/tmp/mz-load", help="with --start: index and data folders")
    p.add_argument("--port", type=int, default=7861)
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--think", type=float, default=1.0, help="seconds between one client's requests")
    p.add_argument("--rate", type=int, help="with --start: ASSISTANT_RATE_LIMIT_PER_MINUTE (0 = off)")
    args = p.parse_args(argv)
    proc = None
    url = args.url
    if args.start:
        env = {"ASSISTANT_INDEX_DIR": f"{args.work}/index", "ASSISTANT_DATA_DIR": f"{args.work}/data",
               "ASSISTANT_TRUSTED_PROXIES": '["127.0.0.1"]'}
        if args.rate is not None:
            env["ASSISTANT_RATE_LIMIT_PER_MINUTE"] = str(args.rate)
        proc = start_server(args.port, env)
        url = f"http://127.0.0.1:{args.port}"
    try:
        figures = run(url, args.clients, args.seconds, args.think)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    return 0 if figures["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
