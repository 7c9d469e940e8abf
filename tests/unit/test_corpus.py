"""corpus.py: uploads land inside the corpus folder under a safe name, or are refused with a reason."""

from __future__ import annotations

import pytest

from assistant.core.errors import CorpusError
from assistant.core.settings import get_settings
from assistant.ingest.corpus import delete_document, list_files, safe_name, save_upload


@pytest.fixture
def settings(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "manifest.json").write_text("{}", encoding="utf-8")
    (corpus / "a.txt").write_text("甲", encoding="utf-8")
    return get_settings(corpus_dir=corpus, max_upload_bytes=1000)


@pytest.mark.parametrize("given, expected", [
    ("报告.docx", "报告.docx"),
    ("../../x.txt", "x.txt"),
    ("..\\..\\x.txt", "x.txt"),
    ("/etc/passwd.txt", "passwd.txt"),
    ("C:\\Users\\me\\工作要点.pdf", "工作要点.pdf"),
    ("  空格 .md ", "空格 .md"),
    ("a<b>:c?.html", "abc.html"),
    ("tab\tname.txt", "tabname.txt"),
    (".hidden.txt", "hidden.txt"),
])
def test_safe_name_keeps_only_a_plain_base_name(given, expected):
    assert safe_name(given) == expected


@pytest.mark.parametrize("given", ["", "..", "../", "a/..", "...", "\x00", "x" * 300 + ".txt"])
def test_safe_name_refuses_names_with_nothing_usable(given):
    with pytest.raises(CorpusError):
        safe_name(given)


def test_traversal_lands_inside_the_corpus_folder(settings, tmp_path):
    path = save_upload(settings, "../../evil.txt", "内容".encode())
    assert path == (settings.corpus_dir / "evil.txt").resolve()
    assert path.read_text(encoding="utf-8") == "内容"
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()


@pytest.mark.parametrize("name", ["x.exe", "x.json", "x", "x.txt.sh", "manifest.json", "x.doc"])
def test_unsupported_extensions_are_refused(settings, name):
    with pytest.raises(CorpusError, match="请上传"):
        save_upload(settings, name, b"data")
    assert not (settings.corpus_dir / name).exists() or name == "manifest.json"


@pytest.mark.parametrize("name", ["x.TXT", "x.md", "x.docx", "x.pdf", "x.html", "x.htm"])
def test_supported_extensions_are_saved(settings, name):
    assert save_upload(settings, name, b"data").name == name


def test_oversize_is_refused_with_the_limit(settings):
    with pytest.raises(CorpusError, match="超过上限"):
        save_upload(settings, "big.txt", b"x" * 1001)
    assert not (settings.corpus_dir / "big.txt").exists()
    assert save_upload(settings, "ok.txt", b"x" * 1000).is_file()  # exactly at the limit is fine


def test_empty_file_is_refused(settings):
    with pytest.raises(CorpusError, match="空的"):
        save_upload(settings, "e.txt", b"")


def test_duplicate_name_is_never_overwritten(settings):
    with pytest.raises(CorpusError, match="同名文件"):
        save_upload(settings, "a.txt", "乙".encode())
    with pytest.raises(CorpusError, match="同名文件"):
        save_upload(settings, "A.TXT", "乙".encode())  # case-insensitive file systems
    with pytest.raises(CorpusError, match="内容完全相同"):
        save_upload(settings, "a.txt", "甲".encode())
    assert (settings.corpus_dir / "a.txt").read_text(encoding="utf-8") == "甲"


def test_corpus_folder_is_created_when_missing(tmp_path):
    s = get_settings(corpus_dir=tmp_path / "new" / "corpus")
    assert save_upload(s, "a.md", b"# x").parent == (tmp_path / "new" / "corpus").resolve()


def test_list_files_skips_manifest_and_unsupported(settings):
    (settings.corpus_dir / "b.pdf").write_bytes(b"%PDF")
    (settings.corpus_dir / "notes.json").write_text("{}")
    (settings.corpus_dir / ".hidden.txt").write_text("x")
    (settings.corpus_dir / "sub.txt").mkdir()
    assert [p.name for p in list_files(settings)] == ["a.txt", "b.pdf"]


def test_list_files_of_a_missing_folder_is_empty(tmp_path):
    assert list_files(get_settings(corpus_dir=tmp_path / "none")) == []


def test_delete_removes_the_file(settings):
    delete_document(settings, "a.txt")
    assert not (settings.corpus_dir / "a.txt").exists()


@pytest.mark.parametrize("source", ["missing.txt", "../outside.txt", "/etc/passwd", "", "..", "manifest.json",
                                    "sub/a.txt"])
def test_delete_refuses_unknown_or_outside_files(settings, tmp_path, source):
    (tmp_path / "outside.txt").write_text("keep")
    with pytest.raises(CorpusError, match="请从文档列表中选择"):
        delete_document(settings, source)
    assert (tmp_path / "outside.txt").exists()
    assert (settings.corpus_dir / "manifest.json").exists()


def test_delete_refuses_a_symlink_pointing_outside(settings, tmp_path):
    (tmp_path / "secret.txt").write_text("keep")
    (settings.corpus_dir / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(CorpusError):
        delete_document(settings, "link.txt")
    assert (tmp_path / "secret.txt").exists()
