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

# Columns that hold codes and must stay strings (leading zeros).
STRING_COLUMNS = ("school_code", "item_id", "respondent_id", "merged_into")


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as an analyst-friendly CSV (UTF-8 BOM, no index); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path


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
    here so that the same results give the same bytes.
    """
    import datetime as _dt
    import io as _io
    import re
    import zipfile

    fixed = _dt.datetime(*_FIXED_TIME)
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    workbook.properties.lastModifiedBy = "analysis"
    workbook.properties.creator = "analysis"
    buffer = _io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = _io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl re-stamps 'modified' at save time
                data = re.sub(rb"<dcterms:modified([^>]*)>[^<]*<", rb"<dcterms:modified\1>2020-01-01T00:00:00Z<", data)
            pinned = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = info.external_attr
            dst.writestr(pinned, data)
    path.write_bytes(out.getvalue())
    return path
