"""The index on disk: what a build writes, round trips, incremental rebuilds, status and bad input.

A tiny corpus written to tmp_path and the hand-checkable `CharHashEmbedder` keep these fast; the
embedder is the only fake (a boundary), everything from loading to the FAISS file is the real code.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.core.errors import CorpusError, IndexMismatch, IndexNotBuilt
from assistant.core.settings import Settings
from assistant.index.store import (
    FORMAT_VERSION,
    build_index,
    ensure_index,
    index_status,
    load_index,
    passage_text,
)
from tests.fakes import CharHashEmbedder

PUTUO = """普陀区民政局2024年工作要点

上海市普陀区民政局

一、建设高品质普惠养老格局

一是推动普惠共享。计划新增200张养老床位，新建2家社区长者食堂。

二是推动智慧养老。改建认知障碍照护床位140张。

二、健全社会救助体系

一是优化救助。推进社区救助顾问建设，覆盖10个街镇。
"""

BAOSHAN = """2022年宝山民政工作要点

上海市宝山区民政局

一、增加养老设施供给

一是落实实事项目。新增760张养老床位，新增社区老年助餐服务场所23家。
"""

CHANGNING_GBK = """2022年长宁民政工作要点

上海市长宁区民政局

一、婚姻登记

推进婚姻登记服务，新增1家婚姻登记处。
"""


def write_corpus(folder: Path) -> Path:
    """Two UTF-8 work plans: the corpus most tests start from."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "putuo.txt").write_text(PUTUO, encoding="utf-8")
    (folder / "baoshan.txt").write_text(BAOSHAN, encoding="utf-8")
    return folder


def make_settings(root: Path, **kw) -> Settings:
    return Settings(corpus_dir=root / "corpus", index_dir=root / "index", **kw)


def passage_calls(embedder: CharHashEmbedder) -> list[str]:
    """Every passage text the embedder was asked for, in order."""
    return [t for kind, texts in embedder.calls if kind == "passage" for t in texts]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a folder, by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


class FailingEmbedder(CharHashEmbedder):
    """Dies on the given passage batch, like a model running out of memory halfway through."""

    def __init__(self, fail_on_batch: int, dim: int = 16):
        super().__init__(dim)
        self.fail_on_batch = fail_on_batch

    def embed(self, texts, kind):
        if kind == "passage" and sum(k == "passage" for k, _ in self.calls) + 1 == self.fail_on_batch:
            raise RuntimeError("embedder died")
        return super().embed(texts, kind)


@pytest.fixture
def built(tmp_path):
    """A corpus, its settings, the embedder and the report of a first build."""
    write_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path)
    embedder = CharHashEmbedder()
    report = build_index(settings, embedder)
    return settings, embedder, report


# ------------------------------------------------------------------------------------ what a build writes


def test_build_writes_plain_files_and_a_manifest(built):
    settings, embedder, report = built
    folder = settings.index_dir
    for name in ("manifest.json", "documents.jsonl", "chunks.jsonl", "facts.jsonl", "facts.npy", "vectors.faiss",
                 "embcache.json", "embcache.npy"):
        assert (folder / name).is_file(), name
    assert (folder / "bm25").is_dir() and any((folder / "bm25").iterdir())

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == FORMAT_VERSION
    assert manifest["embedder"] == embedder.name == "fake-char-hash-16"
    assert manifest["dim"] == 16
    assert len(manifest["fingerprint"]) == 32
    assert (manifest["documents"], manifest["chunks"], manifest["facts"]) == (
        report.documents, report.chunks, report.facts) == (2, report.chunks, report.facts)
    assert report.chunks >= 5 and report.facts >= 5  # 200张 2家 140张 10个 760张 23家
    assert report.rebuilt and report.embedded == report.chunks + report.facts  # passages, figures' own words
    assert _count_lines(folder / "chunks.jsonl") == report.chunks
    assert _count_lines(folder / "facts.jsonl") == report.facts
    assert _count_lines(folder / "documents.jsonl") == 2


