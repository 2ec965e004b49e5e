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
# A sign-off line under a table (填表人：…　审核人：…　日期：…): its first cell starts with one of these (no data
# cell does: the first column holds a code or a name).
SIGN_OFF_MARKERS = ("填表人", "填报人", "制表人", "审核人", "审核", "负责人", "单位负责人", "分管领导", "校长签字",
                    "联系电话", "电话", "填表日期", "填报日期", "日期", "签字", "签名", "盖章", "单位（盖章）")
QUESTION_HEADER = re.compile(r"^(题|问题|Q|q)\s*\d+")


def describe(file: str, sheet: str, row: int | None, column: str, value: object, expected: str) -> str:
    """One problem in Chinese, naming where it is and what was expected:
    ``学校基本情况.xlsx [Sheet1] 第5行 列「初中在校生数」：值 '约300'，应为 整数``."""
    where = file + (f" [{sheet}]" if sheet else "") + (f" 第{row}行" if row is not None and row == row else "")
    where += f" 列「{column}」" if column else ""
    shown = "" if value is None or value == "" else f"值 {value!r}，"
    return f"{where}：{shown}{'应为 ' if shown else ''}{expected}"


class InputFileError(ValueError):
    """A raw file that cannot be read at all (empty, damaged, encrypted, not a spreadsheet, no header, missing
    required columns): where it is (file, sheet, row, column, value) and what was expected, in Chinese."""

    def __init__(self, file: str, expected: str, *, sheet: str = "", row: int | None = None, column: str = "",
                 value: object = ""):
        self.file, self.expected, self.sheet, self.row, self.column, self.value = file, expected, sheet, row, column, value
        super().__init__(describe(file, sheet, row, column, value, expected))


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
    warnings: list[str] = field(default_factory=list)  # file-level notes for the user (e.g. wrong extension)
    missing_columns: list[str] = field(default_factory=list)  # ids of required columns absent (strict=False)

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


_HEADER_LOOKUP: dict[str, dict[str, Column]] = {}
_UNIT_SUFFIX = re.compile(r"^(.*?)[(\[]([^()\[\]]*)[)\]]$")


def match_header(text: object, table: Table) -> tuple[Column | None, str]:
    """The column a header names, and the unit/qualifier in its trailing brackets (``（万元）`` → 万元)."""
    key = _header_key(str(text) if text is not None else "")
    if not key:
        return None, ""
    lookup = _HEADER_LOOKUP.get(table.id)
    if lookup is None:  # built once per table: a header row may be thousands of cells wide
        lookup = _HEADER_LOOKUP[table.id] = {_header_key(name): col for col in (*table.columns, *table.guide)
                                             for name in (col.zh, *col.aliases, col.id)}
    if key in lookup:
        return lookup[key], ""
    m = _UNIT_SUFFIX.match(key)
    while m:  # strip trailing bracket groups one by one: 体育运动场(馆)面积(m2)
        key, unit = m.group(1), m.group(2)
        if key in lookup:
            return lookup[key], unit
        m = _UNIT_SUFFIX.match(key)
    return None, ""


def table_of_name(stem: str) -> str | None:
    """The table a file name names: the longest table name it contains (2025年学校基本情况表 → schools; 质量监测结果
    before 质量监测), or None."""
    stem = normalize_text(stem).lower()
    best = max(((len(s), t.id) for t in TABLES.values() for s in t.stems if s.lower() in stem), default=None)
    return best[1] if best else None


HEADER_MATCH_MIN = 3  # known headers a sheet must name to be taken for a table whose file name says nothing


def table_of_header(path: Path) -> str | None:
    """The table a spreadsheet's header row names (most known columns, at least :data:`HEADER_MATCH_MIN`), or None
    when it cannot be read or names too few."""
    try:
        grids = read_grids(path)
    except (InputFileError, OSError):
        return None
    scores = [(locate_header(grid, t)[1], t.id) for t in TABLES.values() for _, grid in grids]
    score, table_id = max(scores, default=(0, None))
    return table_id if score >= HEADER_MATCH_MIN else None


def closest_table(stem: str) -> str:
    """The table whose name is closest to ``stem`` (a suggestion for a file that matches none)."""
    import difflib

    stem = normalize_text(stem)
    return max(TABLES.values(), key=lambda t: difflib.SequenceMatcher(None, stem, t.zh).ratio()).zh


