"""Excel results workbook (评估结果 Excel): ``reports/<county>/<year>/results.xlsx``.

One sheet per result table with Chinese headers, a frozen header row, an autofilter, display number formats
(stored values keep full precision) and conditional formatting that marks failing cells red (at-risk amber),
so the workbook stays correct when an analyst sorts or filters it. Saved with
:func:`analysis.io.save_workbook`: the same results give the same bytes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from analysis.config import SECTION_ZH
from analysis.data import catalog
from analysis.data.columns import SCHOOL_TYPE_ZH, TABLES
from analysis.data.files import neutralise_text
from analysis.evaluate.guarantee import item_code
from analysis.report.format import URBAN_RURAL_ZH
from analysis.report.results import Results
from analysis.standards.compare import meets
from analysis.standards.sources import cite
from analysis.standards.status import FAIL, LIGHT_ZH, MISSING, PROJECTION_ZH, VETO, light_of

SHEETS = ("学校指标", "差异系数", "政府保障", "教育质量", "社会认可", "不予认定", "预测", "整改计划", "不参评学校",
          "数据问题")
# items.csv ``area`` → sheet
AREA_SHEET = {"guarantee": "政府保障", "government": "政府保障", "quality": "教育质量", "recognition": "社会认可",
              "veto": "不予认定"}
FAIL_TEXT, RISK_TEXT = LIGHT_ZH["fail"], LIGHT_ZH["at_risk"]
VETO_PRESENT = "存在"

HEADER_FILL = PatternFill("solid", start_color="FFE8EEF5", end_color="FFE8EEF5")
FAIL_FILL = PatternFill("solid", start_color="FFF8D7DA", end_color="FFF8D7DA")
RISK_FILL = PatternFill("solid", start_color="FFFFF3CD", end_color="FFFFF3CD")
FAIL_FONT = Font(color="FF9C0006", bold=True)
RISK_FONT = Font(color="FF8A6100")

# Chinese headers of output columns (input columns take theirs from analysis.data.columns).
HEADERS = {
    "school_code": "学校标识码", "school_name": "学校名称", "school_type": "办学类型", "urban_rural": "城乡分类",
    "township": "所在乡镇", "section": "学段", "students": "学生数", "share": "设施拆分份额",
    "n_met": "达标项数", "school_pass": "校校达标", "missed": "未达标指标", "reason": "说明",
    "pe_music_art_teachers": "体育、音乐、美术专任教师数", "equipment_value_yuan": "教学仪器设备资产值（元）",
    "indicator": "指标", "name_zh": "名称", "weighted_mean": "加权均值", "std": "标准差", "cv": "差异系数",
    "limit": "限值", "comparator": "比较", "passed": "判定", "n_schools": "学校数", "core": "计入7项",
    "note": "备注", "item_id": "编号", "area": "方面", "value": "现状值", "threshold": "标准",
    "evidence": "佐证材料", "lead_department": "牵头部门", "cooperating_departments": "配合部门", "kind": "类型",
    "level": "层级", "year": "年份", "low": "预测下限", "high": "预测上限", "status": "预测状态",
    "file": "文件", "sheet": "工作表", "row": "行", "column": "列", "expected": "应为", "severity": "级别",
    "rule": "规则", "action": "整改措施", "department": "责任部门", "priority": "优先级", "deadline": "时限",
    "gap": "差距", "target": "目标值",
    # planning.csv (analysis.planning.ACTION_COLUMNS)
    "priority_zh": "优先级说明", "milestone_year": "时间节点（年）", "standard": "标准", "target_value": "目标值",
    "ratio": "为标准的%", "stock_field": "存量项目", "stock": "现有存量", "to_add": "需增加（整数）",
    "school_amount": "学校层面需投入", "basis": "依据",
}
LEVEL_ZH = {"county": "县域", "school": "学校"}
# projection.csv status (analysis.projection) and items.csv kind (analysis.guarantee), in Chinese
KIND_ZH = {"computed": "由学校数据计算", "reported": "县级填报数值", "evidence": "是/否及佐证材料",
           "published": "监测中心发布", "estimate": "由成绩估算（仅供参考）",
           "observed": "实际", "projected": "预测"}  # the last two: preschool_projection.csv ``kind``
YES_NO_ZH = {True: "是", False: "否"}
SEVERITY_ZH = {"error": "错误", "warning": "提示"}
COMPARATOR_TEXT = {">=": "≥", ">": "＞", "<=": "≤", "<": "＜"}


def header_of(column: str, profile: Mapping | None = None) -> str:
    """Chinese header of an output column: R1 → "R1 高学历教师（人/百生）", R1_ratio → "R1 为标准的%"."""
    profile = profile or {}
    specs = {**profile.get("resources", {}), **(profile.get("extra_resources") or {})}
    if column in specs:
        return f"{column} {specs[column].get('short', specs[column].get('zh', ''))}（{specs[column].get('unit', '')}）"
    for suffix, label in (("_ratio", "为标准的%"), ("_std", "标准"), ("_gap", "差距（标准−计算值）")):
        if column.endswith(suffix) and column[: -len(suffix)] in specs:
            return f"{column[: -len(suffix)]} {label}"
    if column in HEADERS:
        return HEADERS[column]
    for table in TABLES.values():
        for col in table.columns:
            if col.id == column:
                return col.zh + (f"（{col.unit}）" if col.unit else "")
    return column


def _status_text(value: Any) -> str:
    return LIGHT_ZH[light_of(value)]


def _cell_value(value: Any) -> Any:
    """Excel cell value: NaN → empty, numpy scalars → Python, numeric strings stay strings (as given), a text
    that Excel would run as a formula (``=HYPERLINK(…)`` from an input file) is written as text, and a seed
    document is cited by its title, never its file name (:func:`analysis.standards.sources.cite`)."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return value.item()
    return neutralise_text(cite(value, strict=True) if isinstance(value, str) else value)


