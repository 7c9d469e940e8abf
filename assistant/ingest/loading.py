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
from assistant.text.cleaning import clean_text
from assistant.text.lexicon import CITY, DISTRICTS

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
            doc = load_document(path, manifest.get(path.name), max_bytes=settings.max_file_bytes)
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


def load_document(path: Path, manifest_entry: dict | None = None, max_bytes: int | None = None
                  ) -> Document:
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
    meta = guess_meta(cleaned.text, name)
    if manifest_entry:
        meta = _apply_manifest(meta, manifest_entry)
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
            for row in block.rows:
                cells = [c.text.strip().rstrip("。；;") for c in row.cells]
                cells = [c for i, c in enumerate(cells) if c and c not in cells[:i]]  # merged cells repeat
                if cells:
                    lines.append("，".join(cells) + "。")
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
    for tag in soup(["script", "style", "nav", "noscript", "template", "head"]):
        tag.decompose()
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


# --- metadata guessing (pure) ---------------------------------------------------------------

_DOC_TYPES = ("工作要点", "中期评估", "评估", "总结", "规划", "实施方案", "方案", "计划", "实施意见", "意见",
              "办法", "细则", "条例", "报告", "通知")
_TITLE_END = re.compile(rf"(?:{'|'.join(_DOC_TYPES)}|要点)[”’》」]*$")
_ISSUER = re.compile(r"上海市(?:[\u4e00-\u9fff]{1,4}(?:新区|区|县))?民政局")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}[〔\[［(（]\d{4}[〕\]］)）]\d{1,4}号")
_DATE_CN = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_PLAN_YEARS = {"十三五": range(2016, 2021), "十四五": range(2021, 2026), "十五五": range(2026, 2031)}


def guess_meta(text: str, filename: str) -> DocMeta:
    """Title, issuer, 文号, district, years, type and date as far as the text itself says them."""
    head = text[:3000]
    title = _guess_title(head) or Path(filename).stem
    m = _ISSUER.search(head) or re.search(r"发文机构[：:]\s*(\S+)", head)
    issuer = (m.group(1) if m and m.lastindex else m.group(0)) if m else None
    number = _DOC_NUMBER.search(head)
    district = guess_district(issuer or "") or guess_district(title)
    doc_type = next((t for t in _DOC_TYPES if t in title), None)
    if doc_type in ("实施方案", "实施意见"):
        doc_type = doc_type[2:]
    return DocMeta(title=title, issuer=issuer, doc_number=number.group(0) if number else None,
                   district=district, years=guess_years(title), doc_type=doc_type, date=guess_date(text))


def _guess_title(head: str) -> str | None:
    m = re.search(r"关于印发\s*《(.+?)》", head)
    if m:
        return m.group(1).strip()
    for line in head.split("\n")[:15]:
        line = line.strip()
        if (4 <= len(line) <= 60 and "。" not in line and not _ISSUER.fullmatch(line)
                and _TITLE_END.search(line)):
            return line
    for line in head.split("\n")[:5]:
        line = line.strip()
        if 4 <= len(line) <= 60 and not re.search(r"[。，；]", line) and not _ISSUER.fullmatch(line):
            return line
    return None


def guess_district(text: str) -> str | None:
    """The district a title or issuer names (full or short form); 上海市 when only the city is named."""
    for full, aliases in DISTRICTS.items():
        if full == CITY:
            continue
        if full in text or any(len(a) >= 2 and a in text for a in aliases):
            return full
    return CITY if re.search(r"上海|全市|沪", text) else None


def guess_years(title: str) -> tuple[int, ...]:
    """Years a title speaks of: 2022, 2019—2022 (a range), 十四五 (2021–2025)."""
    m = re.search(r"((?:19|20)\d{2})\s*[—\-–~～至到]\s*((?:19|20)\d{2})", title)
    if m and int(m.group(1)) <= int(m.group(2)) <= int(m.group(1)) + 10:
        return tuple(range(int(m.group(1)), int(m.group(2)) + 1))
    years = sorted({int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", title)})
    if years:
        return tuple(years)
    for key, span in _PLAN_YEARS.items():
        if key in title:
            return tuple(span)
    return ()


def guess_date(text: str) -> str | None:
    """ISO date of issue: a 发布/成文日期 field, else a line that is just a date (the signature)."""
    m = re.search(r"(?:发布|成文|印发)日期[：:]\s*(\d{4}[-年]\d{1,2}[-月]\d{1,2})", text)
    if m:
        return _iso(m.group(1))
    for line in text.split("\n"):
        line = line.strip()
        if _DATE_CN.fullmatch(line) or _DATE_ISO.fullmatch(line):
            return _iso(line)
    return None


def _iso(s: str) -> str | None:
    m = _DATE_CN.search(s) or _DATE_ISO.search(s) or re.search(r"(\d{4})[-年](\d{1,2})[-月](\d{1,2})", s)
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else None
