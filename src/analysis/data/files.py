"""Reading and writing processed outputs (输出文件读写), byte-identical for identical inputs.

CSV: UTF-8 with BOM (Excel opens Chinese correctly), ``\\n`` line ends, full float precision (rounding only at
display). JSON: sorted keys, two-space indent, non-ASCII kept.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

# Columns that hold codes and must stay strings (leading zeros).
STRING_COLUMNS = ("school_code", "item_id", "respondent_id", "merged_into")
# A text beginning with one of these is a formula to Excel/WPS (CSV injection): it is written with a leading
# apostrophe, so that the spreadsheet shows it as text and never evaluates it. Numbers are not touched.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_YAML_BYTES = 1_000_000


class SafeYamlError(ValueError):
    """A YAML file that is not plain data (tags, aliases) or not readable: names the file and line."""


def is_formula(value: Any) -> bool:
    """Text a spreadsheet would evaluate: starts with = + - @ (a signed number such as ``-3.5`` is not)."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START) or set(value) <= set("=<>"):
        return False  # a comparator such as "=" in items.csv is data, not a formula
    if value[0] in "+-":
        try:
            float(value)
            return False
        except ValueError:
            return True
    return True


def neutralise_text(value: Any) -> Any:
    """``'=HYPERLINK(...)'`` → ``"'=HYPERLINK(...)"``; anything else is returned unchanged."""
    return "'" + value if is_formula(value) else value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell (and column name) that a spreadsheet would run as a formula, neutralised."""
    out = None
    for col in frame.columns:
        series = frame[col]
        if series.dtype == object or isinstance(series.dtype, pd.StringDtype | pd.CategoricalDtype):
            text = series.astype(object)
            bad = text.map(is_formula).astype(bool)
            if bad.any():
                out = frame.copy() if out is None else out
                out[col] = text.where(~bad, "'" + text.astype(str))
    out = frame if out is None else out
    if any(is_formula(c) for c in out.columns):
        out = out.rename(columns=neutralise_text)
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as an analyst-friendly CSV (UTF-8 BOM, no index, formulas neutralised); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralise_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path


class _PlainLoader(yaml.SafeLoader):
    """Safe YAML without aliases: a county file needs none, and refusing them stops alias bombs early."""

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "不允许使用 YAML 别名（*name）", event.start_mark)
        return super().compose_node(parent, index)


def safe_yaml(path: Path) -> Any:
    """Plain data from a YAML file written by a user (no tags, no aliases, at most 1 MB)."""
    path = Path(path)
    if path.stat().st_size > MAX_YAML_BYTES:
        raise SafeYamlError(f"{path}：文件过大（{path.stat().st_size} 字节，上限 {MAX_YAML_BYTES}）")
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_PlainLoader)  # noqa: S506 - safe loader subclass
    except UnicodeDecodeError:
        raise SafeYamlError(f"{path}：不是 UTF-8 编码的文本") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SafeYamlError(f"{path}{where}：无法读取（{problem}）；只接受普通的“键: 值”数据") from None


def read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv`, keeping code columns as strings."""
    header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
    dtype = {c: str for c in header if c in STRING_COLUMNS}
    return pd.read_csv(path, encoding="utf-8-sig", dtype=dtype, keep_default_na=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(data: Any, path: Path) -> Path:
    """Write ``data`` as stable JSON (sorted keys, NaN → null)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_jsonable(data), ensure_ascii=False, indent=2, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


_FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def save_workbook(workbook, path: Path) -> Path:
    """Save an openpyxl workbook byte-identically for identical content.

    openpyxl stamps the document properties and every zip member with the current time; both are pinned
    here so that the same results give the same bytes. The sheets are written by :mod:`analysis.data.xlsx`
    (openpyxl's bytes, faster) into an uncompressed archive, then every member is compressed once.
    """
    import datetime as _dt
    import io as _io
    import zipfile

    from analysis.data.xlsx import ExcelWriter

    fixed = _dt.datetime(*_FIXED_TIME)
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    workbook.properties.lastModifiedBy = "analysis"
    workbook.properties.creator = "analysis"
    if workbook.write_only and not workbook.worksheets:  # as Workbook.save does
        workbook.create_sheet()
    buffer = _io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED, allowZip64=True)).save()
    buffer.seek(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = _io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            pinned = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = info.external_attr
            dst.writestr(pinned, src.read(info.filename))
    path.write_bytes(out.getvalue())
    return path
