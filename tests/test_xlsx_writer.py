"""The fast paths of results.xlsx give what openpyxl's own gives: :func:`analysis.report.excel.write_rows` the same
cells as ``ws.cell`` and ``number_format`` set cell by cell, :mod:`analysis.data.xlsx` the same sheet XML as
openpyxl's writer (values, types, styles, escaping), so that a saved workbook keeps its bytes."""

import datetime as dt
import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet._writer import WorksheetWriter

from analysis.data import files, xlsx
from analysis.report import excel

FORMATS = {"x": "0.000", "n": "#,##0", "g": "General", "when": "0.00"}


def frame() -> pd.DataFrame:
    """Every kind of value a result table holds, and a few it might."""
    return pd.DataFrame({
        "text": pd.array(["县域", " 前后空格 ", "=HYPERLINK(\"x\")", "a & b < c > \"d\"", None, "", "#N/A", "1.50",
                          "000_7663589297cde400.txt 附件2", "行\n换行\t制表"], dtype="string"),
        "x": [1.5, np.nan, -0.0, 1e-7, 123456789.123456789, np.inf, 2 / 3, 0.1 + 0.2, -np.inf, 1e300],
        "n": [1, 2, 3, 4, 5, 6, 7, 8, 9, 2**62],
        "i": pd.array([1, None, 3, 4, 5, 6, 7, 8, 9, 10], dtype="Int64"),
        "b": [True, False] * 5,
        "g": ["0.5", 1.0, None, True, "文本", 2, np.float64(3.25), np.int64(4), "", "x"],
        "when": [dt.datetime(2025, 9, 1)] * 5 + [None] * 5,
        "obj": [np.bool_(True), np.nan, pd.NA, 1, "  ", "@SUM(A1)", "-3.5", "+x", 0, None],
    })


def reference_rows(ws, data: pd.DataFrame, first_row: int, formats) -> None:
    """The cells as write_sheet and write_grouped_sheet made them before :func:`excel.write_rows`."""
    for r, row in enumerate(data.itertuples(index=False), first_row):
        for c, v in enumerate(row, 1):
            ws.cell(r, c, excel._cell_value(v))
    for k, col in enumerate(data.columns, 1):
        if formats.get(col):
            for r in range(first_row, first_row + len(data)):
                ws.cell(r, k).number_format = formats[col]


def cells(ws) -> dict:
    return {key: (c._value, c.data_type, None if c._style is None else tuple(c._style)) for key, c in ws._cells.items()}


def test_write_rows_makes_the_cells_of_cell_and_number_format():
    data = frame()
    wb_old, wb_new = Workbook(), Workbook()
    reference_rows(wb_old.active, data, 3, FORMATS)
    excel.write_rows(wb_new.active, data, 3, FORMATS)
    ws = wb_new.active
    assert cells(ws) == cells(wb_old.active)
    assert list(wb_new._number_formats) == list(wb_old._number_formats)
    assert ws._current_row == wb_old.active._current_row == 12  # ws.append goes on below them
    assert ws["A5"].value == "'=HYPERLINK(\"x\")" and ws["A9"].data_type == "e" and ws["A8"].value == ""
    assert ws["G3"].number_format == "0.00"  # a date in a formatted column takes the column's format


def test_write_rows_of_an_empty_frame_registers_no_format():
    wb = Workbook()
    excel.write_rows(wb.active, pd.DataFrame({"a": [], "b": []}), 2, {"a": "0.00"})
    assert not wb.active._cells and not wb._number_formats


def test_write_rows_still_refuses_illegal_characters():
    with pytest.raises(IllegalCharacterError):
        excel.write_rows(Workbook().active, pd.DataFrame({"a": ["bad\x01"]}), 2, {})


def test_gc_paused_restores_the_collector():
    import gc

    with excel.gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), excel.gc_paused():
        raise RuntimeError
    assert gc.isenabled()


def styled_workbook(oddity: str = "") -> Workbook:
    """A workbook with every kind of cell the writer formats itself, styled rows and an empty styled row, and
    ``oddity`` (a cell it leaves to openpyxl). A new one for each write: openpyxl's writer changes what it writes."""
    wb = Workbook()
    ws = wb.active
    excel.write_sheet(ws, frame().drop(columns="when"), [f"列{i}" for i in range(7)], FORMATS)
    ws["J1"] = "=SUM(B2:B5)&\"<>\""
    ws["J2"] = "=1"
    ws["K1"], ws["K2"], ws["K3"] = 7, True, "#DIV/0!"
    ws["L1"].font = Font(bold=True)  # styled, no value
    ws["L2"].alignment = Alignment(wrap_text=True)
    ws.row_dimensions[1].height = 48
    ws.row_dimensions[20].height = 30  # a row with no cells
    ws.merge_cells("J4:K4")
    if oddity == "date":
        ws["M1"] = dt.datetime(2025, 9, 1)
    elif oddity == "hyperlink":
        ws["M1"].hyperlink = "https://example.org"
    elif oddity == "comment":
        ws["M1"].comment = Comment("说明", "analysis")
    wb.create_sheet("空")
    return wb


def sheet_xml(ws, writer_class) -> bytes:
    writer = writer_class(ws)
    writer.write()
    try:
        return writer.read()
    finally:
        writer.cleanup()


def test_sheet_writer_writes_the_bytes_of_openpyxl():
    assert xlsx.rows_xml(styled_workbook().active) is not None  # the fast path, not the fallback
    fast = sheet_xml(styled_workbook().active, xlsx.SheetWriter)
    assert fast == sheet_xml(styled_workbook().active, WorksheetWriter)
    assert b'<t xml:space="preserve"> ' in fast and b"a &amp; b &lt; c &gt;" in fast


@pytest.mark.parametrize("oddity", ["date", "hyperlink", "comment"])
def test_a_cell_the_writer_does_not_format_leaves_the_sheet_to_openpyxl(oddity):
    assert xlsx.rows_xml(styled_workbook(oddity).active) is None
    assert sheet_xml(styled_workbook(oddity).active, xlsx.SheetWriter) == \
        sheet_xml(styled_workbook(oddity).active, WorksheetWriter)


@pytest.mark.parametrize("oddity", ["", "comment"])
def test_save_workbook_gives_the_members_of_openpyxl_save_and_the_same_bytes_twice(tmp_path, oddity):
    path = files.save_workbook(styled_workbook(oddity), tmp_path / "a.xlsx")
    assert files.save_workbook(styled_workbook(oddity), tmp_path / "b.xlsx").read_bytes() == path.read_bytes()
    stock = io.BytesIO()
    styled_workbook(oddity).save(stock)
    with zipfile.ZipFile(path) as ours, zipfile.ZipFile(stock) as theirs:
        assert [(i.filename, i.external_attr) for i in ours.infolist()] == \
               [(i.filename, i.external_attr) for i in theirs.infolist()]
        for name in ours.namelist():
            if name != "docProps/core.xml":  # openpyxl's save stamps the time
                assert ours.read(name) == theirs.read(name), name