def column_values(column: pd.Series) -> list[Any]:
    """:func:`_cell_value` of every value of ``column``, as a list; Python numbers pass through and each distinct
    text is converted once (a long sheet repeats its texts)."""
    plain, texts = (int, float, bool), {}
    out = []
    for value in column.astype(object).tolist():  # numpy numbers → Python numbers, missing values as they are
        if type(value) in plain and value == value:  # NaN ≠ NaN goes to _cell_value (→ empty)
            out.append(value)
        elif type(value) is str:
            out.append(texts[value] if value in texts else texts.setdefault(value, _cell_value(value)))
        else:
            out.append(_cell_value(value))
    return out


def write_rows(ws: Worksheet, frame: pd.DataFrame, first_row: int, formats: Mapping[str, str]) -> None:
    """The rows of ``frame`` from row ``first_row`` (cell values by :func:`_cell_value`), each column in its number
    format (``formats`` by column id).

    The cells ``ws.cell(row, column, value)`` and then ``number_format`` set cell by cell would make, made faster
    for a sheet of ten thousand rows: a text is checked and typed by openpyxl once (``Cell.value``: illegal
    characters, formula, error code) and its repeats take the result; a column's format is registered once."""
    if frame.empty:
        return
    columns = [column_values(frame.iloc[:, k]) for k in range(len(frame.columns))]
    texts: dict[str, tuple[Any, str]] = {}  # text → (value, data type) as openpyxl binds it
    rows = []
    with gc_paused():
        for r, values in enumerate(zip(*columns, strict=True), first_row):
            cells = []
            for c, value in enumerate(values, 1):
                if type(value) is str:
                    if value not in texts:
                        probe = Cell(ws, value=value)
                        texts[value] = probe._value, probe.data_type
                    cell = Cell(ws, row=r, column=c)
                    cell._value, cell.data_type = texts[value]
                else:
                    cell = Cell(ws, row=r, column=c, value=value)
                ws._add_cell(cell)
                cells.append(cell)
            rows.append(cells)
        # after the values, as before: a date registers its own format first, and the column's replaces it
        for k, col in enumerate(frame.columns):
            if formats.get(col):
                template = Cell(ws)
                template.number_format = formats[col]
                for cells in rows:
                    cells[k]._style = StyleArray(template._style)


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused: the cells of a sheet live as long as its workbook, and the full
    collections that making a hundred thousand of them sets off (each a pass over every object of the kernel)
    would free nothing of theirs."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _display_width(text: str) -> int:
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def write_sheet(ws: Worksheet, frame: pd.DataFrame, headers: list[str], formats: Mapping[str, str] | None = None,
                freeze: str = "A2") -> dict[str, str]:
    """Write ``frame`` with ``headers`` (same order as its columns); returns column id → letter."""
    formats = formats or {}
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    write_rows(ws, frame, 2, formats)
    letters = {col: get_column_letter(i) for i, col in enumerate(frame.columns, 1)}
    for col, letter in letters.items():
        texts = [str(headers[frame.columns.get_loc(col)])] + [str(v) for v in frame[col].head(200) if not pd.isna(v)]
        ws.column_dimensions[letter].width = min(48, max(8, max(_display_width(t) for t in texts) + 2))
    ws.freeze_panes = freeze
    if len(frame.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{max(len(frame) + 1, 2)}"
    print_setup(ws)  # every sheet, whichever module adds it (task, plan and preschool sheets too)
    return letters


def _header_cell(cell) -> None:
    cell.font = Font(bold=True)
    cell.fill = HEADER_FILL
    cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")


def write_grouped_sheet(ws: Worksheet, frame: pd.DataFrame, headers: list[tuple[str | None, str]],
                        formats: Mapping[str, str] | None = None, freeze: str = "A3") -> dict[str, str]:
    """Write ``frame`` under two header rows: ``headers[k] = (group, sub)`` for column ``k``. Consecutive columns of
    one group share a merged group cell in row 1 with their sub-headers in row 2; a column without a group has its
    header merged over both rows. Data rows start at row 3; the header rows repeat on every printed page."""
    formats = formats or {}
    n_cols = len(frame.columns)
    k = 0
    while k < n_cols:
        group, sub = headers[k]
        end = k
        while group is not None and end + 1 < n_cols and headers[end + 1][0] == group:
            end += 1
        first, last = get_column_letter(k + 1), get_column_letter(end + 1)
        if group is None:
            ws.cell(1, k + 1, sub)
            ws.merge_cells(f"{first}1:{first}2")
        else:
            ws.cell(1, k + 1, group)
            if end > k:
                ws.merge_cells(f"{first}1:{last}1")
            for j in range(k, end + 1):
                _header_cell(ws.cell(2, j + 1, headers[j][1]))
        for j in range(k, end + 1):
            _header_cell(ws.cell(1, j + 1))
        k = end + 1
    write_rows(ws, frame, 3, formats)
    letters = {col: get_column_letter(i) for i, col in enumerate(frame.columns, 1)}
    for j, (col, letter) in enumerate(letters.items()):
        texts = [headers[j][1]] + [str(v) for v in frame[col].head(200) if not pd.isna(v)]
        ws.column_dimensions[letter].width = min(40, max(8, max(_display_width(t) for t in texts) + 2))
    ws.row_dimensions[1].height = 48  # an indicator's full name wraps over its four columns
    ws.freeze_panes = freeze
    if n_cols:
        ws.auto_filter.ref = f"A2:{get_column_letter(n_cols)}{max(len(frame) + 2, 3)}"
    print_setup(ws, "1:2")
    return letters


def mark_when(ws: Worksheet, target: str, n_rows: int, formula: str, fill: PatternFill = FAIL_FILL,
              font: Font | None = FAIL_FONT, first_row: int = 2) -> None:
    """Conditional formatting (条件格式) on column ``target``, ``n_rows`` rows from ``first_row``; ``formula`` is
    written for ``first_row``."""
    if n_rows <= 0:
        return
    rule = FormulaRule(formula=[formula], fill=fill, font=font, stopIfTrue=False)
    ws.conditional_formatting.add(f"{target}{first_row}:{target}{first_row + n_rows - 1}", rule)


def _note_sheet(ws: Worksheet, text: str) -> None:
    write_sheet(ws, pd.DataFrame({"说明": [text]}), ["说明"])


def missing_note(name: str, why: str = "") -> str:
    """The note of a sheet whose dataset is absent: its Chinese title and the step that writes it."""
    ds = catalog.dataset(name)
    step = catalog.STEPS[ds.step]
    number = step.name.split("_", 1)[0]  # 04_guarantee_quality → 第04步, named by its Chinese title
    return f"缺少{ds.title_zh}（由第{number}步“{step.title_zh}”生成）" + (f"：{why}" if why else "。")


# ---------------------------------------------------------------------------------------------------------
# Sheets
# ---------------------------------------------------------------------------------------------------------
SCHOOL_ID_HEADERS = {"school_code": "学校标识码", "school_name": "学校名称", "section": "学段", "students": "在校生数",
                     "school_type": "办学类型", "urban_rural": "城乡分类", "township": "所在乡镇",
                     "share": "设施拆分份额"}
SCHOOL_TAIL_HEADERS = {"n_met": "达标项数", "school_pass": "是否达标", "missed": "未达标指标", "reason": "说明"}
SCHOOL_FIRST_ROW = 3  # 学校指标 has two header rows (indicator group, then 标准值 / 实际值 / 是否达标 / 85%基本值)
MET_TEXT = LIGHT_ZH["pass"]


def school_sheet(ws: Worksheet, si: pd.DataFrame | None, profile: Mapping, rel_tol: float) -> dict[str, str] | None:
    """学校指标 in the layout analysts keep: school identification first (学校标识码, 学校名称, 学段, 在校生数 …), then
    per indicator four columns 标准值 / 实际值 / 是否达标 / 85%基本值 (``school_rule.floor_ratio`` × 标准值) under a
    merged group header with the indicator's Chinese name, then 达标项数 / 是否达标 and the stocks. An actual value
    below its standard and its 是否达标 cell are red. Two header rows, frozen below them and right of the school
    name. Returns column id → letter (the 差异系数 sheet's formulas read 学段, 在校生数 and the 实际值 columns from
    here, data rows from :data:`SCHOOL_FIRST_ROW`)."""
    if si is None:
        return _note_sheet(ws, missing_note("school_indicators", "资源配置指标尚未计算。"))
    specs = {**profile.get("resources", {}), **(profile.get("extra_resources") or {})}
    ids = [i for i in specs if i in si]
    floor = float(profile["school_rule"]["floor_ratio"])
    head = [c for c in SCHOOL_ID_HEADERS if c in si]
    tail = [c for c in SCHOOL_TAIL_HEADERS if c in si]
    known = {*head, *ids, *(f"{i}_{s}" for i in ids for s in ("ratio", "std", "gap")), *tail}
    stocks = [c for c in si.columns if c not in known]
    frame = si[head].copy()
    for col, mapping in (("school_type", SCHOOL_TYPE_ZH), ("urban_rural", URBAN_RURAL_ZH), ("section", SECTION_ZH)):
        if col in frame:
            frame[col] = frame[col].map(lambda v, m=mapping: m.get(v, v))
    headers: list[tuple[str | None, str]] = [(None, SCHOOL_ID_HEADERS[c]) for c in head]
    formats = {"students": "#,##0", "share": "0.0000"}
    floor_zh = f"{floor * 100:g}%基本值"
    for i in ids:
        spec = specs[i]
        std = (pd.to_numeric(si[f"{i}_std"], errors="coerce") if f"{i}_std" in si
               else si["section"].map(lambda s, sp=spec: sp.get(s)).astype(float))
        value = pd.to_numeric(si[i], errors="coerce")
        met = pd.Series(meets(value, std, ">=", rel_tol), index=si.index)
        frame[f"{i}_std"], frame[i] = std, value
        frame[f"{i}_met"] = [None if pd.isna(v) else MET_TEXT if ok else FAIL_TEXT for v, ok in zip(value, met, strict=True)]
        frame[f"{i}_floor"] = std * floor
        group = f"{i} {spec.get('zh', spec.get('short', ''))}（{spec.get('unit', '')}）"
        headers += [(group, "标准值"), (group, "实际值"), (group, "是否达标"), (group, floor_zh)]
        number = "#,##0" if "元" in str(spec.get("unit", "")) else "0.00"
        formats.update({f"{i}_std": number, i: number, f"{i}_floor": number})
    for c in tail:
        frame[c] = si[c].map(_status_text) if c == "school_pass" else si[c]
        headers.append((None, SCHOOL_TAIL_HEADERS[c]))
    split = set(profile.get("split_fields", []))  # facility stocks are the section's share of the school's
    for c in stocks:
        frame[c] = si[c]
        headers.append((None, header_of(c, profile) + ("（按学段拆分）" if c in split else "")))
    name_col = get_column_letter(head.index("school_name") + 2) if "school_name" in head else "A"
    letters = write_grouped_sheet(ws, frame, headers, formats, freeze=f"{name_col}{SCHOOL_FIRST_ROW}")
    n = len(frame)
    for i in ids:
        below = f'${letters[f"{i}_met"]}{SCHOOL_FIRST_ROW}="{FAIL_TEXT}"'
        mark_when(ws, letters[i], n, below, font=None, first_row=SCHOOL_FIRST_ROW)
        mark_when(ws, letters[f"{i}_met"], n, below, first_row=SCHOOL_FIRST_ROW)
    if "school_pass" in letters:
        mark_when(ws, letters["school_pass"], n, f'${letters["school_pass"]}{SCHOOL_FIRST_ROW}="{FAIL_TEXT}"',
                  first_row=SCHOOL_FIRST_ROW)
    return letters


def print_setup(ws: Worksheet, rows: str = "1:1") -> None:
    """Landscape, one page wide (as many pages tall as needed), header rows repeated on every printed page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = rows
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


CV_FORMULA_HEADERS = ("Excel重算：加权均值", "Excel重算：标准差", "Excel重算：差异系数")


def cv_formulas(school_sheet_name: str, letters: Mapping[str, str], n_rows: int, section_zh: str, indicator: str,
                mean_cell: str, first_row: int = SCHOOL_FIRST_ROW) -> tuple[str, str]:
    """Live formulas of one CV over the school sheet (``n_rows`` rows from ``first_row``): weighted mean
    x̄ = Σnᵢxᵢ / Σnᵢ, standard deviation σ = √(Σnᵢ(xᵢ − x̄)² / Σnᵢ), CV = σ / x̄ — the definition
    analysis.evaluate.variation computes."""
    def col(cid: str) -> str:
        return f"'{school_sheet_name}'!${letters[cid]}${first_row}:${letters[cid]}${first_row + n_rows - 1}"

    mask, n, x = f'({col("section")}="{section_zh}")', col("students"), col(indicator)
    mean = f"=SUMPRODUCT({mask}*{n}*{x})/SUMPRODUCT({mask}*{n})"
    std = f"=SQRT(SUMPRODUCT({mask}*{n}*({x}-{mean_cell})^2)/SUMPRODUCT({mask}*{n}))"
    return mean, std


def cv_sheet(ws: Worksheet, cv: pd.DataFrame | None, profile: Mapping,
             school_letters: Mapping[str, str] | None = None, n_school_rows: int = 0) -> None:
    """差异系数: per section and indicator; the CV and verdict cells red when above the limit. With the school
    sheet's column letters, three more columns recompute each CV with live formulas (SUMPRODUCT over nᵢ, xᵢ), so
    that Excel or WPS shows the same numbers from the school values when the workbook is opened."""
    if cv is None:
        return _note_sheet(ws, missing_note("cv", "差异系数尚未计算。"))
    frame = cv.copy()
    frame["section"] = frame["section"].map(lambda v: SECTION_ZH.get(v, v))
    frame["passed"] = frame["passed"].map(_status_text)
    if "comparator" in frame:
        frame["comparator"] = frame["comparator"].map(lambda v: COMPARATOR_TEXT.get(v, v))
    if "core" in frame:
        frame["core"] = frame["core"].map(lambda v: "是" if light_of(v) == "pass" else "否")
    formats = {"weighted_mean": "0.0000", "std": "0.0000", "cv": "0.000", "limit": "0.00", "n_schools": "0"}
    letters = write_sheet(ws, frame, [header_of(c, profile) for c in frame.columns], formats)
    cond = f'${letters["passed"]}2="{FAIL_TEXT}"'
    mark_when(ws, letters["cv"], len(frame), cond)
    mark_when(ws, letters["passed"], len(frame), cond)
    if not school_letters or not {"section", "students"} <= set(school_letters):
        return
    first = len(frame.columns) + 1
    mean_l, std_l, cv_l = (get_column_letter(first + k) for k in range(3))
    for k, title in enumerate(CV_FORMULA_HEADERS):
        cell = ws.cell(1, first + k, title)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(first + k)].width = 14
    for r, row in enumerate(cv.itertuples(index=False), 2):
        if row.indicator not in school_letters:
            continue
        mean, std = cv_formulas("学校指标", school_letters, n_school_rows, SECTION_ZH.get(row.section, row.section),
                                   row.indicator, f"${mean_l}{r}")
        ws[f"{mean_l}{r}"], ws[f"{std_l}{r}"], ws[f"{cv_l}{r}"] = mean, std, f"=IF({mean_l}{r}=0,\"\",{std_l}{r}/{mean_l}{r})"
        for letter, fmt in ((mean_l, "0.0000"), (std_l, "0.0000"), (cv_l, "0.000")):
            ws[f"{letter}{r}"].number_format = fmt


ITEM_SHEET_COLUMNS = ["item_id", "name_zh", "value", "value_text", "unit", "comparator", "threshold", "status",
                      "lead_department", "cooperating_departments", "kind", "evidence", "note"]
ITEM_HEADERS = {"value_text": "现状（显示）", "unit": "单位", "status": "判定", "kind": "数据来源类型"}
ITEM_BAD = (FAIL, VETO, VETO_PRESENT)
ITEM_MISSING = (MISSING, LIGHT_ZH["unknown"])


def items_sheet(ws: Worksheet, items: pd.DataFrame | None, areas: set[str], what: str) -> None:
    """政府保障 / 教育质量 / 社会认可 / 不予认定: the items of these areas; 未达标/否决 red, 缺少数据 amber."""
    if items is None:
        return _note_sheet(ws, missing_note("items", f"{what}尚未判定。"))
    frame = items[items["area"].astype(str).isin(areas)].copy() if "area" in items else items.iloc[0:0].copy()
    if frame.empty:
        return _note_sheet(ws, f"{catalog.dataset('items').title_zh}中没有{what}事项。")
    if "status" not in frame:  # older layout: judge from ``passed``
        veto = areas == {"veto"}
        frame["status"] = frame["passed"].map(
            lambda v: (VETO_PRESENT if veto else FAIL_TEXT) if light_of(v) == "fail" else
            ("不存在" if veto and light_of(v) == "pass" else _status_text(v)))
    parents = frame["parent_id"] if "parent_id" in frame else frame["item_id"]
    frame["item_id"] = [item_code(i, p) for i, p in zip(frame["item_id"], parents, strict=True)]  # G5_primary → G5
    frame["value"] = frame["value"].map(_numeric_or_text)
    if "threshold" in frame:
        frame["threshold"] = frame["threshold"].map(_numeric_or_text)
    if "comparator" in frame:
        frame["comparator"] = frame["comparator"].map(lambda v: COMPARATOR_TEXT.get(v, v))
    if "kind" in frame:
        frame["kind"] = frame["kind"].map(lambda v: KIND_ZH.get(v, v))
    frame = frame[[c for c in ITEM_SHEET_COLUMNS if c in frame]]
    headers = [ITEM_HEADERS.get(c) or header_of(c) for c in frame.columns]
    letters = write_sheet(ws, frame, headers, {"value": "General", "threshold": "General"})
    status = letters["status"]
    bad = ",".join(f'${status}2="{t}"' for t in ITEM_BAD)
    missing = ",".join(f'${status}2="{t}"' for t in ITEM_MISSING)
    for col in ("status", "value", "value_text"):
        if col in letters:
            font = FAIL_FONT if col == "status" else None
            mark_when(ws, letters[col], len(frame), f"OR({bad})", font=font)
            mark_when(ws, letters[col], len(frame), f"OR({missing})", RISK_FILL, RISK_FONT if col == "status" else None)


def _numeric_or_text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, int | float):
        return value
    try:
        return float(str(value).strip())
    except ValueError:
        return str(value)


PROJECTION_MEASURES_ZH = {"students": "在校生数", "n_schools": "参评学校（学段）数", "school_pass": "校校达标（1 为达标）",
                          "school_pass_share": "校校达标学校比例"}


def projection_indicator_zh(indicator: str, level: str, profile: Mapping, names: Mapping[str, str]) -> str:
    """Chinese name of a projection.csv indicator (学段 is its own column): R1 → "R1 高学历教师", R1_cv →
    "R1 高学历教师差异系数", G3_share → "G3 音乐美术专用教室达标学校比例", a county item by its full name."""
    from analysis.report.fragments import projection_label

    if indicator in PROJECTION_MEASURES_ZH:
        return PROJECTION_MEASURES_ZH[indicator]
    spec = {**profile.get("resources", {}), **(profile.get("extra_resources") or {})}.get(indicator)
    if spec is not None and level == "school":  # a school's own value, not the county mean
        return f"{indicator} {spec.get('short', spec.get('zh', ''))}"
    base, _, kind = indicator.partition("_")
    rule = profile.get("guarantee", {}).get(base)
    if kind == "share" and rule:  # a per-school guarantee rule (G3, G4, G5): share of schools meeting it
        return f"{base} {rule.get('short', rule.get('zh', ''))}达标学校比例"
    if indicator in names:  # a county item: its full name (the summary shortens it, a sheet has room)
        return names[indicator]
    return projection_label(indicator, "", profile, names)


def projection_sheet(ws: Worksheet, projection: pd.DataFrame | None, si: pd.DataFrame | None,
                     profile: Mapping | None = None, items: pd.DataFrame | None = None) -> None:
    """预测: county and school projections per year, indicators by their Chinese names; fail red, at risk amber."""
    if projection is None:
        return _note_sheet(ws, missing_note("projection", "历史年份不足或预测尚未生成。"))
    frame = projection.copy()
    if "indicator" in frame:
        from analysis.report.fragments import item_names

        names = item_names(items)
        levels = frame["level"] if "level" in frame else pd.Series("county", frame.index)
        labels = {(i, lv): projection_indicator_zh(str(i), str(lv), profile or {}, names)
                  for i, lv in set(zip(frame["indicator"], levels, strict=True))}
        frame["indicator"] = [labels[(i, lv)] for i, lv in zip(frame["indicator"], levels, strict=True)]
    if si is not None and "school_code" in frame and "school_name" not in frame:
        names = si.drop_duplicates("school_code").set_index("school_code")["school_name"]
        frame.insert(frame.columns.get_loc("school_code") + 1, "school_name", frame["school_code"].map(names))
    if "level" in frame:
        frame["level"] = frame["level"].map(lambda v: LEVEL_ZH.get(v, v))
    if "section" in frame:
        frame["section"] = frame["section"].map(lambda v: SECTION_ZH.get(v, v))
    frame["status"] = frame["status"].map(lambda v: "" if pd.isna(v) else PROJECTION_ZH.get(v, v))
    formats = {c: "0.000" for c in ("value", "low", "high", "threshold")}
    headers = [{"value": "值（实际或预测）"}.get(c) or header_of(c) for c in frame.columns]
    letters = write_sheet(ws, frame, headers, formats)
    status = letters["status"]
    for col in ("status", "value"):
        font = FAIL_FONT if col == "status" else None
        mark_when(ws, letters[col], len(frame), f'${status}2="{PROJECTION_ZH["off_track"]}"', font=font)
        mark_when(ws, letters[col], len(frame), f'${status}2="{PROJECTION_ZH["at_risk"]}"', RISK_FILL,
                  RISK_FONT if col == "status" else None)


def plain_sheet(ws: Worksheet, frame: pd.DataFrame | None, missing: str, empty: str) -> None:
    """A table written as is with Chinese headers (整改计划, 不参评学校)."""
    if frame is None:
        return _note_sheet(ws, missing)
    if frame.empty:
        return _note_sheet(ws, empty)
    frame = frame.copy()
    for col, mapping in (("section", SECTION_ZH), ("school_type", SCHOOL_TYPE_ZH), ("level", LEVEL_ZH)):
        if col in frame:
            frame[col] = frame[col].map(lambda v, m=mapping: m.get(v, v))
    if "stock_field" in frame:  # a stock by its Chinese name (体育运动场（馆）面积（㎡）), never its column id
        frame["stock_field"] = frame["stock_field"].map(lambda v: header_of(v) if isinstance(v, str) else v)
    frame = chinese_values(frame)
    formats = {"students": "#,##0", "ratio": "0.0%", "share": "0.0000", "gap": "#,##0.00", "stock": "#,##0.00",
               "school_amount": "#,##0.00", "to_add": "0", "value": "0.000", "target_value": "0.000"}
    write_sheet(ws, frame, [header_of(c) for c in frame.columns], formats)


def chinese_values(frame: pd.DataFrame) -> pd.DataFrame:
    """Machine values of a result table in Chinese: True/False → 是/否, ``>=`` → ≥, projection statuses
    (observed → 实际值) and row kinds (observed → 实际)."""
    out = frame.copy()
    for col in out.columns:
        values = out[col].dropna()
        if len(values) and values.map(lambda v: isinstance(v, bool | np.bool_)).all():
            out[col] = out[col].map(lambda v: YES_NO_ZH.get(bool(v), v) if isinstance(v, bool | np.bool_) else v)
    for col, mapping in (("comparator", COMPARATOR_TEXT), ("status", PROJECTION_ZH), ("kind", KIND_ZH)):
        if col in out:
            out[col] = out[col].map(lambda v, m=mapping: m.get(v, v) if isinstance(v, str) else v)
    return out


def issues_sheet(ws: Worksheet, validation: pd.DataFrame | None) -> None:
    """数据问题: every validation issue (file, sheet, row, column, value, expected); errors red."""
    if validation is None:
        return _note_sheet(ws, missing_note("validation", "数据校验结果未找到。"))
    if validation.empty:
        return _note_sheet(ws, "数据校验未发现问题。")
    from analysis.precheck import RULE_ZH

    frame = validation.copy()
    if "severity" in frame:
        frame["severity"] = frame["severity"].map(lambda v: SEVERITY_ZH.get(v, v))
    if "rule" in frame:
        frame["rule"] = frame["rule"].map(lambda v: RULE_ZH.get(v, v))
    letters = write_sheet(ws, frame, [header_of(c) for c in frame.columns], {"row": "0"})
    if "severity" in letters:
        sev = letters["severity"]
        mark_when(ws, sev, len(frame), f'${sev}2="{SEVERITY_ZH["error"]}"')
        mark_when(ws, sev, len(frame), f'${sev}2="{SEVERITY_ZH["warning"]}"', RISK_FILL, RISK_FONT)


def build_workbook(res: Results, profile: Mapping) -> Workbook:
    """The results workbook of one county-year from its processed outputs (``analysis.report.results.load_results``)."""
    from analysis.standards.compare import REL_TOL

    wb = Workbook()
    wb.remove(wb.active)
    school_letters = school_sheet(wb.create_sheet("学校指标"), res.school_indicators, profile, REL_TOL)
    n_school_rows = 0 if res.school_indicators is None else len(res.school_indicators)
    cv_sheet(wb.create_sheet("差异系数"), res.cv, profile, school_letters, n_school_rows)
    for sheet, what in (("政府保障", "政府保障程度"), ("教育质量", "教育质量"), ("社会认可", "社会认可度")):
        items_sheet(wb.create_sheet(sheet), res.items, {a for a, s in AREA_SHEET.items() if s == sheet}, what)
    if res.items is not None and "area" in res.items and (res.items["area"] == "veto").any():
        items_sheet(wb.create_sheet("不予认定"), res.items, {"veto"}, "不予认定")
    projection_sheet(wb.create_sheet("预测"), res.projection, res.school_indicators, profile, res.items)
    if res.planning is not None:
        plain_sheet(wb.create_sheet("整改计划"), res.planning, "", "无需整改的学校。")
    plain_sheet(wb.create_sheet("不参评学校"), res.excluded, missing_note("excluded_schools"), "所有学校均参评。")
    issues_sheet(wb.create_sheet("数据问题"), res.validation)
    return wb