def _count_lines(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def test_the_index_holds_no_pickles(built):
    settings, _, _ = built
    files = [p for p in settings.index_dir.rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix in (".pkl", ".pickle")]
    npys = [p for p in files if p.suffix == ".npy"]
    assert npys  # embcache.npy and bm25s arrays
    for p in npys:
        np.load(p, allow_pickle=False)  # raises on an object array
    for p in files:
        assert not p.read_bytes().startswith(b"\x80"), f"{p.name} looks like a pickle"


# ------------------------------------------------------------------------------------------ round trip


def test_load_index_round_trip(built):
    settings, embedder, report = built
    index = load_index(settings, embedder)
    assert len(index.chunks) == report.chunks
    assert len(index.facts) == report.facts
    assert index.vector_store.client.ntotal == report.chunks
    assert len(index.documents) == 2
    by_source = {d.source: d for d in index.documents.values()}
    assert by_source["putuo.txt"].meta.district == "普陀区"
    for chunk in index.chunks:
        doc = index.documents[chunk.doc_id]
        assert chunk.text == doc.text[chunk.start:chunk.end]
        assert index.chunk(chunk.chunk_id) is chunk
    assert len({c.chunk_id for c in index.chunks}) == len(index.chunks)
    for fact in index.facts:
        doc = index.documents[fact.doc_id]
        assert doc.text[fact.start:fact.end] == fact.as_written
        chunk = index.chunk(fact.chunk_id)
        assert chunk.start <= fact.start and fact.end <= chunk.end
    assert "200张" in {f.as_written for f in index.facts}


def test_loaded_chunks_equal_the_built_ones_and_row_i_is_chunk_i(built):
    settings, embedder, _ = built
    index = load_index(settings, embedder)
    rows = [json.loads(line) for line in (settings.index_dir / "chunks.jsonl").read_text("utf-8").splitlines()]
    assert [c.chunk_id for c in index.chunks] == [r["chunk_id"] for r in rows]
    faiss_index = index.vector_store.client
    stored = faiss_index.reconstruct_n(0, faiss_index.ntotal)
    expected = embedder.embed([passage_text(c) for c in index.chunks], kind="passage")
    np.testing.assert_allclose(stored, expected, atol=1e-6)


# ------------------------------------------------------------------------------------------ rebuilds


def test_rebuild_with_nothing_changed_is_a_no_op(built):
    settings, embedder, first = built
    before = snapshot(settings.index_dir)
    embedder.calls.clear()
    report = build_index(settings, embedder)
    assert report.rebuilt is False
    assert report.embedded == 0 and embedder.calls == []
    assert (report.documents, report.chunks, report.facts) == (first.documents, first.chunks, first.facts)
    assert snapshot(settings.index_dir) == before
    assert ensure_index(settings, embedder) is None


def test_forced_rebuild_reuses_every_cached_vector(built):
    settings, embedder, first = built
    embedder.calls.clear()
    report = build_index(settings, embedder, force=True)
    assert report.rebuilt is True
    assert report.embedded == 0 and passage_calls(embedder) == []
    assert report.chunks == first.chunks


def test_changing_one_document_embeds_only_its_changed_chunks(built):
    settings, embedder, _ = built
    old = load_index(settings, embedder)
    old_baoshan = {c.chunk_id for c in old.chunks if c.source == "baoshan.txt"}
    old_putuo = [c for c in old.chunks if c.source == "putuo.txt"]

    path = settings.corpus_dir / "putuo.txt"
    path.write_text(PUTUO.replace("计划新增200张养老床位", "计划新增300张养老床位"), encoding="utf-8")
    embedder.calls.clear()
    report = build_index(settings, embedder)
    new = load_index(settings, embedder)

    embedded = passage_calls(embedder)
    assert report.embedded == len(embedded) == 2  # the chunk, and the changed figure's own words
    assert all("计划新增300张养老床位" in text for text in embedded)
    # the other document keeps its chunk ids: citations of it stay valid
    assert {c.chunk_id for c in new.chunks if c.source == "baoshan.txt"} == old_baoshan
    # the changed document is a new document (content hash), with the new figure
    new_putuo = [c for c in new.chunks if c.source == "putuo.txt"]
    assert {c.doc_id for c in new_putuo}.isdisjoint({c.doc_id for c in old_putuo})
    assert "300张" in {f.as_written for f in new.facts} and "200张" not in {f.as_written for f in new.facts}


# ------------------------------------------------------------------------------------- status and errors


def test_index_status_missing_ok_stale_foreign(tmp_path):
    write_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path)
    embedder = CharHashEmbedder()
    assert index_status(settings, embedder.name) == "missing"
    build_index(settings, embedder)
    assert index_status(settings, embedder.name) == "ok"
    assert index_status(settings, "another-embedder") == "foreign"

    (settings.corpus_dir / "baoshan.txt").write_text(BAOSHAN + "\n二、其他\n\n新增3家日间照料中心。\n",
                                                    encoding="utf-8")
    assert index_status(settings, embedder.name) == "stale"

    path = settings.index_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**manifest, "format": FORMAT_VERSION + 99}), encoding="utf-8")
    assert index_status(settings, embedder.name) == "foreign"


