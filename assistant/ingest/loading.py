"""Read the corpus folder (txt/md/docx/pdf/html + manifest.json) into cleaned `Document`s.

Readers turn each format into raw text with markdown-style heading marks (`#` for heading styles
and h1–h4, `**…**` for bold runs); `cleaning.clean_text` does the rest. Metadata comes from the
manifest where it lists the file, else it is guessed from the text (`guess_meta`).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import fields, replace
from pathlib import Path

from assistant.core.errors import CorpusError
from assistant.core.settings import Settings
from assistant.core.types import DocMeta, Document
from assistant.ingest.metadata import guess_meta, resolve_place
from assistant.text.cleaning import clean_text
from assistant.text.tables import table_lines

SUPPORTED = (".txt", ".md", ".markdown", ".docx", ".pdf", ".html", ".htm")
MANIFEST = "manifest.json"


def load_corpus(settings: Settings) -> tuple[list[Document], list[str]]:
    """Every readable document of the corpus folder, and one Chinese message per file left out."""
    folder = Path(settings.corpus_dir)
    if not folder.is_dir():
        raise CorpusError(f"语料目录 {folder} 不存在：请创建该目录并放入 txt/md/docx/pdf/html 文件，"
                          "或用 ASSISTANT_CORPUS_DIR 指定语料目录。")
    skipped: list[str] = []
    manifest = _read_manifest(folder / MANIFEST, skipped)
    paths = sorted(p for p in folder.iterdir() if p.is_file() and p.name != MANIFEST
                   and not p.name.startswith((".", "~$")))
    candidates = [p for p in paths if p.suffix.lower() in SUPPORTED]
    for p in paths:
        if p.suffix.lower() not in SUPPORTED:
            skipped.append(f"{p.name}：不支持的文件类型（{p.suffix or '无扩展名'}），已跳过；"
                           "支持 txt、md、docx、pdf、html")
    if not candidates:
        raise CorpusError(f"语料目录 {folder} 中没有可读取的文档（支持 txt、md、docx、pdf、html）："
                          "请放入文档后重新建索引。")
    docs: list[Document] = []
    seen: dict[str, str] = {}
    for path in candidates:
        try:
            doc = load_document(path, manifest.get(path.name), max_bytes=settings.max_file_bytes,
                                home=settings.home_place)
        except CorpusError as e:
            skipped.append(str(e))
            continue
        if doc.doc_id in seen:
            skipped.append(f"{path.name}：与 {seen[doc.doc_id]} 内容相同，已跳过")
            continue
        seen[doc.doc_id] = path.name
        docs.append(doc)
    if not docs:
        raise CorpusError(f"语料目录 {folder} 中的文档都无法读取：" + "；".join(skipped)
                          + "。请换成可读的文本、Word、PDF 或网页文件。")
    return docs, skipped


def load_document(path: Path, manifest_entry: dict | None = None, max_bytes: int | None = None,
                  home: str | None = None) -> Document:
    """Read, clean and describe one file; CorpusError (message names the file) if it cannot be used."""
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as e:
        raise CorpusError(f"{name}：无法读取（{e.strerror or e}），已跳过") from e
    if max_bytes is not None and size > max_bytes:
        raise CorpusError(f"{name}：文件过大（{_human(size)}，上限 {_human(max_bytes)}），已跳过；"
                          "可拆分后再放入，或调大 ASSISTANT_MAX_FILE_BYTES")
    raw = read_raw(path)
    cleaned = clean_text(raw)
    if not re.search(r"\w", cleaned.text):
        raise CorpusError(f"{name}：没有提取到文字（可能是扫描件或空文件），已跳过")
    meta = guess_meta(cleaned.text, name, home=home)
    if manifest_entry:
        meta = resolve_place(_apply_manifest(meta, manifest_entry), home=home)
    doc_id = hashlib.sha256(cleaned.text.encode("utf-8")).hexdigest()[:16]
    return Document(doc_id=doc_id, source=name, meta=meta, text=cleaned.text, headings=cleaned.headings)


def _human(n: int) -> str:
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{n / 1024:.1f} KB"


def read_raw(path: Path) -> str:
    """The file's text with markdown-style heading marks, by extension; CorpusError if unreadable."""
    ext = path.suffix.lower()
    try:
        if ext == ".docx":
            return _read_docx(path)
        if ext == ".pdf":
            return _read_pdf(path)
        data = path.read_bytes()
    except CorpusError:
        raise
    except Exception as e:  # third-party readers raise many kinds on broken files
        kind = {".docx": "Word 文档", ".pdf": "PDF 文件"}.get(ext, "文件")
        raise CorpusError(f"{path.name}：不是可读的{kind}（{type(e).__name__}: {e}），已跳过") from e
    text = decode_text(data, path.name)
    return _html_to_text(text) if ext in (".html", ".htm") else text


