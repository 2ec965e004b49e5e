"""Empty input templates (填报模板) with the Chinese headers and a notes sheet, one workbook per table."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill

from analysis.data.columns import TABLES, Table
from analysis.data.files import save_workbook

REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
KIND_ZH = {"code": "文本（保留前导0）", "str": "文本", "int": "整数", "float": "数值", "enum": "选项", "bool": "是/否"}


def header_text(col) -> str:
    """Header as a county writes it; the unit goes in brackets so the reader knows it (教学仪器设备资产值（万元）)."""
    return f"{col.zh}（{col.unit}）" if col.unit in ("万元", "元") else col.zh


def template_workbook(table: Table) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = table.zh[:31]
    for j, col in enumerate(table.columns, 1):
        cell = ws.cell(1, j, header_text(col))
        cell.font = Font(bold=True)
        if col.required:
            cell.fill = REQUIRED_FILL
        ws.column_dimensions[cell.column_letter].width = max(10, len(col.zh) * 2 + 2)
        if col.kind == "code":
            for r in range(2, 502):  # text format so Excel keeps leading zeros
                ws.cell(r, j).number_format = "@"
    for row in table.rows:  # pre-filled sample values (成本单价) the county overwrites
        ws.append(list(row))
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填表说明")
    notes.append(["表头", "英文列名", "类型", "单位", "必填", "取值/说明"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for col in table.columns:
        values = "/".join(dict.fromkeys(col.values)) if col.values else ""
        notes.append([header_text(col), col.id, KIND_ZH[col.kind], col.unit, "是" if col.required else "否",
                      "；".join(x for x in (values, col.note) if x)])
    notes.append([])
    notes.append([f"文件名：{table.zh}.xlsx（也可为 .xls 或 .csv，CSV 可用 UTF-8 或 GBK 编码）"])
    if table.note:
        notes.append([table.note])
    notes.append(["表头上方可以有标题行；数字可含千位分隔符或全角数字；“合计”行会被忽略。"])
    for letter, width in zip("ABCDEF", (28, 26, 16, 8, 6, 60), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return wb


def write_templates(out_dir: Path) -> list[Path]:
    """Write one empty template per input table into ``out_dir`` (never into data/raw)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [save_workbook(template_workbook(t), out_dir / f"{t.zh}.xlsx") for t in TABLES.values()]
