"""Table rows as sentences: a statistics table (指标名称 | 单位 | 数量) read row by row.

A row that names a thing, its unit and its figure (养老机构床位 | 万张 | 9.5) becomes 养老机构床位9.5万张。,
which the figure reader takes like any sentence; a row naming only a group (城市最低生活保障 | |) becomes
a label 城市最低生活保障：, so the rows under it read in its paragraph; a row with a unit and no figure
says the table leaves it blank. A row with several figures is read against the table's header (数量 |
上季度 | 环比): 民政事业费累计支出1750824.6万元，上季度1142713.9万元，环比53.22%。

Tables come as pipe rows (a | b | c |, text files), as DOCX tables, or laid out with spaces as PDF and web
pages extract them (a header 指标名称 单位 代码 数量 …, then rows 2.社会救助 万元 JZH011212000 1,268,862.3 …);
`layout_table` finds the last kind. Pure functions.
"""

from __future__ import annotations

import re

from assistant.text.numbers import UNITS

_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?%?")
_UNIT_CELL = re.compile(r"(?:万|亿|千|百)?[\u4e00-\u9fff%‰]{1,3}(?:/[\u4e00-\u9fff·]{1,5})?")


def split_pipe_row(line: str) -> list[str] | None:
    """The cells of a pipe-table line (a | b | c |), None when the line is not one."""
    if line.count("|") < 2:
        return None
    return [c.strip() for c in line.strip().strip("|").split("|")]


def is_figure(cell: str) -> bool:
    """Whether a cell holds only a figure (1,268,862.3, 53.22, 4.70%)."""
    return bool(_NUMBER.fullmatch(cell))


def is_unit(cell: str) -> bool:
    """Whether a cell holds only a unit (个, 万张, 元/人·月, %)."""
    if not cell or not _UNIT_CELL.fullmatch(cell):
        return False
    base = cell.split("/")[0].lstrip("万亿千百")
    return cell in UNITS or base in UNITS or cell in ("%", "‰")


# Header cells: the column naming the row, its unit, an identifier column (not a figure), and a column of
# changes, whose figures are percentages when written bare (环比 53.22).
_NAME_COLUMNS = ("指标名称", "指标", "项目", "项目名称", "名称", "类别", "分类")
_UNIT_COLUMNS = ("单位", "计量单位", "单位名称")
_ID_COLUMNS = ("代码", "编码", "行次", "序号", "栏次", "备注")
_CHANGE_COLUMN = re.compile(r"同比|环比|增长|增减|增幅|比上年|比上季|比上月|%")
_HEADER_CELL = re.compile(r"[\u4e00-\u9fff%（）()±]{1,10}")
_CODE = re.compile(r"[A-Za-z]{1,4}\d{3,}[A-Za-z\d]*")  # JZH011211000: an indicator code


def header_columns(cells: list[str]) -> list[str] | None:
    """The figure columns of a header row (指标名称 | 单位 | 代码 | 数量 | 上季度 | 环比 → 数量, 上季度,
    环比), None when the row is not a table header: every cell a short column name, the first naming the
    rows or one naming the unit."""
    cells = [c.strip() for c in cells if c.strip()]
    if len(cells) < 3 or not all(_HEADER_CELL.fullmatch(c) for c in cells):
        return None
    if cells[0] not in _NAME_COLUMNS and not any(c in _UNIT_COLUMNS for c in cells):
        return None
    return [c for c in cells[1:] if c not in _UNIT_COLUMNS and c not in _ID_COLUMNS]


_BRACKETED_UNIT = re.compile(r"^(?P<label>.+?)[（(](?P<unit>[^（）()]{1,6})[）)]$")


def column_unit(column: str) -> tuple[str, str]:
    """A header column that names its unit in brackets (年末数（万人）, 比重（%）, 金额(亿元)) as (年末数, 万人);
    (column, "") for any other."""
    m = _BRACKETED_UNIT.match(column)
    if m and (is_unit(m["unit"]) or m["unit"] in ("%", "‰")):
        return m["label"], m["unit"]
    return column, ""