def _match_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """Table id → file of a folder (by name, else by header row) and a note per file matching no table."""
    found: dict[str, Path] = {}
    ignored: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in EXTENSIONS or path.name.startswith(("~$", ".")):
            continue
        table_id = table_of_name(path.stem) or table_of_header(path)
        if table_id is None:
            ignored.append(f"文件 {path.name} 的文件名和表头都不对应任何一张表，已忽略（最接近的是“{closest_table(path.stem)}”："
                           "请按 analysis templates 生成的模板命名）")
            continue
        if table_id in found:
            raise InputFileError(str(folder), f"同一张表 {TABLES[table_id].zh} 有两个文件：{found[table_id].name}、"
                                                 f"{path.name}（只保留一个）")
        found[table_id] = path
    return found, ignored


def table_file(folder: Path, table_id: str) -> Path | None:
    """The file of one table in a county-year folder, matched as :func:`find_input_files` does, or None (no folder,
    no such file). Used for an earlier year folder that is not run itself: its other tables are not required."""
    if not folder.is_dir():
        return None
    return _match_files(folder)[0].get(table_id)


def earlier_year_folders(folder: Path) -> list[Path]:
    """The sibling year folders of a county-year folder (``<county>/<year>``) before its year, oldest first."""
    if not folder.name.isdigit() or not folder.parent.is_dir():
        return []
    return sorted((p for p in folder.parent.iterdir() if p.is_dir() and p.name.isdigit()
                   and int(p.name) < int(folder.name)), key=lambda p: int(p.name))


