"""e5-small on ONNX Runtime: the same weights as the torch folder, without torch or transformers.

The model is exported once from the sentence-transformers folder (see `onnx_export`); serving needs
only `onnxruntime`, `tokenizers` and numpy. fp32 gives the torch vectors (cosine ≥ 0.999, checked in
tests/test_onnx_embedder.py) and so shares their name in the index manifest: an index built on torch
is served by ONNX fp32 and back. int8 is another vector space with its own name.

fp32 runs `transformer.onnx` and reads the rows of the tokens in a batch from `word_embeddings.npy`
(`TableRows`): the table's 250k rows (384 MB) stay on disk, in the page cache, out of the process.
int8 runs model-int8.onnx, which does its own (int8) lookup.

One session with one intra-op thread serves every request: `InferenceSession.run` is thread-safe and
releases the GIL, so two requests on two cores run side by side. A batch of passages is split over
`build_threads` workers on the same session, which keeps 2 cores busy without a second model in memory.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.errors import BackendUnavailable
from assistant.index.embedding import (
    E5_FOLDER,
    Embedder,
    Kind,
    check_kind,
    e5_name,
    length_batches,
    normalize_rows,
)
from assistant.index.onnx_export import MODEL_FILES, ONNX_FOLDER, SPLIT_FILES, ensure_onnx_folder, read_config


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors the attention mask keeps: [batch, seq, dim] x [batch, seq] -> [batch, dim]."""
    m = mask.astype(np.float32)[..., None]
    return (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)


class TableRows:
    """Rows of a [rows, dim] float32 .npy read on demand with pread: nothing of the table stays in memory.

    Not a memory map: on Linux a map's page faults bring in whole runs of neighbouring pages, and
    600 distinct tokens (the gold questions) made 200 MB of the map resident.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd = -1
        with open(self.path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(f)
            offset = f.tell()
        if len(shape) != 2 or fortran or dtype != np.dtype("<f4"):
            raise ValueError(f"{self.path}: expected a C-order float32 matrix, not {dtype} {shape}")
        self.shape = shape
        self._offset = offset
        self._row_bytes = shape[1] * 4
        self._fd = os.open(self.path, os.O_RDONLY)

    def __getitem__(self, ids: np.ndarray) -> np.ndarray:
        """The row of each id: ids of any shape -> that shape + (dim,), float32."""
        ids = np.asarray(ids)
        unique, inverse = np.unique(ids, return_inverse=True)
        if len(unique) and (unique[0] < 0 or unique[-1] >= self.shape[0]):
            raise IndexError(f"token id out of range 0..{self.shape[0] - 1}")
        rows = np.empty((len(unique), self.shape[1]), dtype=np.float32)
        for k, i in enumerate(unique.tolist()):
            if os.preadv(self._fd, [rows[k]], self._offset + i * self._row_bytes) != self._row_bytes:
                raise OSError(f"{self.path}: short read at row {i}")
        return rows[inverse.reshape(ids.shape)]

    def close(self) -> None:
        """Close the file (the rows cannot be read after)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self) -> None:
        self.close()


