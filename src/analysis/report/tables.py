"""Audit tables (审计表格): every table a notebook shows, as a reader of audit.html reads it.

The frames the steps compute keep the machine names of the saved CSVs (``school_code``, ``share_of_variance``)
and their codes as values (``primary``, ``True``, ``NaN``, ``2392.0``). :func:`audit_table` returns a copy for
display only, with Chinese headers and values; the frame itself and every saved CSV stay as they are.

Headers come from the names the workbook already uses (:func:`analysis.report.excel.header_of`: its output
columns, the input contract of :mod:`analysis.data.columns`, the indicators of the profile), the tracking and
plan sheets (:mod:`analysis.report.tasks`, :mod:`analysis.report.plan`), then :data:`AUDIT_HEADERS` for the
columns only the audit shows. Values: 学段 and other codes in Chinese (the contract's own option labels, the
status vocabulary), bool → 是/否, missing → —, whole-number floats as integers, item ids as readers number
them (G5_primary → G5（小学）).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from analysis.config import SECTION_ZH
from analysis.data import catalog
from analysis.data.columns import (
    CLASS_TYPE_ZH,
    KINDERGARTEN_TYPE_ZH,
    LEVER_LABELS,
    PARTS_ZH,
    SCHOOL_TYPE_ZH,
    TABLES,
)
from analysis.evaluate.milestones import STATUS_ZH as MILESTONE_STATUS_ZH
from analysis.evaluate.milestones import TIMING_ZH
from analysis.evaluate.projection.method import CHANGE_ZH
from analysis.report import excel, plan, tasks
from analysis.report.format import AREA_ZH, COMPARATOR_ZH, URBAN_RURAL_ZH, fmt_number
from analysis.standards.status import TARGET_ZH

MISSING_TEXT = "—"
YES, NO = "是", "否"

# Names a column has in more than one table, in a word that fits every one of them (the workbook's sheet-specific
# headers, e.g. status = 预测状态, would mislead elsewhere).
_GENERAL = {
    "status": "状态", "source": "来源", "passed": "是否达标", "share": "比例", "schools": "学校", "total": "合计",
    "lead": "牵头", "cooperate": "配合", "responsible": "责任（未指定牵头）", "value": "数值", "items": "事项",
    "kind": "类别",
}
# Columns only the audit shows (the step's working tables); everything else is named where it is defined.
AUDIT_HEADERS = {
    # 01 clean
    "table": "数据表", "folder_year": "取自年份文件夹", "header_row": "表头行", "rows": "行数", "units": "单位换算", "sha256": "SHA-256",
    "count": "条数", "source_row": "原表行号", "equipment_unit": "仪器设备值原表单位",
    # 02 indicators
    "share_met": "达标比例", "cooperating": "配合部门", "missed_detail": "未达标指标（为标准的%，差距）",
    # 03 variation
    "composite_cv": "综合差异系数（七项均值）", "share_of_variance": "占方差的比例", "cv_if_at_mean": "该校取均值后的差异系数",
    "cv_without_top": "去掉影响最大的学校后的差异系数", "top_schools": "影响最大的学校", "rank": "排序",
    # 04 guarantee, quality, recognition, townships
    "classes": "班级数", "required_rooms": "应配间数", "music_basis": "音乐教室面积口径", "art_basis": "美术教室面积口径",
    "music_rooms_m2_basis": "音乐教室面积口径", "art_rooms_m2_basis": "美术教室面积口径",
    "area_variant": "适用的面积标准", "cap": "上限", "max_size": "最大班额", "mean_size": "平均班额", "oversized": "大班额",
    "oversized_share": "大班额占比", "schools_with_oversized": "有大班额的学校数", "required_total": "应核定公用经费（元）",
    "missing_rows": "缺数据行数", "missing_schools": "缺数据的学校", "item": "事项", "group": "调查对象",
    "respondents": "问卷份数", "answers": "有效作答数", "favourable": "满意作答数", "rate": "认可度", "ci_low": "置信区间下限",
    "ci_high": "置信区间上限", "warning": "提示", "value_text": "现状", "severity_zh": "严重程度", "n_lead": "牵头事项数",
    "n_cooperate": "配合事项数", "n_responsible": "责任事项数", "recognition_passed": "社会认可度是否达标",
    "published_rate": "发布的校际差异率", "icc1": "估算 ICC(1)", "eta2": "估算 η²", "parent_id": "所属事项",
    "responsible_departments": "责任单位",
    # 05 projection, tasks, targets
    "first_year": "首次出现年份", "last_year": "最后出现年份", "years_present": "有数据的年份", "merged_into": "并入学校",
    "merge_year": "并入年份", "students_base": "基年学生数", "students_projected": "预测学生数", "change": "变化",
    "fails_central": "按中位预测不达标", "newly_missed": "新增未达标指标", "n_actions": "整改事项数", "indicators": "涉及指标",
    "assess": "是否判定", "timing": "时段", "date_zh": "时间", "milestone_id": "时间节点", "milestone_zh": "时间节点",
    "deadline_year": "时限（年）", "roles": "角色", "school_actions": "学校整改任务数", "first_deadline": "最早时限",
    "actual": "实际/预测值", "next_year": "次年情况",
    # 06–08 preschool, plan
    "public_central": "公办中心园数", "window_from": "督导周期起始年份", "within": "是否符合班额", "kind_zh": "类别",
    "from_school_code": "派出学校标识码", "from_school_name": "派出学校", "to_school_name": "接收学校",
    "children_public": "公办园在园幼儿数", "children_inclusive": "普惠性幼儿园在园幼儿数", "kindergartens": "幼儿园数",
}
# Values of some columns (the contract's option labels cover the input columns).
_COLUMN_VALUES = {
    "music_basis": {"per_room_min": "按最小一间", "total": "按总面积"},
    "art_basis": {"per_room_min": "按最小一间", "total": "按总面积"},
    "music_rooms_m2_basis": {"per_room_min": "按最小一间", "total": "按总面积"},
    "art_rooms_m2_basis": {"per_room_min": "按最小一间", "total": "按总面积"},
    "severity": excel.SEVERITY_ZH, "level": excel.LEVEL_ZH, "comparator": COMPARATOR_ZH,
}
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_SECTION_PART = re.compile(r"([A-Z]\d+)_(primary|junior)")


def _str_keys(mapping: Mapping) -> dict[str, str]:
    return {str(k): str(v) for k, v in mapping.items()}


@cache
def _codes() -> dict[str, str]:
    """Codes that mean one thing in every table (学段, 办学类型, statuses …) → Chinese."""
    out: dict[str, str] = {}
    for mapping in (SECTION_ZH, SCHOOL_TYPE_ZH, URBAN_RURAL_ZH, KINDERGARTEN_TYPE_ZH, CLASS_TYPE_ZH, excel.KIND_ZH,
                    {"published": "发布的监测结果"}, TARGET_ZH, MILESTONE_STATUS_ZH, TIMING_ZH, CHANGE_ZH, PARTS_ZH,
                    AREA_ZH, {code: zh for zh, code in LEVER_LABELS.items() if zh != code}):
        for code, zh in mapping.items():
            if zh and _IDENTIFIER.fullmatch(str(code)):
                out.setdefault(str(code), str(zh))
    for name, ds in catalog.DATASETS.items():  # a dataset named as a source (task list: items, planning)
        out.setdefault(name, ds.title_zh)
    return out


@cache
def _column_values() -> dict[str, dict[str, str]]:
    """Per input column id, its option codes → the contract's first Chinese label (ownership private → 民办)."""
    out: dict[str, dict[str, str]] = {k: _str_keys(v) for k, v in _COLUMN_VALUES.items()}
    for table in TABLES.values():
        for col in table.columns:
            for label, code in (col.values or {}).items():
                if isinstance(code, str):
                    out.setdefault(col.id, {}).setdefault(code, label)
    return out


