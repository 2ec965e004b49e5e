"""HTML fragments and Excel sheets for the tracking outputs: milestone schedule, task list per department,
township breakdown, yearly-target ledger and large-class ledger (summary.html via notebook 06; results.xlsx)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from openpyxl import Workbook

from analysis.data import catalog
from analysis.report.excel import missing_note, plain_sheet
from analysis.report.format import esc, missing_notice, num_link, section_zh, wrap_fragment
from analysis.report.results import load_optional
from analysis.standards.departments import departments_source

TRACKING = {"schedule": "milestone_schedule", "tasks": "task_list", "townships": "townships",
            "targets": "target_ledger", "large_classes": "large_class_ledger"}
HEADERS = {
    "milestone_schedule": {"date_zh": "时间", "milestone_zh": "时间节点", "timing_zh": "时段", "status_zh": "状态",
                           "basis": "判定依据", "source": "文件依据"},
    "task_list": {"department": "责任单位", "role": "角色", "task_kind": "类别", "task": "任务", "schools": "涉及学校",
                  "deadline": "时限", "status": "现状"},
    "townships": {"township": "乡镇（学区）", "schools": "学校数", "school_sections": "参评学段数",
                  "compliant_sections": "校校达标学段数", "compliant_share": "达标比例", "gaps": "未达标指标（次数）",
                  "g3_failing": "G3不达标学校", "g4_failing": "G4超规模学校", "oversized_classes": "大班额个数",
                  "respondents": "问卷份数", "recognition_rate": "社会认可度"},
    "target_ledger": {"year": "年份", "wording": "目标（文件原文）", "indicator": "指标", "scope": "范围", "target": "目标值",
                      "kind": "类别", "actual": "实际/预测值", "status_zh": "完成情况", "note": "说明"},
    "large_class_ledger": {"year": "年份", "school_name": "学校名称", "section": "学段", "grade": "年级", "class_no": "班号",
                           "students": "学生数", "cap": "上限", "next_year": "次年情况"},
}


@dataclass
class Tracking:
    schedule: pd.DataFrame | None = None
    tasks: pd.DataFrame | None = None
    townships: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None
    large_classes: pd.DataFrame | None = None


def load_tracking(load: Callable[[str], Any]) -> Tracking:
    """The tracking datasets of the county-year; an absent one is ``None`` (the fragment says so)."""
    return Tracking(**{attr: load_optional(load, name) for attr, name in TRACKING.items()})


def _table(frame: pd.DataFrame, dataset: str, title: str, note: str = "", max_rows: int = 60) -> str:
    cols = HEADERS[dataset]
    view = frame[[c for c in cols if c in frame]].head(max_rows)
    head = "".join(f"<th>{esc(cols[c])}</th>" for c in view.columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(_fmt(c, v))}</td>" for c, v in r.items()) + "</tr>"
                   for r in view.to_dict("records"))
    whole = num_link(esc(catalog.dataset(dataset).title_zh), dataset)
    more = f"<p>共 {len(frame)} 行，此处列出前 {max_rows} 行；全部见{whole}。</p>" if len(frame) > max_rows else ""
    return wrap_fragment(f"<h2>{esc(title)}</h2>{note}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}")


def _fmt(col: str, value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    if col in ("compliant_share", "recognition_rate"):
        return f"{float(value):.1%}"
    if col == "section":
        return section_zh(value)
    return value


def schedule_html(schedule: pd.DataFrame | None) -> str:
    if schedule is None:
        return missing_notice("milestone_schedule", "时间节点尚未生成")
    if schedule.empty:
        return wrap_fragment("<h2>时间节点</h2><p>评估口径所据文件未规定时间节点。</p>")
    return _table(schedule, "milestone_schedule", "时间节点（文件原文；已过的按当年实际结果判定）")


def task_list_html(tasks: pd.DataFrame | None, profile: dict) -> str:
    if tasks is None:
        return missing_notice("task_list", "分部门任务清单尚未生成")
    if tasks.empty:
        return wrap_fragment("<h2>分部门任务清单</h2><p>没有未达标事项或整改措施。</p>")
    source = departments_source(profile)
    note = (f"<p>责任单位及角色按{esc(source)}；文件写明“牵头”的才称牵头。"
            f"共 {tasks['department'].nunique()} 个单位、{len(tasks)} 条任务。</p>")
    return _table(tasks, "task_list", "分部门任务清单（每项任务及时限）", note, max_rows=80)


def township_html(townships: pd.DataFrame | None, profile: dict) -> str:
    if townships is None:
        return missing_notice("townships", "分乡镇（学区）情况尚未生成")
    note = "<p>按学校所在乡镇汇总（达标比例最低的在前）；社会认可度按问卷所填乡镇计算。</p>"
    return _table(townships, "townships", "分乡镇（学区）情况", note)


def target_ledger_html(targets: pd.DataFrame | None, large_classes: pd.DataFrame | None) -> str:
    if targets is None:
        return missing_notice("target_ledger", "年度目标完成情况尚未生成")
    if targets.empty:
        return wrap_fragment("<h2>年度目标完成情况</h2><p>未提供县定年度目标表。</p>")
    parts = [_table(targets, "target_ledger", "年度目标完成情况（实际与预测）",
                    "<p>比例目标按学校（非学段）计算；过去年份为实际值，以后年份为预测。</p>")]
    if large_classes is not None:
        counts = large_classes.groupby(["year", "next_year"]).size().unstack(fill_value=0)
        lines = "".join(f"<li>{int(y)} 年：大班额 {int(row.sum())} 个（" +
                        "，".join(f"{esc(k)} {int(v)}" for k, v in row.items() if v) + "）</li>"
                        for y, row in counts.iterrows())
        ledger = num_link(esc(catalog.dataset("large_class_ledger").title_zh), "large_class_ledger")
        parts.append(wrap_fragment(f"<h2>大班额台账</h2><ul>{lines or '<li>各年均无大班额</li>'}</ul>"
                                   f"<p>逐班明细见{ledger}。</p>"))
    return "".join(parts)


def add_sheets(wb: Workbook, tracking: Tracking) -> None:
    """Sheets 时间节点, 任务清单, 分乡镇, 年度目标, 大班额台账 (Chinese headers; a missing dataset says so)."""
    for sheet, attr, what in (("时间节点", "schedule", "时间节点"), ("任务清单", "tasks", "任务清单"),
                              ("分乡镇", "townships", "分乡镇情况"), ("年度目标", "targets", "年度目标"),
                              ("大班额台账", "large_classes", "大班额台账")):
        frame = getattr(tracking, attr)
        dataset = TRACKING[attr]
        if frame is not None:  # 学段 in Chinese before the headers are renamed (plain_sheet maps by column id)
            frame = frame.assign(**{"section": frame["section"].map(section_zh)} if "section" in frame else {})
            frame = frame[[c for c in HEADERS[dataset] if c in frame]].rename(columns=HEADERS[dataset])
        plain_sheet(wb.create_sheet(sheet), frame, missing_note(dataset, f"{what}尚未生成。"), f"没有{what}。")