def test_a_new_or_removed_file_makes_the_index_stale(built):
    settings, embedder, _ = built
    extra = settings.corpus_dir / "extra.md"
    extra.write_text("# 说明\n\n新增1家慈善超市。\n", encoding="utf-8")
    assert index_status(settings, embedder.name) == "stale"
    extra.unlink()
    assert index_status(settings, embedder.name) == "ok"


def test_ensure_index_rebuilds_a_stale_index(built):
    settings, embedder, _ = built
    (settings.corpus_dir / "baoshan.txt").write_text(BAOSHAN.replace("760张", "800张"), encoding="utf-8")
    report = ensure_index(settings, embedder)
    assert report is not None and report.rebuilt
    assert index_status(settings, embedder.name) == "ok"
    assert "800张" in {f.as_written for f in load_index(settings, embedder).facts}


def test_ensure_index_rebuilds_an_index_of_another_embedder(built):
    settings, _, _ = built
    other = CharHashEmbedder(dim=8)
    assert index_status(settings, other.name) == "foreign"
    report = ensure_index(settings, other)
    assert report is not None and report.rebuilt and report.embedded == report.chunks + report.facts
    index = load_index(settings, other)
    assert index.manifest["embedder"] == other.name and index.manifest["dim"] == 8
    assert index.vector_store.client.d == 8


def test_load_index_with_another_embedder_says_to_run_assistant_index(built):
    settings, _, _ = built
    with pytest.raises(IndexMismatch) as e:
        load_index(settings, CharHashEmbedder(dim=8))
    assert "assistant index" in str(e.value)
    assert "fake-char-hash-16" in str(e.value) and "fake-char-hash-8" in str(e.value)


def test_load_index_of_another_format_says_to_run_assistant_index(built):
    settings, embedder, _ = built
    path = settings.index_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**manifest, "format": FORMAT_VERSION + 1}), encoding="utf-8")
    with pytest.raises(IndexMismatch, match="assistant index"):
        load_index(settings, embedder)


def test_a_missing_index_raises_index_not_built(tmp_path):
    write_corpus(tmp_path / "corpus")
    with pytest.raises(IndexNotBuilt, match="assistant index"):
        load_index(make_settings(tmp_path), CharHashEmbedder())


def test_an_index_missing_a_file_raises_index_not_built(built):
    settings, embedder, _ = built
    (settings.index_dir / "chunks.jsonl").unlink()
    with pytest.raises(IndexNotBuilt, match="assistant index"):
        load_index(settings, embedder)