def _flat_headers() -> dict[str, str]:
    out: dict[str, str] = {}
    for names in (*tasks.HEADERS.values(), plan.PLAN_HEADERS, plan.CHECK_HEADERS, excel.ITEM_HEADERS):
        for k, v in names.items():
            out.setdefault(k, v)
    return out


def header_zh(column: Any, profile: Mapping | None = None) -> Any:
    """Chinese header of a column: the workbook's name, the tracking/plan sheets', then :data:`AUDIT_HEADERS`;
    ``status_zh`` is named as ``status``; a code used as a header (a count by 办学类型) in Chinese."""
    if not isinstance(column, str):
        return column
    if column in _GENERAL:
        return _GENERAL[column]
    found = excel.header_of(column, profile)
    if found != column:
        return found
    for names in (_flat_headers(), AUDIT_HEADERS):
        if column in names:
            return names[column]
    if column.endswith("_zh") and column != "name_zh":
        return header_zh(column[:-3], profile)
    return _codes().get(column, column)


def item_code_zh(value: str) -> str:
    """An item id as readers number it: G5_primary → G5（小学）, G8_pay → G8, R_schools_junior → 校校达标（初中）,
    CV_primary_R1 → R1差异系数（小学）, X_training_payroll → 附加要求; other ids unchanged."""
    m = _SECTION_PART.fullmatch(value)
    if m:
        return f"{m.group(1)}（{SECTION_ZH[m.group(2)]}）"
    m = re.fullmatch(r"R_schools_(primary|junior)", value)
    if m:
        return f"校校达标（{SECTION_ZH[m.group(1)]}）"
    m = re.fullmatch(r"CV_(primary|junior)_(R\d+)", value)
    if m:
        return f"{m.group(2)}差异系数（{SECTION_ZH[m.group(1)]}）"
    if value.startswith("X_"):
        return "附加要求"
    m = re.fullmatch(r"([A-Z]\d+)_[a-z0-9_]+", value)
    if m:
        return m.group(1)
    m = re.fullmatch(r"(R\d+)_(cv|share)", value)
    if m:
        return f"{m.group(1)} {'差异系数' if m.group(2) == 'cv' else '达标学校比例'}"
    return {"school_pass": "校校达标", "school_pass_share": "校校达标学校比例", "CV_primary": "差异系数（小学）",
            "CV_junior": "差异系数（初中）", "R_schools": "校校达标"}.get(value, value)


