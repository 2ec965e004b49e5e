"""Reading raw county files (原始数据读取): .xlsx / .xls / .csv (UTF-8 or GBK/GB18030) with Chinese headers.

Handles what real returns look like: title rows above the header, merged cells, full-width characters and
stray spaces in headers, units in the header (``教学仪器设备资产值（万元）``), total rows (合计) and a notes sheet.
Cells are returned as found (strings or numbers); typing and units are the cleaning step's job. Each data row
keeps its row number as a person sees it in Excel (or the line number in a CSV), so every problem can be
reported by file, sheet, row and column. Raw files are only ever opened for reading.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.data.columns import TABLES, Column, Table, parts_supplied

EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".csv")
HEADER_SCAN_ROWS = 20
TOTAL_ROW_MARKERS = ("合计", "总计", "小计", "全县合计")
QUESTION_HEADER = re.compile(r"^(题|问题|Q|q)\s*\d+")


class InputFileError(ValueError):
    """A raw file that cannot be read at all (unknown format, no header, missing required columns)."""


@dataclass
class RawSheet:
    """One table as read from a raw file: English-id columns, raw cell values, Excel row numbers as index."""

    table: Table
    path: Path
    sheet: str
    frame: pd.DataFrame
    header_row: int
    headers: dict[str, str]  # id → header text as found
    units: dict[str, str] = field(default_factory=dict)  # id → unit or basis stated in the header
    unknown_columns: list[str] = field(default_factory=list)
    dropped_rows: list[tuple[int, str]] = field(default_factory=list)  # (row, why)

    @property
    def file(self) -> str:
        return self.path.name


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def normalize_text(value: object) -> str:
    """NFKC (full-width → half-width), no whitespace of any kind."""
    if value is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def _header_key(text: str) -> str:
    return normalize_text(text).lstrip("*").replace("㎡", "m2")


_UNIT_SUFFIX = re.compile(r"^(.*?)[(\[]([^()\[\]]*)[)\]]$")


def match_header(text: object, table: Table) -> tuple[Column | None, str]:
    """The column a header names, and the unit/qualifier in its trailing brackets (``（万元）`` → 万元)."""
    key = _header_key(str(text) if text is not None else "")
    if not key:
        return None, ""
    lookup = {}
    for col in table.columns:
        for name in (col.zh, *col.aliases, col.id):
            lookup[_header_key(name)] = col
    if key in lookup:
        return lookup[key], ""
    m = _UNIT_SUFFIX.match(key)
    while m:  # strip trailing bracket groups one by one: 体育运动场(馆)面积(m2)
        key, unit = m.group(1), m.group(2)
        if key in lookup:
            return lookup[key], unit
        m = _UNIT_SUFFIX.match(key)
    return None, ""


def find_input_files(folder: Path) -> dict[str, Path]:
    """Map table id → file in a county-year folder, by file name (学校基本情况.xlsx, 专任教师情况.csv, ...).

    The longest matching name wins (质量监测结果 before 质量监测). Two files for the same table is an error.
    A county may hand in one evaluation only (义务教育 or 学前教育): the required tables are those of the parts
    (``Table.part``) it supplies.
    """
    if not folder.is_dir():
        raise InputFileError(f"{folder}: raw data folder not found")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in EXTENSIONS or path.name.startswith(("~$", ".")):
            continue
        stem = normalize_text(path.stem).lower()
        best = max(((len(s), t.id) for t in TABLES.values() for s in t.stems if stem.startswith(s.lower())),
                   default=None)
        if best is None:
            continue
        table_id = best[1]
        if table_id in found:
            raise InputFileError(f"{folder}: two files for table {TABLES[table_id].zh}: {found[table_id].name}, {path.name}")
        found[table_id] = path
    parts = parts_supplied(found) or ["compulsory"]  # an empty folder is asked for the compulsory tables
    missing = [t.zh for t in TABLES.values() if t.required and t.part in parts and t.id not in found]
    if missing:
        raise InputFileError(f"{folder}: required file(s) missing: {', '.join(missing)} (.xlsx/.xls/.csv)")
    return found


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK/GB2312)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputFileError(f"{path.name}: text encoding not recognised (expected UTF-8 or GBK/GB18030)")


def read_grids(path: Path) -> list[tuple[str, list[list[object]]]]:
    """Every sheet of a file as a grid of cell values; merged ranges are filled with their top-left value."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = decode_text(path.read_bytes(), path)
        return [("", [list(r) for r in csv.reader(io.StringIO(text))])]
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
        grids = []
        for ws in wb.worksheets:
            grid = [list(row) for row in ws.iter_rows(values_only=True)]
            for rng in ws.merged_cells.ranges:
                top = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(grid) else None
                for r in range(rng.min_row - 1, min(rng.max_row, len(grid))):
                    for c in range(rng.min_col - 1, rng.max_col):
                        if c < len(grid[r]):
                            grid[r][c] = top
            grids.append((ws.title, grid))
        return grids
    if suffix == ".xls":
        import xlrd

        book = xlrd.open_workbook(str(path), formatting_info=False)
        grids = []
        for sh in book.sheets():
            grid = [[sh.cell_value(r, c) for c in range(sh.ncols)] for r in range(sh.nrows)]
            for r0, r1, c0, c1 in getattr(sh, "merged_cells", []):
                for r in range(r0, r1):
                    for c in range(c0, c1):
                        grid[r][c] = grid[r0][c0]
            grids.append((sh.name, grid))
        return grids
    raise InputFileError(f"{path.name}: unsupported file type {suffix} (use .xlsx, .xls or .csv)")


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and pd.isna(value))


