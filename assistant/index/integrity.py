"""Index integrity: the size and SHA-256 of every index file, recorded in the manifest, checked at load.

An emptied `facts.jsonl`, a truncated `vectors.faiss` or a hand-edited chunk no longer passes
silently: `integrity_problem` names the file, and the index is rebuilt or refused with that message.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

MANIFEST = "manifest.json"
COUNTED = {"documents.jsonl": "documents", "chunks.jsonl": "chunks", "facts.jsonl": "facts"}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def index_files(folder: Path) -> dict[str, dict]:
    """{relative path: {"bytes", "sha256"}} of every file of an index folder but the manifest."""
    return {
        path.relative_to(folder).as_posix(): {"bytes": path.stat().st_size, "sha256": _sha256(path)}
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def _lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def integrity_problem(folder: Path, manifest: dict) -> str | None:
    """What is wrong with the files of an index against its manifest, in Chinese; None when all match."""
    recorded = manifest.get("files")
    if not isinstance(recorded, dict) or not recorded:
        return "索引清单中没有文件校验信息（旧版本建立的索引）"
    for name, expected in sorted(recorded.items()):
        path = folder / name
        if not path.is_file():
            return f"缺少索引文件 {name}"
        if path.stat().st_size != expected.get("bytes"):
            return f"索引文件 {name} 的大小（{path.stat().st_size} 字节）与清单记录（{expected.get('bytes')} 字节）不符"
        if _sha256(path) != expected.get("sha256"):
            return f"索引文件 {name} 的内容与清单记录的校验值不符（文件被改动或损坏）"
    for name, key in COUNTED.items():
        path = folder / name
        if key in manifest and path.is_file() and _lines(path) != manifest[key]:
            return f"索引文件 {name} 有 {_lines(path)} 条记录，清单记录为 {manifest[key]} 条"
    return None