def _text(value: str, column: Any, profile: Mapping | None) -> str:
    per_column = _column_values().get(str(column), {})
    if value in per_column:
        return per_column[value]
    if value in _codes():
        return _codes()[value]
    if value.lower() in ("nan", "none", "<na>"):
        return MISSING_TEXT
    if not _IDENTIFIER.fullmatch(value):
        return value
    coded = item_code_zh(value)
    if coded != value:
        return coded
    if "_" in value or value.islower():  # a column id named in a cell (stock_field: key_teachers)
        named = header_zh(value, profile)
        return named if isinstance(named, str) else value
    return value


@cache
def _code_columns() -> frozenset[str]:
    """Columns holding codes (学校标识码, 幼儿园标识码): digits shown as written, never as 5,001,018,001."""
    return frozenset(c.id for t in TABLES.values() for c in t.columns if c.kind == "code")


def _number(value: float, integral: bool, fmt: str | None, code: bool = False) -> str:
    if fmt:
        return fmt.format(value)
    if integral:
        whole = int(round(value))
        return f"{whole:,}" if abs(whole) >= 10_000 and not code else str(whole)
    if abs(value) >= 10_000:
        return fmt_number(value, 2)
    return f"{value:.4f}".rstrip("0").rstrip(".")


def cell_zh(value: Any, column: Any = None, profile: Mapping | None = None, fmt: str | None = None,
            integral: bool = False) -> str:
    """One value as the audit shows it (see the module docstring)."""
    if isinstance(value, list | tuple | set | np.ndarray):
        return "、".join(cell_zh(v, column, profile) for v in value) or MISSING_TEXT
    if value is None or value is pd.NA or value is pd.NaT:
        return MISSING_TEXT
    if isinstance(value, bool | np.bool_):
        return YES if value else NO
    code = isinstance(column, str) and (column.endswith("_code") or column in _code_columns())
    if isinstance(value, int | np.integer):
        return fmt.format(value) if fmt else _number(float(value), True, None, code)
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return MISSING_TEXT
        return _number(float(value), integral or (float(value).is_integer() and fmt is None), fmt, code)
    if isinstance(value, str):
        if column == "units":  # equipment_value=万元 → 教学仪器设备资产值=万元
            return "；".join(_unit_text(u, profile) for u in value.split(";") if u) or MISSING_TEXT
        return _text(value, column, profile)
    return str(value)


