"""Loading: every supported format, the manifest, metadata guessing, and files that must be skipped."""

# ruff: noqa: E501 -- tables of Chinese text; ruff counts each CJK character twice

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.errors import CorpusError
from assistant.core.settings import get_settings
from assistant.ingest.loading import guess_meta, load_corpus, load_document
from assistant.ingest.sectioning import parse_sections

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
BODY = "一、加强养老服务\n一是增加床位供给。计划新增200张养老床位，护理型床位占比达到60%。\n二是提升服务。开展培训。"


def settings_for(folder: Path, **kw):
    return get_settings(corpus_dir=folder, **kw)


def section_titles(doc) -> list[str]:
    return [s.path[-1] for s in parse_sections(doc)]


# --- metadata guessing -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("上海市普陀区民政局\n普民〔2024〕4号\n关于印发《普陀区民政局2024年工作要点》的通知\n正文。",
         dict(title="普陀区民政局2024年工作要点", issuer="上海市普陀区民政局", doc_number="普民〔2024〕4号",
              district="普陀区", years=(2024,), doc_type="工作要点", date=None)),
        ("上海市民政局\n沪民办发〔2022〕5号\n上海市民政局关于印发《2022年上海民政工作要点》的通知\n2022年2月14日",
         dict(title="2022年上海民政工作要点", issuer="上海市民政局", doc_number="沪民办发〔2022〕5号",
              district="上海市", years=(2022,), doc_type="工作要点", date="2022-02-14")),
        ("长宁区民政事业发展“十四五”规划中期评估报告\n•发文机构：上海市长宁区民政局\n•发布日期：2023-10-26\n正文。",
         dict(title="长宁区民政事业发展“十四五”规划中期评估报告", issuer="上海市长宁区民政局", doc_number=None,
              district="长宁区", years=(2021, 2022, 2023, 2024, 2025), doc_type="中期评估", date="2023-10-26")),
        ("徐汇区2021年养老服务工作总结\n今年以来，我们做了很多工作。\n2021年12月30日",
         dict(title="徐汇区2021年养老服务工作总结", issuer=None, doc_number=None, district="徐汇区",
              years=(2021,), doc_type="总结", date="2021-12-30")),
        ("浦东新区养老服务设施布局规划（2021—2023年）\n正文。",
         dict(title="浦东新区养老服务设施布局规划（2021—2023年）", issuer=None, doc_number=None,
              district="浦东新区", years=(2021, 2022, 2023), doc_type="规划", date=None)),
        ("没有标题的一段正文，说了一些事情。", dict(title="notes", district=None, years=(), doc_type=None)),
    ],
)
def test_guess_meta(text: str, expected: dict) -> None:
    meta = guess_meta(text, "notes.txt")
    for key, value in expected.items():
        assert getattr(meta, key) == value, key


