"""Loading the shipped corpus: manifest metadata, stable content-hash ids, metadata guessed from the text alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.core.settings import get_settings
from assistant.core.types import DocMeta
from assistant.ingest.loading import load_corpus, load_document
from assistant.text.cleaning import clean_text

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def settings_for(folder: Path, **kw):
    return get_settings(corpus_dir=folder, **kw)


def test_real_corpus_loads_with_manifest_metadata() -> None:
    docs, skipped = load_corpus(settings_for(CORPUS))
    assert skipped == []
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["documents"]
    assert sorted(d.source for d in docs) == sorted(manifest)
    for doc in docs:
        entry = manifest[doc.source]
        assert doc.meta.title == entry["title"]
        assert doc.meta.district == entry["district"]
        assert doc.meta.years == tuple(entry["years"])
        assert doc.meta.doc_type == entry["doc_type"]
        assert doc.text == clean_text((CORPUS / doc.source).read_text(encoding="utf-8")).text
    assert len({d.doc_id for d in docs}) == 5


def test_doc_ids_are_stable_content_hashes(tmp_path: Path) -> None:
    first, _ = load_corpus(settings_for(CORPUS))
    second, _ = load_corpus(settings_for(CORPUS))
    assert [d.doc_id for d in first] == [d.doc_id for d in second]
    # the same text under another name, or re-encoded, gets the same id
    (tmp_path / "a.txt").write_text("正文内容。", encoding="utf-8")
    (tmp_path / "b.txt").write_text("正文内容。", encoding="gbk")
    assert load_document(tmp_path / "a.txt").doc_id == load_document(tmp_path / "b.txt").doc_id


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.txt")))
def test_guessed_metadata_matches_manifest(name: str) -> None:
    """With no manifest the text alone gives the same metadata (date aside where the text lacks it)."""
    entry = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["documents"][name]
    guessed = load_document(CORPUS / name).meta
    assert guessed == DocMeta(**{**entry, "years": tuple(entry["years"])})
