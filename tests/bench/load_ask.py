"""Load generator for a running server's `POST /api/ask`: N clients at once for S seconds.

    python tests/bench/load_ask.py http://127.0.0.1:7860 --clients 20 --seconds 60

Each client is a thread with its own keep-alive connection that asks the gold questions (with their
history) one after another, starting at its own offset, as fast as answers come back. Prints
requests/s, latency percentiles and errors, with the machine's load average.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def gold_questions(path: Path = ROOT / "eval" / "questions.jsonl") -> list[dict]:
    """The gold questions as /api/ask bodies: {"question", "history"}."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{"question": r["question"], "history": r.get("history") or []} for r in rows]


class Client:
    """One keep-alive HTTP connection to the server."""

    def __init__(self, base_url: str, timeout: float = 60.0):
        parts = urlsplit(base_url)
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout
        self.conn: http.client.HTTPConnection | None = None

    def ask(self, body: dict) -> tuple[int, float]:
        """POST /api/ask; (HTTP status or 0 on a connection error, milliseconds)."""
        data = json.dumps(body, ensure_ascii=False).encode()
        t0 = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.conn.request("POST", "/api/ask", body=data, headers={"Content-Type": "application/json"})
            resp = self.conn.getresponse()
            resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException):
            self.close()
            status = 0
        return status, (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def summary(latencies: list[float], errors: int, seconds: float) -> dict:
    """Requests/s, p50/p95/p99/max in ms, and the error count."""
    a = np.asarray(latencies) if latencies else np.zeros(1)
    return {"requests": len(latencies), "errors": errors, "seconds": seconds,
            "rps": len(latencies) / seconds if seconds else 0.0,
            "p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)),
            "p99": float(np.percentile(a, 99)), "max": float(a.max())}


def run_load(base_url: str, questions: list[dict], clients: int = 20, seconds: float = 60.0) -> dict:
    """`clients` threads asking without pause until `seconds` have passed; the summary of all answers."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker(k: int) -> None:
        client = Client(base_url)
        i = k * len(questions) // clients
        start.wait()
        while time.perf_counter() < deadline[0]:
            status, ms = client.ask(questions[i % len(questions)])
            i += 1
            with lock:
                if status == 200:
                    latencies.append(ms)
                else:
                    errors[0] += 1
        client.close()

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    deadline[0] = t0 + seconds
    start.wait()
    for t in threads:
        t.join()
    return summary(latencies, errors[0], time.perf_counter() - t0)


def one_client(base_url: str, questions: list[dict], n: int | None = None) -> dict:
    """One client asking `n` questions in turn (all by default)."""
    client = Client(base_url)
    latencies, errors = [], 0
    t0 = time.perf_counter()
    for body in questions[:n]:
        status, ms = client.ask(body)
        if status == 200:
            latencies.append(ms)
        else:
            errors += 1
    client.close()
    return summary(latencies, errors, time.perf_counter() - t0)


def describe(s: dict) -> str:
    return (f"{s['rps']:5.1f} requests/s, p50 {s['p50']:6.0f} ms, p95 {s['p95']:6.0f} ms, p99 {s['p99']:6.0f} ms, "
            f"max {s['max']:6.0f} ms, {s['errors']} errors ({s['requests']} answers in {s['seconds']:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    questions = gold_questions()
    print(f"load {os.getloadavg()[0]:.2f} before")
    print(f"1 client:  {describe(one_client(args.url, questions))}")
    print(f"{args.clients} clients: {describe(run_load(args.url, questions, args.clients, args.seconds))}")
    print(f"load {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