def decode_text(data: bytes, name: str = "文件") -> str:
    """Bytes → str: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (GBK); binary is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise CorpusError(f"{name}：不是可读的文本文件（编码既不是 UTF-8 也不是 GBK），已跳过")
    if _looks_binary(text):
        raise CorpusError(f"{name}：不是可读的文本文件（含二进制内容），已跳过")
    return text


def _looks_binary(text: str) -> bool:
    sample = text[:20000]
    if not sample:
        return False
    bad = sum(1 for c in sample if (unicodedata.category(c) in ("Cc", "Co", "Cn") and c not in "\n\r\t\f")
              or c == "\ufffd")
    return "\x00" in sample or bad / len(sample) > 0.02


def _read_docx(path: Path) -> str:
    import docx
    from docx.table import Table

    document = docx.Document(str(path))
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            rows = []
            for row in block.rows:
                cells = [c.text.strip() for c in row.cells]
                rows.append([c for i, c in enumerate(cells) if c and c not in cells[:i]])  # merged cells repeat
            lines.extend(table_lines(rows))
            continue
        text = block.text.strip()
        if not text:
            continue
        style = (block.style.name if block.style is not None else "") or ""
        m = re.match(r"(?:Heading|标题)\s*(\d)", style)
        if m or style == "Title":
            lines.append("#" * (int(m.group(1)) if m else 1) + " " + text)
            continue
        lead = ""
        for run in block.runs:
            if not run.text.strip() and not lead:
                continue
            if run.bold:
                lead += run.text
            else:
                break
        lead = lead.strip()
        if lead and text.startswith(lead):
            lines.append(f"**{lead}**{text[len(lead):]}")
        else:
            lines.append(text)
    return "\n".join(lines)


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    if reader.is_encrypted:
        try:
            reader.decrypt("")
        except Exception as e:
            raise CorpusError(f"{path.name}：PDF 已加密，无法读取，已跳过") from e
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _html_to_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "noscript", "template", "head", "header", "footer", "form",
                     "aside", "button"]):
        tag.decompose()  # page chrome, not the document
    article = soup.find("article") or soup.find("main")
    if article is not None and len(article.get_text(strip=True)) > 200:
        soup = article
    for tag in soup(["strong", "b"]):
        if tag.get_text(strip=True):
            tag.replace_with(f"**{tag.get_text(' ', strip=True)}**")
    for level in range(1, 7):
        for tag in soup.find_all(f"h{level}"):
            text = tag.get_text(" ", strip=True).replace("**", "")
            tag.replace_with(f"\n{'#' * min(level, 4)} {text}\n" if text else "")
    for tag in soup.find_all("br"):
        tag.replace_with("\n")
    blocks = ["p", "div", "li", "tr", "section", "article", "table", "ul", "ol", "blockquote"]
    for tag in soup.find_all(blocks):
        tag.insert_before("\n")
        tag.insert_after("\n")
    for tag in soup.find_all(["td", "th"]):
        tag.insert_after(" ")
    return soup.get_text()


def _read_manifest(path: Path, skipped: list[str]) -> dict[str, dict]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        docs = data.get("documents", {})
        if not isinstance(docs, dict):
            raise ValueError("documents 应为对象")
        return {k: v for k, v in docs.items() if isinstance(v, dict)}
    except (OSError, ValueError, AttributeError) as e:
        skipped.append(f"{MANIFEST}：无法解析（{e}），已忽略；文档信息将从正文推断")
        return {}


def _apply_manifest(meta: DocMeta, entry: dict) -> DocMeta:
    known = {f.name for f in fields(DocMeta)}
    updates = {k: v for k, v in entry.items() if k in known}
    if "years" in updates:
        updates["years"] = tuple(int(y) for y in updates["years"] or ())
    if updates.get("title") in (None, ""):
        updates.pop("title", None)
    return replace(meta, **updates)