def row_sentence(cells: list[str], columns: list[str] | None = None) -> str:
    """One table row as text: name + figure + unit for a figure row, a label for a group row, the
    cells joined by ， for anything else (a header, a row of several figures without a header).

    With the header's figure `columns`, a row of several figures reads its first as the row's figure and
    each other one after its column's name (上季度1142713.9万元, 环比53.22%)."""
    cells = [c.strip().rstrip("。；;，,") for c in cells]
    filled = [c for c in cells if c]
    if not filled:
        return ""
    name = filled[0]
    rest = [c for c in filled[1:] if not _CODE.fullmatch(c)]
    figures = [c for c in rest if _NUMBER.fullmatch(c)]
    units = [c for c in rest if is_unit(c)]
    if not rest:
        return f"{name}：" if not _NUMBER.fullmatch(name) else name
    if len(units) <= 1 and len(rest) == len(figures) + len(units) and figures and (
            len(figures) == 1 or (columns and len(figures) <= len(columns))):
        said = []
        for i, figure in enumerate(figures):
            figure = figure.replace(",", "")
            column, column_said = column_unit(columns[i]) if columns and i < len(columns) else ("", "")
            unit = units[0] if units else column_said  # the row's unit cell, else its column's (年末数（万人）)
            if figure.endswith("%") or (unit == "%" and figure.endswith(unit)):
                unit = ""
            if i == 0:
                said.append(f"{name}{figure}{unit}")
            elif _CHANGE_COLUMN.search(column) and not column_said:
                said.append(f"{column}{figure}{'' if figure.endswith('%') else '%'}")
            else:
                said.append(f"{column}{figure}{unit}")
        return "，".join(said) + "。"
    if units and not figures and len(rest) == len(units):
        return f"{name}（{units[0]}）。"  # the table leaves the figure blank
    return "，".join(filled) + "。"


_NUMBERED = re.compile(r"^(?:[一二三四五六七八九十]+、|\d+[.、．]|[(（][一二三四五六七八九十\d]+[)）])")
_RULE_CELL = re.compile(r":?-*:?")  # |---|:--:|


def table_lines(rows: list[list[str]]) -> list[str]:
    """A table's rows as lines: the rows under a group row (城市最低生活保障 | |) join its line, so
    that each figure reads in its group's paragraph; a numbered row (四、社会救助) stands alone as a
    heading would; rule rows (|---|) and column-number rows (1 | 2 | 3) go; a header row gives the
    figure columns of the rows after it."""
    lines: list[str] = []
    group = False
    columns: list[str] | None = None
    for cells in rows:
        if all(_RULE_CELL.fullmatch(c.strip()) for c in cells):
            continue
        if (found := header_columns(cells)) is not None:
            columns = found
            lines.append("，".join(c.strip() for c in cells if c.strip()) + "。")
            group = False
            continue
        if all(re.fullmatch(r"\d{1,2}", c.strip()) for c in cells if c.strip()):
            continue  # 1 2 3 4: the columns' numbers
        line = row_sentence(cells, columns)
        if not line:
            continue
        if line.endswith("："):
            lines.append(line)
            group = not _NUMBERED.match(line)
        elif group:
            lines[-1] += line
        else:
            lines.append(line)
    return lines


# A row laid out with spaces: the name (one or more words: 其中:A 孤儿基本生活保障支出), then only a
# unit, an indicator code and figures.
_SPACES = re.compile(r"[ \t\u3000]+")


def layout_cells(line: str) -> list[str] | None:
    """The cells of a space-laid table row (2.社会救助 万元 JZH011212000 1,268,862.3 824,657.9) as
    [name, unit, code, figures…]; None when the line is not such a row (its words after the name are
    not all a unit, a code or figures)."""
    words = _SPACES.split(line.strip())
    if not words or not re.search(r"[\u4e00-\u9fff]", words[0] + "".join(words[1:2])):
        return None
    i = 1
    while i < len(words) and not (is_unit(words[i]) or _CODE.fullmatch(words[i]) or _NUMBER.fullmatch(words[i])):
        i += 1
    name_words, rest = words[:i], words[i:]
    if not rest:
        return None  # words alone: a line of text, not a row
    # A lone letter or roman numeral is an item's mark (A 孤儿…, 其中:B 事实无人抚养…, I 城市低保金).
    name = "".join(re.sub(r"(?<=[:：])(?:[A-Za-z]|[IVX]{1,4})$", "", w) for w in name_words
                   if not re.fullmatch(r"[A-Za-z]|[IVX]{1,4}|[a-z]\)", w))
    if not re.search(r"[\u4e00-\u9fff]", name):
        return None
    units = [w for w in rest if is_unit(w) and not _NUMBER.fullmatch(w)]
    if len(units) > 1 or (units and rest[0] != units[0]):
        return None
    if not all(is_unit(w) or _CODE.fullmatch(w) or _NUMBER.fullmatch(w) for w in rest):
        return None
    return [name, *rest]


def layout_table(lines: list[str], start: int) -> tuple[list[list[str]], int] | None:
    """The space-laid table whose header is lines[start] (指标名称 单位 代码 数量 上季度 环比): its rows as
    cells, header first, and the index of the first line after it; None when lines[start] is no header
    or no row follows. Blank lines and a row of column numbers (1 2 3 4) inside the table are passed."""
    header = _SPACES.split(lines[start].strip())
    if header_columns(header) is None:
        return None
    rows: list[list[str]] = [header]
    i = start + 1
    while i < len(lines):
        line = lines[i].strip()
        if not line or re.fullmatch(r"(?:\d{1,2}[ \t]+)*\d{1,2}", line):
            i += 1
            continue
        cells = layout_cells(line)
        if cells is None:
            break
        rows.append(cells)
        i += 1
    return (rows, i) if len(rows) > 1 else None
