"""Cleaning raw tables (数据清洗): typed, unit-converted, tidy tables plus a list of every problem found.

Numbers accept full-width digits, thousands separators, stray spaces and a trailing % (→ fraction). Enumerated
Chinese values map to English ids. 教学仪器设备资产值 is converted to yuan (``equipment_value_yuan``) from the
unit stated in its header (万元 by default, as in the statistics returns). Every problem goes into one issue list
(file, sheet, row, column, value, expected, severity); errors stop the run after the whole folder is checked.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from analysis.data import catalog
from analysis.data.columns import TABLES, YES_NO, Column
from analysis.data.reading import (
    InputFileError,
    RawSheet,
    describe,
    earlier_year_folders,
    find_input_files,
    missing_columns_error,
    normalize_text,
    read_table,
    sha256,
    table_file,
)
from analysis.data.validation import Issue, issues_frame, validate_tables

WAN = 10_000  # 1 万元 = 10,000 元 (a unit definition, not a threshold)
# Largest magnitude a number cell may have: beyond 2**53 a float no longer holds every integer, and no count, area
# or amount of a county return comes near it (1e308 万元 would overflow to infinity once converted to yuan).
MAX_MAGNITUDE = 2**53
TOTAL_BASIS_WORDS = ("合计", "总", "总面积")


class InputError(ValueError):
    """Raw data the pipeline cannot trust: carries the full issue table."""

    def __init__(self, issues: pd.DataFrame):
        self.issues = issues
        errors = issues[issues["severity"] == "error"]
        lines = [f"原始数据有 {len(errors)} 个错误（全部列在 {catalog.dataset('validation').file} 中）："]
        for r in errors.head(20).itertuples():
            row = int(r.row) if pd.notna(r.row) else None
            lines.append("  - " + describe(r.file, r.sheet, row, r.column, r.value, r.expected))
        if len(errors) > 20:
            lines.append(f"  …… 另有 {len(errors) - 20} 个")
        super().__init__("\n".join(lines))


class CellError(ValueError):
    """A cell that is a number but not an acceptable one; ``expected`` says what it should be."""

    def __init__(self, expected: str):
        self.expected = expected
        super().__init__(expected)


def parse_number(value: object, percent_ok: bool = True) -> float | None:
    """A number from a cell: ``'１２,３４５ '`` → 12345.0, ``'98%'`` → 0.98, empty → None; else ValueError.

    With ``percent_ok=False`` (a quantity such as an area in ㎡) a trailing % is refused: 85% of a square metre
    is not what anyone meant. Magnitudes beyond :data:`MAX_MAGNITUDE` are refused (:class:`CellError`)."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError("boolean is not a number")
        return None
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return None
        return _bounded(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "")
    text = text.replace(",", "").replace("，", "")
    if text in ("", "-", "—", "/"):
        return None
    percent = text.endswith("%")
    number = float(text.rstrip("%"))  # raises ValueError on text
    if math.isnan(number):
        raise ValueError("not a number")
    if percent and not percent_ok:
        raise CellError("数值（不能用百分数：本列是数量，不是比例）")
    return _bounded(number / 100 if percent else number)


def _bounded(number: float) -> float:
    if not abs(number) <= MAX_MAGNITUDE:  # also catches inf (and a Python int too large for a float)
        raise CellError(f"数值（绝对值不超过 {MAX_MAGNITUDE}；请核对单位和数位）")
    return float(number)