class OnnxE5Embedder(Embedder):
    """multilingual-e5-small exported to ONNX (fp32, or int8 weights), run by ONNX Runtime on CPU."""

    dim = 384

    def __init__(self, cache_dir: Path, int8: bool = False, threads: int = 1, build_threads: int = 2,
                 batch_tokens: int = 512, batch_size: int = 64):
        self.cache_dir = Path(cache_dir).expanduser()
        self.folder = self.cache_dir / ONNX_FOLDER
        self.int8 = int8
        self.threads = max(1, threads)
        self.build_threads = max(1, build_threads)
        self.batch_tokens = batch_tokens  # a batch holds at most this many tokens, padding included
        # 512, measured 2026-12-03, one thread over the 195 shipped chunks (fp32 / int8 passages/s):
        # 2048 tokens 9.5 / 19.1, 1024 10.8 / 21.5, 512 11.2-11.4 / 22.5-24.1, 384 and 256 as 512.
        # Padding is 4.7% of the tokens at 2048 and 0.7% at 512; the rest of the gain is most likely
        # the smaller activations staying in the core's cache (the MatMuls are 82% of the time)
        self.batch_size = batch_size
        self._pad_id = 1
        self.name = e5_name() + (":int8" if int8 else "")
        self._session: Any = None
        self._table: TableRows | None = None  # fp32: the word-embedding rows, read from disk as needed
        self._tokenizer: Any = None
        self._prompts: dict[str, str] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    @property
    def model_path(self) -> Path:
        """The graph the session runs: int8's whole model, or fp32's transformer without its lookup."""
        return self.folder / (MODEL_FILES[True] if self.int8 else SPLIT_FILES[0])

    def load(self) -> OnnxE5Embedder:
        """Export when needed (once, with torch), then open the session and tokenizer (thread-safe)."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._open()
        return self

    def _open(self) -> None:
        try:
            ensure_onnx_folder(self.folder, self.cache_dir / E5_FOLDER, int8=self.int8, split=not self.int8)
        except Exception as exc:  # torch missing, disk full, unwritable cache folder ...
            raise BackendUnavailable(
                f"无法在 {self.folder} 生成 ONNX 向量模型（{type(exc).__name__}: {exc}）。"
                "请检查缓存目录（ASSISTANT_MODEL_CACHE_DIR）是否可写、磁盘空间是否充足，"
                "或改用 ASSISTANT_EMBED_RUNTIME=torch。"
            ) from exc
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            config = read_config(self.folder) or {}
            tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
            tokenizer.enable_truncation(int(config["max_seq_length"]))
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3  # warnings about unused initialisers are noise
            session = ort.InferenceSession(str(self.model_path), options, providers=["CPUExecutionProvider"])
            table = None if self.int8 else TableRows(self.folder / SPLIT_FILES[1])
        except Exception as exc:
            raise BackendUnavailable(
                f"无法加载 ONNX 向量模型 {self.model_path}（{type(exc).__name__}: {exc}）。"
                f"请删除文件夹 {self.folder} 后重试（会重新导出），或改用 ASSISTANT_EMBED_RUNTIME=torch。"
            ) from exc
        self._prompts = dict(config.get("prompts") or {})
        self.dim = int(config.get("dim", self.dim))
        self._pad_id = int(config["pad_id"])
        self._tokenizer = tokenizer
        self._table = table
        self._session = session

    def prompt(self, kind: Kind) -> str:
        """The folder's prompt for `kind` ("passage" falls back to "document"), or ""."""
        candidates = ("query",) if kind == "query" else ("passage", "document")
        return next((self._prompts[c] for c in candidates if self._prompts.get(c)), "")

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        check_kind(kind)
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.load()
        prompt = self.prompt(kind)
        encodings = self._tokenizer.encode_batch([prompt + t for t in texts])
        batches = length_batches([len(e.ids) for e in encodings], self.batch_tokens, self.batch_size)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if len(batches) > 1 and self.build_threads > 1:
            parts = self._workers().map(lambda b: self._run([encodings[i] for i in b]), batches)
        else:
            parts = (self._run([encodings[i] for i in b]) for b in batches)
        for ids, vectors in zip(batches, parts, strict=True):
            out[ids] = vectors
        return out

    def _workers(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.build_threads, thread_name_prefix="onnx-embed")
            return self._pool

    def _run(self, encodings: list) -> np.ndarray:
        """One batch through the session, padded to its longest text: mean pooling, then unit length."""
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        if self._table is None:
            feed = {"input_ids": ids, "attention_mask": mask}
        else:
            feed = {"inputs_embeds": self._table[ids], "attention_mask": mask}
        (hidden,) = self._session.run(None, feed)
        return normalize_rows(mean_pool(hidden, mask))
