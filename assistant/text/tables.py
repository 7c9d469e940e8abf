"""Table rows as sentences: a statistics table (指标名称 | 单位 | 数量) read row by row.

A row that names a thing, its unit and its figure (养老机构床位 | 万张 | 9.5) becomes 养老机构床位9.5万张。,
which the figure reader takes like any sentence; a row naming only a group (城市最低生活保障 | |) becomes
a label 城市最低生活保障：, so the rows under it read in its paragraph; a row with a unit and no figure
says the table leaves it blank. Pure functions; used for pipe tables in text files and for DOCX tables.
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


def is_unit(cell: str) -> bool:
    """Whether a cell holds only a unit (个, 万张, 元/人·月, %)."""
    if not cell or not _UNIT_CELL.fullmatch(cell):
        return False
    base = cell.split("/")[0].lstrip("万亿千百")
    return cell in UNITS or base in UNITS or cell in ("%", "‰")


def row_sentence(cells: list[str]) -> str:
    """One table row as text: name + figure + unit for a figure row, a label for a group row, the
    cells joined by ， for anything else (a header, a row of several figures)."""
    cells = [c.strip().rstrip("。；;，,") for c in cells]
    filled = [c for c in cells if c]
    if not filled:
        return ""
    name = filled[0]
    rest = filled[1:]
    figures = [c for c in rest if _NUMBER.fullmatch(c)]
    units = [c for c in rest if is_unit(c)]
    if not rest:
        return f"{name}：" if not _NUMBER.fullmatch(name) else name
    if len(figures) == 1 and len(units) <= 1 and len(rest) == len(figures) + len(units):
        figure = figures[0].replace(",", "")
        unit = units[0] if units and not figure.endswith("%") else ""
        return f"{name}{figure}{unit}。"
    if units and not figures and len(rest) == len(units):
        return f"{name}（{units[0]}）。"  # the table leaves the figure blank
    return "，".join(filled) + "。"


_NUMBERED = re.compile(r"^(?:[一二三四五六七八九十]+、|\d+[.、．]|[(（][一二三四五六七八九十\d]+[)）])")
_RULE_CELL = re.compile(r":?-*:?")  # |---|:--:|


def table_lines(rows: list[list[str]]) -> list[str]:
    """A table's rows as lines: the rows under a group row (城市最低生活保障 | |) join its line, so
    that each figure reads in its group's paragraph; a numbered row (四、社会救助) stands alone as a
    heading would; rule rows (|---|) go."""
    lines: list[str] = []
    group = False
    for cells in rows:
        if all(_RULE_CELL.fullmatch(c.strip()) for c in cells):
            continue
        line = row_sentence(cells)
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