def _parse_code(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stored the code as a number; leading zeros are then already lost
    text = normalize_text(value)
    return text or None


EXPECTED = {
    "int": "整数", "float": "数值", "code": "学校代码（文本）", "str": "文本", "bool": "是/否", "enum": "取值之一",
}


@dataclass
class CleanTable:
    table_id: str
    frame: pd.DataFrame
    source: RawSheet


def clean_sheet(raw: RawSheet) -> tuple[pd.DataFrame, list[Issue]]:
    """Type every column of a raw sheet; unparsable cells become issues and are left empty."""
    issues: list[Issue] = []
    out = pd.DataFrame(index=raw.frame.index)
    for col_id in raw.frame.columns:
        try:
            col = raw.table.column(col_id)
        except StopIteration:  # survey question columns
            out[col_id] = raw.frame[col_id].map(lambda v: None if v is None else normalize_text(v) or None)
            continue
        values, problems = _clean_column(raw.frame[col_id], col)
        out[col_id] = values
        header = raw.headers.get(col_id, col.zh)
        for row, value, expected in problems:
            issues.append(Issue(raw.file, raw.sheet, row, header, value, expected, "error", "type"))
    for col in raw.table.columns:  # optional columns absent from the file
        if col.id not in out:
            out[col.id] = pd.Series([None] * len(out), index=out.index, dtype=object)
    out = _table_specific(out, raw)
    if raw.table.id == "schools":  # 万元 × 10,000 must still be a number the evaluation can add up
        too_big = out["equipment_value_yuan"].abs() > MAX_MAGNITUDE
        header = raw.headers.get("equipment_value", "教学仪器设备资产值")
        issues += [Issue(raw.file, raw.sheet, int(r.source_row), header, r.equipment_value,
                         f"换算为元（×{WAN}）后绝对值不超过 {MAX_MAGNITUDE}；请核对单位（万元/元）和数位", "error", "type")
                   for r in out[too_big].itertuples()]
        if too_big.any():
            out.loc[too_big, "equipment_value_yuan"] = None
    return out, issues


def _clean_column(series: pd.Series, col: Column) -> tuple[list, list[tuple[int, object, str]]]:
    values, problems = [], []
    for row, value in series.items():
        try:
            values.append(_clean_value(value, col))
        except (ValueError, KeyError) as exc:
            expected = exc.expected if isinstance(exc, CellError) else EXPECTED[col.kind]
            if col.kind == "enum":
                expected = "取值之一：" + "/".join(dict.fromkeys(col.values))
            problems.append((int(row), value, expected))
            values.append(None)
    return values, problems


def _clean_value(value: object, col: Column):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if col.kind == "code":
        return _parse_code(value)
    if col.kind == "str":
        text = None if value is None else str(value).strip()
        return text or None
    if col.kind == "enum":
        text = normalize_text(value)
        if not text:
            return None
        values = {normalize_text(k): v for k, v in col.values.items()}
        if text in values:
            return values[text]
        if text in col.values.values():
            return text
        raise KeyError(text)
    if col.kind == "bool":
        text = normalize_text(value)
        if not text:
            return None
        return YES_NO[text.upper() if text.isascii() else text]
    number = parse_number(value, percent_ok=col.max == 1)  # a % only in a share column (0–1)
    if number is None:
        return None
    if col.kind == "int":
        if not float(number).is_integer():
            raise ValueError("not an integer")
        return int(number)
    return number


def _table_specific(out: pd.DataFrame, raw: RawSheet) -> pd.DataFrame:
    """Unit conversion and derived columns that depend on what the header said."""
    tid = raw.table.id
    if tid == "schools":
        unit = normalize_text(raw.units.get("equipment_value", "万元"))
        factor = 1 if unit in ("元", "yuan") else WAN
        out["equipment_value_yuan"] = pd.to_numeric(out["equipment_value"], errors="coerce") * factor
        out["equipment_unit"] = "元" if factor == 1 else "万元"
        for room in ("music_rooms_m2", "art_rooms_m2"):
            basis = raw.units.get(room, "")
            out[f"{room}_basis"] = "total" if any(w in basis for w in TOTAL_BASIS_WORDS) else "per_room_min"
        out["ownership"] = out["ownership"].fillna("public")
        for c in ("students_senior", "classes_senior", "indoor_sports_rooms_m2"):
            out[c] = pd.to_numeric(out[c], errors="coerce").fillna(0)
    if raw.table.questions:
        questions = [c for c in out.columns if c not in {col.id for col in raw.table.columns}]
        long = out.reset_index().melt(id_vars=["row", *[c.id for c in raw.table.columns]], value_vars=questions,
                                      var_name="question", value_name="answer")
        out = long.set_index("row")
    out.insert(0, "source_row", out.index.astype(int))
    return out.reset_index(drop=True)


@dataclass
class CleanResult:
    """Everything the cleaning step produced for one county-year."""

    tables: dict[str, pd.DataFrame]
    issues: pd.DataFrame
    inputs: pd.DataFrame  # one row per raw file read: table, file, sha256, sheet, header_row, rows
    dropped: pd.DataFrame  # rows left out and why (total rows)
    sources: dict[str, RawSheet] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return bool((self.issues["severity"] == "error").any())


def clean_file(path: Path, table_id: str) -> tuple[RawSheet, pd.DataFrame, list[Issue]]:
    """One file of table ``table_id`` read and typed: the raw sheet, the tidy table and the problems of its cells
    (a missing column is one error; the rest is still checked). Raises :class:`InputFileError` on an unreadable file."""
    table = TABLES[table_id]
    raw = read_table(path, table, strict=False)
    issues: list[Issue] = []
    if raw.missing_columns:
        issues.append(file_issue(missing_columns_error(raw.file, table, raw.missing_columns, raw.sheet,
                                                       raw.header_row)))
    frame, found = clean_sheet(raw)
    issues += found
    issues += [Issue(raw.file, raw.sheet, raw.header_row, h, "", f"未识别的列（已忽略）：{h}", "warning",
                     "unknown_column")
               for h in raw.unknown_columns]
    issues += [Issue(raw.file, raw.sheet, None, "", "", w, "warning", "file") for w in raw.warnings]
    return raw, frame, issues


def earlier_tables(folder: Path, table_id: str, skip: Iterable[int] = ()) -> dict[int, pd.DataFrame]:
    """Table ``table_id`` from every earlier year folder of the county that holds it, oldest first (往年文件夹:
    a monitoring round handed in years ago still counts). Each file is cleaned and checked alone — the year itself
    is not run, so its other tables are neither needed nor read. A file with errors stops the run, named with its
    year folder: the evaluation would otherwise use numbers nobody has checked. Years in ``skip`` (processed
    already) are not read."""
    out: dict[int, pd.DataFrame] = {}
    for earlier in earlier_year_folders(folder):
        if int(earlier.name) in set(skip):
            continue
        try:
            path = table_file(earlier, table_id)
            if path is None:
                continue
            raw, frame, issues = clean_file(path, table_id)
            issues += validate_tables({table_id: frame}, {table_id: raw})
        except InputFileError as exc:
            issues = [file_issue(exc)]
        errors = [replace(i, file=i.file if "/" in i.file else f"{earlier.name}/{i.file}")
                  for i in issues if i.severity == "error"]
        if errors:
            raise InputError(issues_frame(errors))
        out[int(earlier.name)] = frame
    return out


def clean_folder(folder: Path) -> CleanResult:
    """Read, clean and validate every input of ``data/raw/<county>/<year>/``; never raises on bad cells."""
    issues: list[Issue] = []
    tables, sources, inputs, dropped = {}, {}, [], []
    notes: list[str] = []
    try:
        files = find_input_files(folder, notes)
    except InputFileError as exc:
        raise InputError(issues_frame([file_issue(exc)])) from exc
    issues += [Issue(folder.name, "", None, "", "", note, "warning", "file") for note in notes]
    for table_id, path in files.items():
        table = TABLES[table_id]
        try:
            raw, frame, found = clean_file(path, table_id)
        except InputFileError as exc:
            issues.append(file_issue(exc))
            continue
        issues += found
        inputs.append({"table": table_id, "table_zh": table.zh, "file": path.name, "sha256": sha256(path),
                       "sheet": raw.sheet, "header_row": raw.header_row, "rows": len(frame),
                       "units": ";".join(f"{k}={v}" for k, v in sorted(raw.units.items()))})
        dropped += [{"file": path.name, "sheet": raw.sheet, "row": r, "reason": why} for r, why in raw.dropped_rows]
        if frame.empty:
            issues.append(Issue(raw.file, raw.sheet, raw.header_row + 1, "", "",
                                f"表头（第{raw.header_row}行）下没有数据行：{table.zh}应每行一条记录",
                                "error" if table.required else "warning", "empty"))
            if table.required:
                continue  # not checked further: every rule would only repeat this error
        tables[table_id], sources[table_id] = frame, raw
    issues += validate_tables(tables, sources)
    return CleanResult(tables, issues_frame(issues), pd.DataFrame(inputs),
                       pd.DataFrame(dropped, columns=["file", "sheet", "row", "reason"]), sources)


def file_issue(exc: InputFileError) -> Issue:
    """A file that cannot be read, as one error of the issue table."""
    return Issue(exc.file, exc.sheet, exc.row, exc.column, exc.value, exc.expected, "error", "file")


def outputs(result: CleanResult) -> dict[str, pd.DataFrame]:
    """The datasets step 01 saves (catalog names): every tidy table supplied, then ``validation`` (all problems),
    ``inputs`` (files with SHA-256) and ``dropped_rows`` (合计 rows)."""
    out = dict(sorted(result.tables.items()))
    out.update(validation=result.issues, inputs=result.inputs, dropped_rows=result.dropped)
    return out


PREVIEW_TABLES = {"schools": "school_type", "kindergartens": "kg_type"}  # table → the column counted


def previews(result: CleanResult, rows: int = 10) -> list[pd.DataFrame]:
    """For the reader of step 01: the first rows of each roster handed in (学校、幼儿园) and its count by type."""
    out = []
    for table_id, by in PREVIEW_TABLES.items():
        frame = result.tables.get(table_id)
        if frame is None:
            continue
        out.append(frame.head(rows))
        if by in frame:
            out.append(frame[by].value_counts().rename(f"{TABLES[table_id].zh}：数量").to_frame())
    return out


def stop_on_errors(result: CleanResult) -> None:
    """Stop the run when the raw data has errors (after validation.csv has been written)."""
    if result.has_errors:
        raise InputError(result.issues)


def issue_summary(issues: pd.DataFrame) -> pd.DataFrame:
    """Count of problems by file, severity and rule (问题汇总)."""
    if issues.empty:
        return pd.DataFrame(columns=["file", "severity", "rule", "count"])
    return issues.groupby(["file", "severity", "rule"], as_index=False).size().rename(columns={"size": "count"})