# ---------------------------------------------------------------------------------- a build that dies


def _many_sections(n: int) -> str:
    body = "\n\n".join(f"{i}、第{i}项工作\n\n推进第{i}项民政工作，新增{i}家服务站点。" for i in range(1, n + 1))
    return f"2023年静安民政工作要点\n\n上海市静安区民政局\n\n一、重点工作\n\n{body}\n"


def _siblings(settings: Settings) -> list[str]:
    """What lies beside the index folder, the build lock (not a leftover) aside."""
    return sorted(p.name for p in settings.index_dir.parent.iterdir() if p.name != "index.lock")


def test_a_build_that_dies_halfway_leaves_the_previous_index_and_its_vectors_resume(built):
    settings, embedder, first = built
    before = snapshot(settings.index_dir)
    (settings.corpus_dir / "jingan.txt").write_text(_many_sections(150), encoding="utf-8")

    dying = FailingEmbedder(fail_on_batch=3)
    with pytest.raises(RuntimeError, match="embedder died"):
        build_index(settings, dying)
    done = passage_calls(dying)
    assert sum(k == "passage" for k, _ in dying.calls) == 2 and done  # two groups, then it died

    assert snapshot(settings.index_dir) == before
    assert _siblings(settings) == ["corpus", "index", "index.journal"]  # the two groups' vectors
    index = load_index(settings, embedder)
    assert len(index.chunks) == first.chunks
    assert index_status(settings, embedder.name) == "stale"  # the next start tries again

    resumed = CharHashEmbedder()
    report = build_index(settings, resumed)
    again = passage_calls(resumed)
    assert not set(again) & set(done)  # what the dead build computed is not computed again
    texts = report.chunks + report.facts  # passages and figures' own words
    assert report.embedded == len(again) and texts == first.chunks + first.facts + len(done) + len(again)
    assert _siblings(settings) == ["corpus", "index"]  # journal dropped once the index holds it
    fresh = load_index(settings, embedder)
    rows = fresh.vector_store.client.reconstruct_n(0, len(fresh.chunks))
    np.testing.assert_allclose(rows, embedder.embed([passage_text(c) for c in fresh.chunks], "passage"), atol=1e-6)


def test_a_journal_cut_off_mid_write_keeps_only_whole_entries(tmp_path):
    from assistant.index.passages import Journal

    journal = Journal(tmp_path / "j", "fake", 2)
    journal.start()
    journal.append(["a", "b"], np.array([[1, 0], [0, 1]], dtype=np.float32))
    with (tmp_path / "j" / "vectors.f32").open("ab") as f:  # killed after a row and a half ...
        f.write(np.array([0.6, 0.8, 0.5], dtype=np.float32).tobytes())
    with (tmp_path / "j" / "keys.txt").open("ab") as f:  # ... and half a key
        f.write(b"c")
    got = journal.read()
    assert sorted(got) == ["a", "b"]
    np.testing.assert_array_equal(got["b"], [0, 1])
    journal.start()
    journal.append(["d"], np.array([[0.6, 0.8]], dtype=np.float32))  # later writes line up again
    got = Journal(tmp_path / "j", "fake", 2).read()
    assert sorted(got) == ["a", "b", "d"]
    np.testing.assert_allclose(got["d"], [0.6, 0.8])
    assert Journal(tmp_path / "j", "other-embedder", 2).read() == {}
    assert Journal(tmp_path / "j", "fake", 3).read() == {}


def test_a_build_that_dies_while_writing_leaves_the_previous_index(built, monkeypatch):
    settings, embedder, first = built
    before = snapshot(settings.index_dir)
    (settings.corpus_dir / "baoshan.txt").write_text(BAOSHAN.replace("760张", "800张"), encoding="utf-8")

    import faiss

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(faiss, "write_index", disk_full)
    with pytest.raises(OSError, match="No space left"):
        build_index(settings, embedder)
    monkeypatch.undo()

    assert snapshot(settings.index_dir) == before
    assert _siblings(settings) == ["corpus", "index", "index.journal"]
    assert len(load_index(settings, embedder).chunks) == first.chunks
    report = build_index(settings, embedder)  # and the next build goes through
    assert report.rebuilt and "800张" in {f.as_written for f in load_index(settings, embedder).facts}


