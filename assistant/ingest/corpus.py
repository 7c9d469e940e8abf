"""The corpus folder as the knowledge-base tab manages it: list, save an upload, delete a file."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from assistant.core.errors import CorpusError
from assistant.core.settings import Settings
from assistant.ingest.loading import SUPPORTED

_EXT_LIST = "、".join(SUPPORTED)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')


def safe_name(filename: str) -> str:
    """The file's base name with any folder parts, control and reserved characters taken out."""
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").split("/")[-1]
    name = _UNSAFE.sub("", name).strip().strip(".").strip()
    if not name or name.startswith("."):
        raise CorpusError(f"文件名“{filename}”不能使用："
                          "请改成普通的文件名（例如“2024年工作要点.docx”）后再上传。")
    if len(name.encode("utf-8")) > 200:
        raise CorpusError("文件名太长：请把文件名改短（不超过60个汉字）后再上传。")
    return name


def _check_extension(name: str) -> None:
    if Path(name).suffix.lower() not in SUPPORTED:
        ext = Path(name).suffix or "无扩展名"
        raise CorpusError(f"不支持“{ext}”格式的文件“{name}”：请上传 {_EXT_LIST} 文件。")


def list_files(settings: Settings) -> list[Path]:
    """The documents in the corpus folder (supported formats only, manifest excluded), by name."""
    folder = Path(settings.corpus_dir)
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in SUPPORTED and not p.name.startswith(".")
    )


def save_upload(settings: Settings, filename: str, data: bytes) -> Path:
    """Save an uploaded document into the corpus folder under its safe base name; never overwrites."""
    name = safe_name(filename)
    _check_extension(name)
    if not data:
        raise CorpusError(f"文件“{name}”是空的：请检查文件内容后重新上传。")
    limit = settings.max_upload_bytes
    if len(data) > limit:
        raise CorpusError(
            f"文件“{name}”有{len(data) / 1048576:.1f}MB，超过上限{limit / 1048576:.0f}MB："
            "请拆分成较小的文件，或请管理员调大 ASSISTANT_MAX_UPLOAD_BYTES。"
        )
    folder = Path(settings.corpus_dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    target = (folder / name).resolve()
    if target.parent != folder:  # belt and braces: safe_name already keeps it inside
        raise CorpusError(f"文件名“{filename}”不能使用：请改成普通的文件名后再上传。")
    existing = {p.name.lower(): p for p in folder.iterdir()}
    if name.lower() in existing:
        same = existing[name.lower()].is_file() and existing[name.lower()].read_bytes() == data
        if same:
            raise CorpusError(f"知识库里已经有“{name}”，内容完全相同，无需再次上传。")
        raise CorpusError(
            f"知识库里已经有同名文件“{name}”：如要替换，请先删除旧文件再上传；如要保留两份，请改名后上传。"
        )
    with open(target, "xb") as f:  # "x": fail rather than overwrite if it appeared meanwhile
        f.write(data)
    return target


def delete_document(settings: Settings, source: str) -> None:
    """Delete one document file of the corpus folder, named as `Document.source` names it."""
    folder = Path(settings.corpus_dir).resolve()
    if not source or "/" in source or "\\" in source or source.strip(".") == "":
        raise CorpusError(f"“{source}”不是知识库里的文件名：请从文档列表中选择要删除的文件。")
    target = (folder / source).resolve()
    if target.parent != folder or not target.is_file() or target.suffix.lower() not in SUPPORTED:
        raise CorpusError(f"知识库里没有文件“{source}”：请从文档列表中选择要删除的文件（列表可能需要刷新）。")
    target.unlink()


def take_upload(path: str | Path, upload_dir: str | Path) -> bytes:
    """The bytes of a file the web app received into `upload_dir`, then removed from there.

    A path outside `upload_dir` (a server file named in a crafted request) is refused: only what a
    client actually uploaded becomes a document.
    """
    root = Path(os.path.realpath(upload_dir))
    target = Path(os.path.realpath(path))
    if target == root or not target.is_relative_to(root) or not target.is_file():
        raise CorpusError(f"“{Path(path).name}”不是刚上传的文件：请在页面上选择本机的文件上传。")
    try:
        return target.read_bytes()
    finally:
        remove_upload(target, root)


def remove_upload(path: Path, upload_dir: Path) -> None:
    """Delete an uploaded file and the folders it sat in below `upload_dir`, if they are left empty."""
    path.unlink(missing_ok=True)
    folder = path.parent
    while folder != upload_dir and folder.is_relative_to(upload_dir):
        try:
            folder.rmdir()
        except OSError:  # not empty: another upload lives there
            return
        folder = folder.parent
