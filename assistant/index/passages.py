"""Passage vectors for an index build: reused by content hash, journalled as computed, batched by length.

Vectors the previous index kept (`embcache.npy/.json` in the index folder) are reused for unchanged
texts. The rest are embedded longest first, in groups sized by length (a group is padded to its
longest text), and every group is appended to a journal beside the index folder as soon as it is
computed, so a build that is killed or fails resumes where it stopped. Journal (`<index_dir>.journal/`):

    journal.json   {"embedder": name, "dim": d}: a journal of another embedder is dropped
    vectors.f32    float32 rows, appended
    keys.txt       one text key a line, appended after its row: a row without a key is not trusted

The journal is removed once an index holding its vectors has been written.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.index.embedding import all_cores, length_batches

Progress = Callable[[float, str], None]
GROUP_CHARS = 16_000  # a group's size x its longest passage (chars): a few seconds of work, then saved
GROUP_MAX = 64


def text_key(embedder_name: str, text: str) -> str:
    """The cache key of a passage text under an embedder: another embedder, another key."""
    return hashlib.sha256(f"{embedder_name}\n{text}".encode()).hexdigest()[:24]


def journal_dir(index_dir: Path) -> Path:
    return index_dir.with_name(index_dir.name + ".journal")


class Journal:
    """Append-only store of (key, vector) pairs that survives a killed process."""

    def __init__(self, folder: Path, embedder_name: str, dim: int):
        self.folder, self.name, self.dim = Path(folder), embedder_name, int(dim)
        self._keys = self.folder / "keys.txt"
        self._vecs = self.folder / "vectors.f32"

    def read(self) -> dict[str, np.ndarray]:
        """The pairs saved so far by builds with this embedder; a torn last write is cut off."""
        try:
            header = json.loads((self.folder / "journal.json").read_text(encoding="utf-8"))
            raw = self._keys.read_bytes().decode("utf-8")
            rows = np.fromfile(self._vecs, dtype=np.float32)
        except (OSError, ValueError):
            return {}
        if header != {"embedder": self.name, "dim": self.dim}:
            return {}
        keys = raw.split("\n")[:-1]  # the text after the last newline is a key cut short
        n = min(len(keys), rows.size // self.dim)
        self._truncate(n, len("\n".join(keys[:n]).encode()) + (1 if n else 0))
        return dict(zip(keys[:n], rows[: n * self.dim].reshape(n, self.dim), strict=True))

    def _truncate(self, rows: int, key_bytes: int) -> None:
        """Cut both files to `rows` whole entries, so later appends line up."""
        with self._vecs.open("r+b") as f:
            f.truncate(rows * self.dim * 4)
        with self._keys.open("r+b") as f:
            f.truncate(key_bytes)

    def start(self) -> None:
        """Open for appending; a missing or foreign journal is replaced by an empty one."""
        header = {"embedder": self.name, "dim": self.dim}
        try:
            same = json.loads((self.folder / "journal.json").read_text(encoding="utf-8")) == header
        except (OSError, ValueError):
            same = False
        if not same or not (self._keys.is_file() and self._vecs.is_file()):
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True)
            self._vecs.write_bytes(b"")
            self._keys.write_bytes(b"")
            (self.folder / "journal.json").write_text(json.dumps(header), encoding="utf-8")

    def append(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Save a group: rows first, then their keys, each flushed to disk."""
        rows = np.ascontiguousarray(vectors, dtype=np.float32)
        for path, data in ((self._vecs, rows.tobytes()), (self._keys, "".join(k + "\n" for k in keys).encode())):
            with path.open("ab") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())


def drop_journal(index_dir: Path) -> None:
    """Forget the journal: its vectors are in the index now."""
    shutil.rmtree(journal_dir(index_dir), ignore_errors=True)


def read_cache(index_dir: Path, embedder_name: str) -> dict[str, np.ndarray]:
    """The vectors an index folder kept, by text key; empty when missing or made by another embedder."""
    keys_path, vec_path = index_dir / "embcache.json", index_dir / "embcache.npy"
    if not (keys_path.is_file() and vec_path.is_file()):
        return {}
    try:
        meta = json.loads(keys_path.read_text(encoding="utf-8"))
        if meta.get("embedder") != embedder_name:
            return {}
        vecs = np.load(vec_path, allow_pickle=False)
        return dict(zip(meta["keys"], vecs, strict=True))
    except (OSError, ValueError, KeyError):
        return {}


def write_cache(folder: Path, embedder_name: str, texts: Sequence[str], vectors: np.ndarray) -> None:
    """Keep the vectors of `texts` in `folder` for the next build."""
    keys = [text_key(embedder_name, t) for t in texts]
    (folder / "embcache.json").write_text(json.dumps({"embedder": embedder_name, "keys": keys}), encoding="utf-8")
    np.save(folder / "embcache.npy", vectors, allow_pickle=False)


def rate_message(done: int, total: int, seconds: float) -> str:
    """'向量化 120/377 段（15.2 段/秒，约剩 17 秒）' — what a progress bar says while embedding."""
    text = f"向量化 {done}/{total} 段"
    if done and seconds > 0:
        rate = done / seconds
        left = (total - done) / rate
        eta = f"约剩 {left:.0f} 秒" if left < 90 else f"约剩 {left / 60:.0f} 分钟"
        text += f"（{rate:.1f} 段/秒，{eta}）"
    return text


def embed_passages(index_dir: Path, embedder, texts: Sequence[str], say: Progress,
                   start: float = 0.25, end: float = 0.92) -> tuple[np.ndarray, int]:
    """Vectors for every text (row i is text i) and how many were embedded now, not found saved."""
    name = embedder.name
    keys = [text_key(name, t) for t in texts]
    known = read_cache(index_dir, name)
    todo_all = [i for i, k in enumerate(keys) if k not in known]
    journal = None
    if todo_all:
        journal = Journal(journal_dir(index_dir), name, embedder.dim)
        saved = journal.read()
        if saved:
            resumed = sum(1 for i in todo_all if keys[i] in saved)
            if resumed:
                say(start, f"续用上次未完成的建索引已算好的 {resumed} 段向量")
            known |= saved
    todo = [i for i, k in enumerate(keys) if k not in known]
    vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for i, k in enumerate(keys):
        if k in known:
            vectors[i] = known[k]
    if not todo:
        return vectors, 0
    assert journal is not None
    journal.start()
    if hasattr(embedder, "load"):
        embedder.load()  # loading sets the embedder's own thread count: do it before taking every core
    groups = [[todo[j] for j in g] for g in length_batches([len(texts[i]) for i in todo], GROUP_CHARS, GROUP_MAX)]
    t0, done = time.perf_counter(), 0
    say(start, rate_message(0, len(todo), 0.0))
    with all_cores():
        for ids in groups:
            got = embedder.embed([texts[i] for i in ids], kind="passage")
            vectors[ids] = got
            journal.append([keys[i] for i in ids], got)
            done += len(ids)
            say(start + (end - start) * done / len(todo), rate_message(done, len(todo), time.perf_counter() - t0))
    return vectors, len(todo)