def find_input_files(folder: Path, notes: list[str] | None = None) -> dict[str, Path]:
    """Map table id → file in a county-year folder, by file name (学校基本情况.xlsx, 2025年专任教师情况表.csv …);
    a file whose name names no table is taken by its header row. The longest matching name wins (质量监测结果
    before 质量监测). Two files for the same table is an error. ``notes`` receives a line per file left out.
    A county may hand in one evaluation only (义务教育 or 学前教育): the required tables are those of the parts
    (``Table.part``) it supplies.
    """
    if not folder.is_dir():
        raise InputFileError(str(folder), "找不到原始数据文件夹")
    found, ignored = _match_files(folder)
    if notes is not None:
        notes += ignored
    parts = parts_supplied(found) or ["compulsory"]  # an empty folder is asked for the compulsory tables
    missing = [t.zh for t in TABLES.values() if t.required and t.part in parts and t.id not in found]
    if missing:
        raise InputFileError(str(folder), f"缺少必需的文件：{'、'.join(missing)}（.xlsx/.xls/.csv）"
                                          + ("；" + "；".join(ignored) if ignored else ""))
    return found


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK/GB2312)."""
    if b"\x00" in data:  # UTF-16 ("Unicode 文本") or a binary file renamed to .csv
        raise InputFileError(path.name, "文件含有空字节（NUL），不是 UTF-8 或 GBK 编码的文本："
                                        "可能是 UTF-16 文本或改了扩展名的二进制文件，请在 Excel 中另存为 CSV UTF-8")
    errors = []
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            errors.append(exc)
    start = errors[0].start  # where UTF-8 failed: GB18030 pairs up bytes and fails somewhere less telling
    line = data[:start].count(b"\n") + 1
    column = start - data.rfind(b"\n", 0, start)
    raise InputFileError(path.name, f"无法识别的文本编码：第{line}行第{column}个字节起 {data[start:start + 4]!r} "
                                    "既不是 UTF-8 也不是 GBK/GB18030；请在 Excel 中另存为 CSV UTF-8", row=line)


ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
FORMAT_OF_SUFFIX = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".csv": "csv"}


def sniff_format(path: Path) -> str:
    """The format a file really has, from its first bytes: ``xlsx`` (a zip), ``xls`` (an OLE container) or
    ``csv`` (anything else, for a .csv); refuses empty, encrypted and non-spreadsheet files clearly."""
    suffix = path.suffix.lower()
    if suffix not in FORMAT_OF_SUFFIX:
        raise InputFileError(path.name, f"不支持的文件类型 {suffix}（请用 .xlsx、.xls 或 .csv）")
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if not head:
        raise InputFileError(path.name, "文件为空（0 字节）：请重新导出或复制该文件")
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        # an .xlsx with an open password is stored as an OLE container with these streams (MS-OFFCRYPTO)
        if "EncryptionInfo".encode("utf-16-le") in head or "EncryptedPackage".encode("utf-16-le") in head:
            raise InputFileError(path.name, "文件设置了打开密码（已加密），无法读取：请在 Excel 中取消密码后另存为 .xlsx")
        return "xls"
    if suffix != ".csv":
        kind = "网页（HTML）" if head.lstrip()[:1] == b"<" else "文本" if _is_text(head) else "未知格式的二进制"
        raise InputFileError(path.name, f"扩展名是 {suffix}，但内容不是 Excel 工作簿（看起来是{kind}文件）："
                                        "请在 Excel 中打开后另存为 .xlsx")
    return "csv"


def _is_text(head: bytes) -> bool:
    try:
        decode_text(head[: head.rfind(b"\n") + 1] or head, Path("-"))
        return True
    except InputFileError:
        return False


Grid = list[list[object]]


def _fill_merged(grid: Grid, ranges: list[tuple[int, int, int, int]]) -> None:
    """Fill merged ranges ``(min_row, min_col, max_row, max_col)`` (1-based) with their top-left value, within the
    rows and the widest row read (a merge over a whole sheet stays bounded)."""
    width = max((len(r) for r in grid), default=0)
    for r0, c0, r1, c1 in ranges:
        if r0 > len(grid) or c0 > len(grid[r0 - 1]):
            continue
        top = grid[r0 - 1][c0 - 1]
        for r in range(r0 - 1, min(r1, len(grid))):
            row = grid[r]
            last = min(c1, width)
            if len(row) < last:
                row.extend([None] * (last - len(row)))
            for c in range(c0 - 1, last):
                row[c] = top


def _trim(grid: Grid) -> Grid:
    while grid and not grid[-1]:
        grid.pop()
    return grid


def _xlsx_merged_ranges(wb, ws) -> list[tuple[int, int, int, int]]:
    """Merged ranges of a read-only sheet, streamed from its XML (read-only sheets do not expose them)."""
    from openpyxl.utils import range_boundaries
    from openpyxl.xml.functions import iterparse  # defusedxml when installed

    ranges = []
    with wb._archive.open(ws._worksheet_path) as src:
        for _, element in iterparse(src):
            if element.tag.endswith("}mergeCell"):
                c0, r0, c1, r1 = range_boundaries(element.get("ref"))
                ranges.append((r0, c0, r1, c1))
            element.clear()  # keeps memory bounded on a large sheet
    return ranges


def _xlsx_grids(path: Path) -> list[tuple[str, Grid]]:
    """Sheets streamed in read-only mode: the sheet's declared dimension (A1:XFD1048576 after one stray cell) is
    ignored, each row is as wide as its last cell and missing rows cost nothing."""
    import openpyxl

    with open(path, "rb") as fh:  # a file object: openpyxl would refuse an xlsx named .xls by its extension
        return _xlsx_grids_of(openpyxl.load_workbook(fh, read_only=True, data_only=True))


def _xlsx_grids_of(wb) -> list[tuple[str, Grid]]:
    try:
        grids = []
        for ws in wb.worksheets:
            ws.reset_dimensions()
            grid = [list(row) if any(v is not None for v in row) else [] for row in ws.iter_rows(values_only=True)]
            _fill_merged(_trim(grid), _xlsx_merged_ranges(wb, ws))
            grids.append((ws.title, grid))
        return grids
    finally:
        wb.close()


def _xls_grids(path: Path) -> list[tuple[str, Grid]]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=False, ragged_rows=True)
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise InputFileError(path.name, "文件设置了打开密码（已加密），无法读取：请在 Excel 中取消密码后另存为 .xlsx") from exc
        raise
    grids = []
    for sh in book.sheets():
        grid = _trim([sh.row_values(r) if sh.row_len(r) else [] for r in range(sh.nrows)])
        _fill_merged(grid, [(r0 + 1, c0 + 1, r1, c1) for r0, r1, c0, c1 in getattr(sh, "merged_cells", [])])
        grids.append((sh.name, grid))
    return grids


def read_grids(path: Path, fmt: str | None = None) -> list[tuple[str, Grid]]:
    """Every sheet of a file as a grid of cell values (row i is Excel row i + 1; an empty row is ``[]``); merged
    ranges are filled with their top-left value. ``fmt`` is the format found by :func:`sniff_format`.

    Any failure of the spreadsheet parsers (a truncated or corrupt file) becomes an :class:`InputFileError`.
    """
    fmt = fmt or sniff_format(path)
    if fmt == "csv":
        text = decode_text(path.read_bytes(), path)
        return [("", _trim([row for row in csv.reader(io.StringIO(text))]))]
    try:
        return _xlsx_grids(path) if fmt == "xlsx" else _xls_grids(path)
    except InputFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - zipfile, zlib, XML and xlrd raise many types on a damaged file
        raise InputFileError(path.name, f"文件已损坏或不完整，无法作为 {fmt} 读取（{type(exc).__name__}：{exc}）："
                                        "请重新导出或复制该文件") from exc


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


def is_sign_off_row(row: list[object]) -> bool:
    """A sign-off line (填表人：张三　审核人：李四　日期：2025年9月1日): its first non-empty cell is a sign-off word."""
    first = next((v for v in row if not _is_empty(v)), None)
    return isinstance(first, str) and normalize_text(first).startswith(SIGN_OFF_MARKERS)


def read_table(path: Path, table: Table, strict: bool = True) -> RawSheet:
    """Read ``table`` from ``path``: the sheet whose header row names the most known columns.

    A required column missing from the header raises :class:`InputFileError`; with ``strict=False`` it is listed in
    ``missing_columns`` instead and the other columns are read, so that every other check can still run."""
    fmt = sniff_format(path)
    warnings = []
    if fmt != FORMAT_OF_SUFFIX[path.suffix.lower()]:
        warnings.append(f"扩展名 {path.suffix} 与文件内容（{fmt}）不符，已按 {fmt} 读取：请改正扩展名")
    grids = read_grids(path, fmt)
    scored = [(locate_header(grid, table), name, grid) for name, grid in grids]
    (header_idx, score), sheet, grid = max(scored, key=lambda s: s[0][1])
    if score == 0:
        empty = "工作表为空" if not any(grid for _, grid in grids) else "没有找到表头行"
        raise InputFileError(path.name, f"{empty}：前{HEADER_SCAN_ROWS}行中应有{table.zh}的表头行"
                                        f"（如 {'、'.join(c.zh for c in table.columns[:4])}）", sheet=sheet)
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
        if col in table.guide:  # the template's own guidance (取值要求): known, not data
            continue
        if col.id in positions:
            raise InputFileError(path.name, f"列 {col.zh} 出现了两次（第{positions[col.id] + 1}列和第{j + 1}列），"
                                            "只能保留一列", sheet=sheet, row=header_idx + 1, column=str(text).strip())
        positions[col.id] = j
        headers[col.id] = str(text).strip()
        if unit:
            units[col.id] = unit
    missing = [c.id for c in table.columns if c.required and c.id not in positions]
    if missing and strict:
        raise missing_columns_error(path.name, table, missing, sheet, header_idx + 1)
    extra_positions = {}
    if table.questions:  # every question column is kept under its own header
        extra_positions = {normalize_text(h): j for j, h in enumerate(header)
                           if not _is_empty(h) and QUESTION_HEADER.match(normalize_text(h))}
        unknown = [u for u in unknown if normalize_text(u) not in extra_positions]
    records, index, dropped = [], [], []
    name_pos = positions.get("school_name")
    for i in range(header_idx + 1, len(grid)):
        row = grid[i]
        if not row:  # an empty row (the gap before a stray cell far down the sheet) costs nothing
            continue
        cells = {cid: (row[j] if j < len(row) else None) for cid, j in positions.items()}
        cells.update({q: (row[j] if j < len(row) else None) for q, j in extra_positions.items()})
        if all(_is_empty(v) for v in cells.values()):
            continue
        first_texts = [normalize_text(v) for v in row[:3] if not _is_empty(v)]
        if any(t in TOTAL_ROW_MARKERS for t in first_texts) or (
                name_pos is not None and normalize_text(cells.get("school_name")) in TOTAL_ROW_MARKERS):
            dropped.append((i + 1, "合计行（不是学校）已忽略"))
            continue
        if is_sign_off_row(row):
            dropped.append((i + 1, "签字行（填表人、审核人、日期）已忽略"))
            continue
        records.append(cells)
        index.append(i + 1)
    frame = pd.DataFrame.from_records(records, columns=[*positions, *extra_positions])
    frame.index = pd.Index(index, name="row")
    return RawSheet(table, path, sheet, frame, header_idx + 1, headers, units, unknown, dropped, warnings, missing)


def missing_columns_error(file: str, table: Table, missing: list[str], sheet: str, header_row: int) -> InputFileError:
    """The header row lacks required columns (ids ``missing``), named in Chinese."""
    names = "、".join(table.column(c).zh for c in missing)
    return InputFileError(file, f"表头行缺少必需的列：{names}（表头见 analysis templates 生成的模板）",
                          sheet=sheet, row=header_row)


def parts_in_folder(folder: Path) -> list[str]:
    """The evaluations a county-year folder supplies (``compulsory``, ``preschool``), from its file names."""
    return parts_supplied(find_input_files(folder))
