"""Input templates (填报模板): one workbook per table, Chinese headers, drop-down lists and a notes sheet.

The 县级指标 template is pre-filled with every county item the standards profile reads (指标编号, 指标名称, 单位,
取值要求): a county fills the values (数值) and the evidence (佐证材料), never a code. Enumerated columns (学段,
办学类型, 城乡分类, 办学性质, 是/否) get Excel drop-down lists; they warn rather than refuse, since the reader also
accepts the usual aliases (初中 for 初级中学, 镇街 for 镇区 …).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from analysis.data.columns import COUNTY_ITEMS, TABLES, Column, Table
from analysis.data.county_items import AMOUNT, COUNT, RATE, YES_NO, item_name, preschool_items, profile_items
from analysis.data.files import save_workbook
from analysis.standards import load_profile

REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
PREFILLED_FILL = PatternFill("solid", fgColor="EDEDED")  # pre-filled cells: read, do not change
KIND_ZH = {"code": "文本（保留前导0）", "str": "文本", "int": "整数", "float": "数值", "enum": "选项", "bool": "是/否"}
TEMPLATE_ROWS = 500  # rows prepared with text format and drop-downs
YES_NO_LABELS = ("是", "否")


def header_text(col) -> str:
    """Header as a county writes it; the unit goes in brackets so the reader knows it (教学仪器设备资产值（万元）)."""
    return f"{col.zh}（{col.unit}）" if col.unit in ("万元", "元") else col.zh


def choice_labels(col: Column) -> tuple[str, ...]:
    """The labels a drop-down offers: one per value (the first spelling of each id: 初级中学, not 初中)."""
    if col.kind == "bool":
        return YES_NO_LABELS
    if col.kind != "enum" or not col.values:
        return ()
    first: dict[str, str] = {}
    for label, value in col.values.items():
        first.setdefault(value, label)
    return tuple(first.values())


def _list_validation(labels: tuple[str, ...], title: str) -> DataValidation:
    dv = DataValidation(type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True)
    dv.errorStyle, dv.errorTitle = "warning", title
    dv.error = f"请从下拉列表中选择：{'/'.join(labels)}"
    dv.promptTitle, dv.prompt = title, "/".join(labels)
    dv.showErrorMessage = dv.showInputMessage = True
    return dv


def add_drop_downs(ws: Worksheet, table: Table, first_row: int = 2) -> None:
    """A drop-down list on every enumerated and 是/否 column of ``table`` (rows below the header)."""
    for j, col in enumerate(table.columns, 1):
        labels = choice_labels(col)
        if labels:
            letter = get_column_letter(j)
            dv = _list_validation(labels, col.zh)
            ws.add_data_validation(dv)
            dv.add(f"{letter}{first_row}:{letter}{first_row + TEMPLATE_ROWS - 1}")


def _value_validation(kind: str) -> DataValidation:
    """The check Excel applies to a county item's 数值 cell (warning style: a note, never a refusal)."""
    if kind == YES_NO:
        return _list_validation(YES_NO_LABELS, "数值")
    dv = (DataValidation(type="decimal", operator="between", formula1="0", formula2="1") if kind == RATE
          else DataValidation(type="whole" if kind == COUNT else "decimal", operator="greaterThanOrEqual",
                              formula1="0"))
    dv.errorStyle, dv.errorTitle, dv.allow_blank = "warning", "数值", True
    dv.error = {RATE: "应为 0–1 的小数或百分数（如 0.98 或 98%）", COUNT: "应为不小于 0 的整数",
                AMOUNT: "应为不小于 0 的数值"}[kind]
    dv.showErrorMessage = True
    return dv


