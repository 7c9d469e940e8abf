"""The ONNX Runtime embedder on the real e5-small: agreement with torch (fp32, int8), serving without torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.core.settings import Settings
from assistant.index import onnx_export
from assistant.index.embedding import RUNTIMES, get_embedder

ROOT = Path(__file__).resolve().parents[2]


SENTENCES = [
    "普陀2024年新增多少养老床位？",
    "那宝山2022年呢？",
    "计划新增200张养老床位，完成率达到50%。",
    "（一）推进“十四五”规划实施：全年新增社区长者食堂10家、养老床位1000张；",
    "2023年上半年，累计发放各类救助资金6679.01万元，惠及困难群众91.65万人次。",
    "a",
]


def _passages(n: int = 48) -> list[str]:
    from assistant.index.store import CHUNK_CHARS, passage_text
    from assistant.ingest.loading import load_corpus
    from assistant.ingest.sectioning import chunk_document

    docs, _ = load_corpus(Settings())
    chunks = [c for d in docs for c in chunk_document(d, max_chars=CHUNK_CHARS)]
    step = max(1, len(chunks) // n)
    return [passage_text(c) for c in chunks[::step][:n]]


@pytest.fixture(scope="module")
def runtimes():
    """torch, ONNX fp32 and ONNX int8 over the one cache folder the app uses (exported there once)."""
    settings = Settings()
    embedders = {r: get_embedder(settings.model_copy(update={"embed_runtime": r})) for r in RUNTIMES}
    for emb in embedders.values():
        emb.load()
    return embedders


@pytest.mark.slow
def test_onnx_vectors_agree_with_torch(runtimes):
    texts = {"query": SENTENCES, "passage": SENTENCES + _passages()}
    torch, fp32, int8 = runtimes["torch"], runtimes["onnx"], runtimes["onnx-int8"]
    for kind, batch in texts.items():
        ref = torch.embed(batch, kind)
        ours = fp32.embed(batch, kind)
        one_by_one = np.concatenate([fp32.embed([t], kind) for t in batch[:6]])  # no padding at all
        q8 = int8.embed(batch, kind)
        cos, cos1, cos8 = (ours * ref).sum(1), (one_by_one * ref[:6]).sum(1), (q8 * ref).sum(1)
        print(f"\n{kind} ({len(batch)} texts): fp32 cosine to torch min {cos.min():.6f}; "
              f"int8 min {cos8.min():.4f} mean {cos8.mean():.4f}")
        assert ours.shape == ref.shape and ours.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        assert cos.min() >= 0.99999 and cos1.min() >= 0.99999  # fp32 gives torch's vectors, lookup split off or not
        assert cos8.min() >= 0.98  # int8 is another, nearby space: far off would mean a broken export


@pytest.mark.slow
def test_onnx_int8_keeps_most_of_the_torch_ranking(runtimes):
    """Reported, with a floor only for a broken model: which dense top-5 the int8 vectors give."""
    passages = _passages(200)
    questions = [json.loads(line)["question"] for line in
                 (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()[:120]]
    tops = {}
    for runtime in ("torch", "onnx", "onnx-int8"):
        emb = runtimes[runtime]
        scores = emb.embed(questions, "query") @ emb.embed(passages, "passage").T
        tops[runtime] = np.argsort(-scores, axis=1)[:, :5]

    def overlap(a, b):
        return float(np.mean([len(set(x) & set(y)) for x, y in zip(a, b, strict=True)]))

    same_top1 = float(np.mean(tops["onnx-int8"][:, 0] == tops["torch"][:, 0]))
    print(f"\ndense top-5 overlap with torch over {len(questions)} questions x {len(passages)} passages: "
          f"fp32 {overlap(tops['onnx'], tops['torch']):.2f}/5, int8 {overlap(tops['onnx-int8'], tops['torch']):.2f}/5 "
          f"(top-1 same {same_top1:.0%})")
    assert overlap(tops["onnx"], tops["torch"]) >= 4.9
    assert overlap(tops["onnx-int8"], tops["torch"]) >= 3.0


@pytest.mark.slow
def test_serving_with_onnx_imports_neither_torch_nor_transformers(runtimes, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "putuo.txt").write_text(
        "普陀区民政局2024年工作要点\n\n一、养老\n\n计划新增200张养老床位，新建2家社区长者食堂。\n", encoding="utf-8")
    code = (
        "import sys, json\n"
        "from assistant.core.settings import Settings\n"
        "from assistant.serve.engine import build_engine\n"
        f"s = Settings(corpus_dir={str(corpus)!r}, index_dir={str(tmp_path / 'index')!r}, embed_runtime='onnx')\n"
        "e = build_engine(s)\n"
        "a = e.ask('普陀2024年新增多少养老床位？')\n"
        "print(json.dumps({'text': a.text, 'loaded': sorted(m for m in ('torch', 'transformers', "
        "'sentence_transformers') if m in sys.modules)}, ensure_ascii=False))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["loaded"] == []
    assert "200张" in result["text"]


@pytest.mark.slow
def test_the_export_sits_beside_the_torch_folder_and_is_not_redone(runtimes):
    fp32 = runtimes["onnx"]
    folder = fp32.folder
    assert folder.parent == Settings().model_cache_dir and onnx_export.is_exported(folder, int8=True)
    assert onnx_export.is_split(folder) and fp32.model_path.name == "transformer.onnx"
    assert runtimes["onnx-int8"].model_path.name == "model-int8.onnx"  # int8 keeps its own (int8) lookup
    stamp = (folder / "model.onnx").stat().st_mtime_ns
    assert onnx_export.ensure_onnx_folder(folder, folder.parent / "e5-small-st", int8=True) == folder
    assert (folder / "model.onnx").stat().st_mtime_ns == stamp
    assert not list(folder.parent.glob(f".{folder.name}.tmp-*")) and not list(folder.glob(".*tmp*"))
    config = onnx_export.read_config(folder)
    assert config["prompts"]["query"] == "query: " and config["max_seq_length"] == 512