def test_manifest_entry_overrides_guesses(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text("关于印发《2022年宝山民政工作要点》的通知\n" + BODY, encoding="utf-8")
    doc = load_document(path, {"title": "别名", "district": "宝山区", "years": [2022, 2023], "date": None,
                               "unknown_key": 1})
    assert doc.meta.title == "别名" and doc.meta.years == (2022, 2023) and doc.meta.doc_type == "工作要点"


def test_bad_manifest_is_reported_and_ignored(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "a.txt").write_text("2024年普陀区工作要点\n" + BODY, encoding="utf-8")
    docs, skipped = load_corpus(settings_for(tmp_path))
    assert len(docs) == 1 and docs[0].meta.district == "普陀区"
    assert len(skipped) == 1 and skipped[0].startswith("manifest.json：")


# --- formats ---------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_text_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "plan.txt"
    path.write_text("普陀区民政局2024年工作要点\n" + BODY, encoding=encoding)
    doc = load_document(path)
    assert "计划新增200张养老床位" in doc.text
    assert doc.text.startswith("普陀区民政局2024年工作要点\n")  # no BOM, no mojibake


def test_markdown_headings(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text("# 2024年工作要点\n\n## 一、加强养老服务\n\n**（一）增加床位。**计划新增 200 张养老床位。\n",
                    encoding="utf-8")
    doc = load_document(path)
    assert doc.text == "2024年工作要点\n一、加强养老服务\n（一）增加床位。计划新增200张养老床位。"
    assert [doc.text[s:e] for s, e in doc.headings] == ["2024年工作要点", "一、加强养老服务", "（一）增加床位。"]


def test_docx_heading_styles_and_bold_runs(tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("普陀区2024年工作要点", level=1)
    d.add_heading("养老服务", level=2)  # unnumbered: only the style says it is a heading
    p = d.add_paragraph()
    p.add_run("一是增加床位供给。").bold = True
    p.add_run("计划新增 200 张养老床位。")
    d.add_paragraph("第二段正文，说明工作")
    d.add_paragraph("要求。")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "项目", "目标"
    table.cell(1, 0).text, table.cell(1, 1).text = "养老床位", "200张"
    path = tmp_path / "plan.docx"
    d.save(str(path))
    doc = load_document(path)
    assert "一是增加床位供给。计划新增200张养老床位。" in doc.text
    assert "第二段正文，说明工作要求。" in doc.text  # a paragraph split across two docx paragraphs
    assert "养老床位，200张。" in doc.text
    assert [doc.text[s:e] for s, e in doc.headings] == ["普陀区2024年工作要点", "养老服务", "一是增加床位供给。"]
    assert doc.meta.district == "普陀区" and doc.meta.years == (2024,)
    assert section_titles(doc) == ["普陀区2024年工作要点", "养老服务", "一是增加床位供给"]


def test_pdf_with_cjk_text(tmp_path: Path) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "plan.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 12)
    lines = ["关于印发《2022年宝山民政工作要点》的通知", "一、加强养老服务",
             "一是增加养老设施供给。落实为民办实事项目，新增 760 张养", "老床位，改建 180 张认知障碍照护床位。"]
    for i, line in enumerate(lines[:3]):
        c.drawString(60, 780 - 20 * i, line)
    c.showPage()  # the sentence goes on over the page break
    c.setFont("STSong-Light", 12)
    c.drawString(60, 780, lines[3])
    c.save()
    doc = load_document(path, home="上海市")  # 宝山 alone is a short name: read against the home place
    assert "新增760张养老床位，改建180张认知障碍照护床位。" in doc.text
    assert doc.meta.title == "2022年宝山民政工作要点" and doc.meta.district == "宝山区"
    assert "一是增加养老设施供给" in section_titles(doc)


def test_html_headings_and_noise(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>t</title><style>p{color:red}</style></head><body>"
        "<nav>首页 | 政务公开</nav><script>var x = '计划新增999张';</script>"
        "<h1>长宁区2022年工作要点</h1><h3>二、养老服务</h3>"
        "<p>新增床位 200 张，<b>重点</b>推进。</p><ul><li>项目一。</li><li>项目二。</li></ul>"
        "</body></html>", encoding="utf-8")
    doc = load_document(path)
    assert "999" not in doc.text and "首页" not in doc.text and "color" not in doc.text
    assert "新增床位200张，重点推进。" in doc.text
    assert "项目一。\n项目二。" in doc.text
    assert [doc.text[s:e] for s, e in doc.headings] == ["长宁区2022年工作要点", "二、养老服务"]
    assert doc.meta.district == "长宁区"


# --- files that are skipped, folders that cannot be used --------------------------------------

def test_bad_files_are_skipped_with_a_message_and_the_rest_loaded(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("2024年普陀区工作要点\n" + BODY, encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "empty.txt").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "big.md").write_text("很长的文件。" * 400, encoding="utf-8")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (tmp_path / "x.bin").write_bytes(b"\x00\x01\x02")
    (tmp_path / "copy.md").write_text("2024年普陀区工作要点\n" + BODY, encoding="utf-8")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00")
    docs, skipped = load_corpus(settings_for(tmp_path, max_file_bytes=2000))
    assert [d.source for d in docs] == ["copy.md"]  # sorted first; good.txt then repeats it
    by_file = {m.split("：", 1)[0]: m for m in skipped}
    assert set(by_file) == {"binary.txt", "empty.txt", "big.md", "broken.docx", "broken.pdf", "x.bin", "good.txt"}
    assert "不是可读的文本文件" in by_file["binary.txt"] and by_file["binary.txt"].endswith("已跳过")
    assert "没有提取到文字" in by_file["empty.txt"]
    assert "文件过大（7.0 KB，上限 2.0 KB）" in by_file["big.md"]
    assert "不是可读的Word 文档" in by_file["broken.docx"]
    assert "PDF" in by_file["broken.pdf"]
    assert "不支持的文件类型（.bin）" in by_file["x.bin"]
    assert "与 copy.md 内容相同" in by_file["good.txt"]


def test_load_document_raises_corpus_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_bytes(b"\x00\xff\x00\xfe" * 100)
    with pytest.raises(CorpusError, match=r"^data\.txt：不是可读的文本文件"):
        load_document(path)


def test_empty_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="没有可读取的文档") as err:
        load_corpus(settings_for(tmp_path))
    assert str(tmp_path) in str(err.value)


def test_folder_with_no_supported_files_raises(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"documents": {}}', encoding="utf-8")
    (tmp_path / "notes.xlsx").write_bytes(b"PK")
    with pytest.raises(CorpusError, match="没有可读取的文档"):
        load_corpus(settings_for(tmp_path))


def test_folder_where_every_file_fails_raises_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"\x00" * 50)
    with pytest.raises(CorpusError, match=r"都无法读取：a\.txt：不是可读的文本文件"):
        load_corpus(settings_for(tmp_path))


def test_missing_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="不存在"):
        load_corpus(settings_for(tmp_path / "nowhere"))


def test_document_with_no_headings(tmp_path: Path) -> None:
    path = tmp_path / "memo.txt"
    path.write_text("今年以来，社区新增助餐点 3 个。\n\n下一步将继续推进。", encoding="utf-8")
    doc = load_document(path)
    assert doc.text == "今年以来，社区新增助餐点3个。\n下一步将继续推进。"
    assert doc.headings == () and parse_sections(doc) == []
    assert doc.meta.title == "memo"


def test_issuers_named_together_on_one_line_are_read_as_the_issuer():
    from assistant.ingest.metadata import guess_issuer

    head = "# 2021年某某市国民经济和社会发展统计公报\n\n某某市统计局 国家统计局某某调查队\n\n2022年3月25日"
    assert guess_issuer(head) == "某某市统计局、国家统计局某某调查队"


def test_a_document_whose_text_names_no_place_takes_its_place_and_title_from_the_file_name():
    from assistant.ingest.metadata import guess_meta

    text = "2024年工作总结\n2024年，全市民政系统聚焦高质量发展，新增养老床位300张。"
    meta = guess_meta(text, "中山市民政局2024年工作总结.txt")
    assert meta.title == "中山市民政局2024年工作总结" and meta.district == "中山市"
    numbered = guess_meta("一、2025年工作总结\n全市新增养老床位20张。", "沅江市民政局2025年上半年工作总结.txt")
    assert numbered.title == "沅江市民政局2025年上半年工作总结" and numbered.district == "沅江市"