def fill_county_items(ws: Worksheet, profile: dict, items: list | None = None) -> None:
    """One row per county item of ``profile``: code, name, unit and 取值要求 pre-filled (grey); 数值 and 佐证材料 empty,
    highlighted where the item is read in any case (a fallback item is read only when the school sheet lacks data)."""
    ids = [c.id for c in (*COUNTY_ITEMS.columns, *COUNTY_ITEMS.guide)]
    col_of = {cid: j for j, cid in enumerate(ids, 1)}
    validations = {kind: _value_validation(kind) for kind in (YES_NO, RATE, COUNT, AMOUNT)}
    for dv in validations.values():
        ws.add_data_validation(dv)
    for r, item in enumerate(profile_items(profile) if items is None else items, 2):
        cells = {"item_id": item.code, "item_name": item_name(item, profile), "unit": item.unit,
                 "allowed": item.allowed}
        for cid, value in cells.items():
            cell = ws.cell(r, col_of[cid], value)
            cell.fill = PREFILLED_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for cid in ("value", "evidence"):
            cell = ws.cell(r, col_of[cid])
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if not item.fallback:
                cell.fill = REQUIRED_FILL
        validations[item.kind].add(ws.cell(r, col_of["value"]).coordinate)
    for cid, width in {"item_id": 22, "item_name": 48, "value": 12, "unit": 8, "evidence": 40, "allowed": 44}.items():
        ws.column_dimensions[get_column_letter(col_of[cid])].width = width


def template_workbook(table: Table, profile: dict | None = None) -> openpyxl.Workbook:
    """The template of one input table; the 县级指标 one lists the county items of ``profile`` (default national)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = table.zh[:31]
    columns = (*table.columns, *table.guide)
    for j, col in enumerate(columns, 1):
        cell = ws.cell(1, j, header_text(col))
        cell.font = Font(bold=True)
        if col.required:
            cell.fill = REQUIRED_FILL
        ws.column_dimensions[cell.column_letter].width = max(10, len(col.zh) * 2 + 2)
        if col.kind == "code":
            for r in range(2, 2 + TEMPLATE_ROWS):  # text format so Excel keeps leading zeros
                ws.cell(r, j).number_format = "@"
    if table.id == COUNTY_ITEMS.id:
        fill_county_items(ws, profile if profile is not None else load_profile("national"))
    elif table.id == "preschool_county_items":  # the same layout, with the preschool evaluation's items
        profile = profile if profile is not None else load_profile("national")
        fill_county_items(ws, profile, preschool_items(profile))
    else:
        add_drop_downs(ws, table)
    for row in table.rows:  # pre-filled sample values (成本单价) the county overwrites
        ws.append(list(row))
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填表说明")
    notes.append(["表头", "英文列名", "类型", "单位", "必填", "取值/说明"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for col in columns:
        values = "/".join(dict.fromkeys(col.values)) if col.values else ""  # every spelling the reader accepts
        notes.append([header_text(col), col.id, KIND_ZH[col.kind], col.unit, "是" if col.required else "否",
                      "；".join(x for x in (values, col.note) if x)])
    notes.append([])
    notes.append([f"文件名：{table.zh}.xlsx（也可为 .xls 或 .csv，CSV 可用 UTF-8 或 GBK 编码）"])
    if table.note:
        notes.append([table.note])
    if table.id == COUNTY_ITEMS.id:
        notes.append(["指标编号、指标名称、单位、取值要求已预填（灰色），请勿修改：只填“数值”和“佐证材料”两列。"
                      "橙色为必填；白色项目仅在学校基本情况表缺少相应列时才读取。各编号的含义见 docs/县级指标清单.md。"])
    notes.append(["表头上方可以有标题行；数字可含千位分隔符或全角数字；“合计”行和表下方的签字行（填表人、审核人、日期）会被忽略。"])
    for letter, width in zip("ABCDEF", (28, 26, 16, 8, 6, 60), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return wb


def write_templates(out_dir: Path, profile: dict | None = None) -> list[Path]:
    """Write one template per input table into ``out_dir`` (never into data/raw); the county items follow
    ``profile`` (default: the national profile)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [save_workbook(template_workbook(t, profile), out_dir / f"{t.zh}.xlsx") for t in TABLES.values()]