# ------------------------------------------------------------------------------------------ bad input


def test_an_empty_corpus_folder_is_a_corpus_error_naming_the_folder(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    with pytest.raises(CorpusError) as e:
        build_index(make_settings(tmp_path), CharHashEmbedder())
    assert str(folder) in str(e.value)
    assert not (tmp_path / "index").exists()


def test_bad_files_are_skipped_by_name_and_the_rest_indexed(tmp_path):
    folder = write_corpus(tmp_path / "corpus")
    (folder / "changning-gbk.txt").write_bytes(CHANGNING_GBK.encode("gbk"))
    (folder / "noheadings.txt").write_text("全市共有养老机构700家，持续推进居家环境适老化改造。", encoding="utf-8")
    (folder / "scan.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "huge.txt").write_text(PUTUO * 20, encoding="utf-8")
    settings = make_settings(tmp_path, max_file_bytes=4000)
    assert (folder / "huge.txt").stat().st_size > 4000 > max(
        (folder / n).stat().st_size for n in ("putuo.txt", "baoshan.txt", "changning-gbk.txt"))

    report = build_index(settings, CharHashEmbedder())

    assert len(report.skipped) == 2
    skipped = {line.split("：")[0]: line for line in report.skipped}
    assert set(skipped) == {"scan.txt", "huge.txt"}
    assert "二进制" in skipped["scan.txt"] or "编码" in skipped["scan.txt"]
    assert "过大" in skipped["huge.txt"]
    assert report.documents == 4

    index = load_index(settings, CharHashEmbedder())
    by_source = {d.source: d for d in index.documents.values()}
    assert set(by_source) == {"putuo.txt", "baoshan.txt", "changning-gbk.txt", "noheadings.txt"}
    gbk = by_source["changning-gbk.txt"]
    assert "推进婚姻登记服务，新增1家婚姻登记处。" in gbk.text
    assert gbk.meta.district == "长宁区"
    plain = [c for c in index.chunks if c.source == "noheadings.txt"]
    assert plain and "养老机构700家" in "".join(c.text for c in plain)
    assert "700家" in {f.as_written for f in index.facts if f.doc_id == by_source["noheadings.txt"].doc_id}
    assert index.manifest["skipped"] == report.skipped


def test_a_no_op_rebuild_still_reports_the_skipped_files(tmp_path):
    folder = write_corpus(tmp_path / "corpus")
    (folder / "scan.txt").write_bytes(bytes(range(256)) * 8)
    settings = make_settings(tmp_path)
    first = build_index(settings, CharHashEmbedder())
    again = build_index(settings, CharHashEmbedder())
    assert again.rebuilt is False
    assert again.skipped == first.skipped and len(first.skipped) == 1


def test_build_progress_says_how_far_how_fast_and_how_long_is_left(tmp_path):
    import re

    write_corpus(tmp_path / "corpus")
    (tmp_path / "corpus" / "jingan.txt").write_text(_many_sections(150), encoding="utf-8")
    calls: list[tuple[float, str]] = []
    report = build_index(make_settings(tmp_path), CharHashEmbedder(), progress=lambda f, m: calls.append((f, m)))
    fracs = [f for f, _ in calls]
    assert fracs == sorted(fracs) and fracs[-1] == 1.0
    rates = [m for _, m in calls if re.fullmatch(r"向量化 \d+/\d+ 段（[\d.]+ 段/秒，约剩 \d+ (秒|分钟)）", m)]
    assert len(rates) >= 3  # one line per saved group
    assert rates[-1].startswith(f"向量化 {report.embedded}/{report.embedded} 段")