def _unit_text(unit: str, profile: Mapping | None) -> str:
    column, _, given = unit.partition("=")
    named = header_zh(column, profile)
    return f"{re.sub(r'（[^（）]*）$', '', named) if isinstance(named, str) else column}：{given}"


def _whole(series: pd.Series) -> bool:
    """A float column holding whole numbers only (counts read with a missing value become floats)."""
    if not pd.api.types.is_float_dtype(series.dtype):
        return False
    values = series.dropna().to_numpy(dtype=float)
    return bool(len(values)) and bool(np.all(np.isfinite(values) & (values == np.round(values))))


def _index_zh(index: pd.Index, profile: Mapping | None) -> pd.Index:
    names = [header_zh(n, profile) if n is not None else None for n in index.names]
    if isinstance(index, pd.RangeIndex):
        return index
    if isinstance(index, pd.MultiIndex):
        levels = [[_label(v, n, profile) for v in index.get_level_values(k)] for k, n in enumerate(index.names)]
        return pd.MultiIndex.from_arrays(levels, names=names)
    return pd.Index([_label(v, index.name, profile) for v in index], name=names[0])


def _label(value: Any, name: Any, profile: Mapping | None) -> Any:
    """An index label or header: a code or column id in Chinese, numbers (years) unchanged."""
    if isinstance(value, str):
        per_column = _column_values().get(str(name), {})
        if value in per_column:
            return per_column[value]
        named = header_zh(value, profile)
        return named if named != value else _text(value, name, profile)
    if isinstance(value, bool | np.bool_):
        return YES if value else NO
    if isinstance(value, float) and not math.isnan(value) and value.is_integer():
        return int(value)
    return value


def audit_table(data: pd.DataFrame | pd.Series | Mapping | None, profile: Mapping | None = None,
                formats: Mapping[str, str | Callable[[Any], str]] | None = None) -> pd.DataFrame | None:
    """The reader's view of a table (审计表格): Chinese headers and values, as text; ``formats`` maps a column
    (machine name) to a format such as ``"{:.1%}"`` or a function. A column with a Chinese twin (``status`` and
    ``status_zh``, ``milestone_id`` and ``milestone_zh``) is shown once, in Chinese. ``None`` stays ``None``.
    """
    if data is None:
        return None
    if isinstance(data, Mapping):
        data = pd.Series(dict(data), name="value").to_frame()
    elif isinstance(data, pd.Series):
        data = data.to_frame()
    formats = dict(formats or {})
    columns = list(data.columns)
    twins = {c for c in columns if isinstance(c, str)
             and (f"{c}_zh" in columns or (c.endswith("_id") and f"{c[:-3]}_zh" in columns))}
    out = {}
    for pos, col in enumerate(columns):
        if col in twins:
            continue
        series = data.iloc[:, pos]
        fmt = formats.get(col)
        whole = _whole(series)
        if callable(fmt):
            texts = [MISSING_TEXT if _missing(v) else str(fmt(v)) for v in series]
        else:
            texts = [cell_zh(v, col, profile, fmt if not _missing(v) else None, whole) for v in series]
        header = _label(col, data.columns.name, profile)
        if any(h == header and t == texts for h, t in out.values()):
            continue  # the same column twice (措施 by id and by name): shown once
        out[pos] = (header, texts)
    frame = pd.DataFrame({pos: texts for pos, (_, texts) in out.items()}, index=data.index)
    kept = [columns[pos] for pos in out]
    if isinstance(data.columns, pd.MultiIndex):
        frame.columns = pd.MultiIndex.from_tuples(
            [tuple(_label(v, n, profile) for v, n in zip(c, data.columns.names, strict=True)) for c in kept],
            names=[header_zh(n, profile) for n in data.columns.names])
    else:
        frame.columns = pd.Index([_label(c, data.columns.name, profile) for c in kept],
                                 name=header_zh(data.columns.name, profile) if data.columns.name else None)
    frame.index = _index_zh(data.index, profile)
    return frame


def _missing(value: Any) -> bool:
    if isinstance(value, list | tuple | set | np.ndarray):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