def locate_header(grid: list[list[object]], table: Table) -> tuple[int, int]:
    """(row index, number of known headers) of the row naming the most known columns in the first rows."""
    best = (-1, 0)
    for i, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        ids = {c.id for c in (match_header(v, table)[0] for v in row) if c is not None}
        if len(ids) > best[1]:
            best = (i, len(ids))
    return best


def read_table(path: Path, table: Table) -> RawSheet:
    """Read ``table`` from ``path``: the sheet whose header row names the most known columns."""
    grids = read_grids(path)
    scored = [(locate_header(grid, table), name, grid) for name, grid in grids]
    (header_idx, score), sheet, grid = max(scored, key=lambda s: s[0][1])
    if score == 0:
        raise InputFileError(f"{path.name}: no header row with the columns of {table.zh} found in the first "
                             f"{HEADER_SCAN_ROWS} rows (expected headers such as {', '.join(c.zh for c in table.columns[:4])})")
    header = grid[header_idx]
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    units: dict[str, str] = {}
    unknown: list[str] = []
    for j, text in enumerate(header):
        col, unit = match_header(text, table)
        if col is None:
            if not _is_empty(text):
                unknown.append(str(text).strip())
            continue
        if col.id in positions:
            raise InputFileError(f"{path.name} [{sheet or 'csv'}] row {header_idx + 1}: column {col.zh} appears twice")
        positions[col.id] = j
        headers[col.id] = str(text).strip()
        if unit:
            units[col.id] = unit
    missing = [c.zh for c in table.columns if c.required and c.id not in positions]
    if missing:
        raise InputFileError(f"{path.name} [{sheet or 'csv'}] header row {header_idx + 1}: required column(s) "
                             f"missing: {', '.join(missing)}")
    extra_positions = {}
    if table.questions:  # every question column is kept under its own header
        extra_positions = {normalize_text(h): j for j, h in enumerate(header)
                           if not _is_empty(h) and QUESTION_HEADER.match(normalize_text(h))}
        unknown = [u for u in unknown if normalize_text(u) not in extra_positions]
    records, index, dropped = [], [], []
    name_pos = positions.get("school_name")
    for i in range(header_idx + 1, len(grid)):
        row = grid[i]
        cells = {cid: (row[j] if j < len(row) else None) for cid, j in positions.items()}
        cells.update({q: (row[j] if j < len(row) else None) for q, j in extra_positions.items()})
        if all(_is_empty(v) for v in cells.values()):
            continue
        first_texts = [normalize_text(v) for v in row[:3] if not _is_empty(v)]
        if any(t in TOTAL_ROW_MARKERS for t in first_texts) or (
                name_pos is not None and normalize_text(cells.get("school_name")) in TOTAL_ROW_MARKERS):
            dropped.append((i + 1, "合计行（不是学校）已忽略"))
            continue
        records.append(cells)
        index.append(i + 1)
    frame = pd.DataFrame.from_records(records, columns=[*positions, *extra_positions])
    frame.index = pd.Index(index, name="row")
    return RawSheet(table, path, sheet, frame, header_idx + 1, headers, units, unknown, dropped)


def parts_in_folder(folder: Path) -> list[str]:
    """The evaluations a county-year folder supplies (``compulsory``, ``preschool``), from its file names."""
    return parts_supplied(find_input_files(folder))
