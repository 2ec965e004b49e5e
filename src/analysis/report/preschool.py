"""The preschool part of the reports (学前教育普及普惠): both verdicts on the first screen of summary.html, the
failing preschool items with their responsible sections, the P1–P3/P28/P31 projection, and the preschool sheets
of results.xlsx. Fragment builders only (DataFrames and dicts in, HTML or sheets out); the report notebook calls
them next to the compulsory fragments of :mod:`analysis.report.fragments`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from openpyxl import Workbook

from analysis.report import excel
from analysis.report.format import COMPARATOR_ZH, esc, fmt_value, light, num_link
from analysis.report.fragments import items_in_words
from analysis.standards.status import ITEM_LIGHT, NOT_PROVIDED, VERDICT_ZH

PRESCHOOL_AREAS = {"preschool_veto", "preschool_universal", "preschool_guarantee", "preschool_quality",
                   "preschool_recognition"}
_COMPULSORY_ZH = {"pass": f"{VERDICT_ZH['pass']}（达到优质均衡）", "fail": VERDICT_ZH["fail"],
                  "unknown": VERDICT_ZH[NOT_PROVIDED]}


def _card(title: str, status: str, verdict_text: str, summary: str, dataset: str) -> str:
    light_status = {"pass": "pass", "fail": "fail"}.get(status, "unknown")
    return (f'<div class="rpt-banner {light_status}"><div class="title">{esc(title)}</div>'
            f'<div class="verdict">{light(light_status, "")}{num_link(esc(verdict_text), dataset)}</div>'
            f"<p>{esc(summary)}</p></div>")


def _card_summary(verdict: Mapping, profile: Mapping | None) -> str:
    """The failing items by name (a leader reads 班额（小学）, not G5_primary); the verdict's own summary when
    nothing failed."""
    failing = [f for f in verdict.get("failing_items") or [] if isinstance(f, Mapping)]
    return items_in_words(failing, profile) if failing else str(verdict.get("summary", ""))


def dual_verdict(compulsory: Mapping | None, preschool: Mapping | None, county_name: str, year: int,
                 profile: Mapping | None = None) -> str:
    """Both evaluations side by side (义务教育优质均衡 | 学前教育普及普惠); a part not handed in says so. Items
    are named in Chinese (the profile's short names, when ``profile`` is given), never by their codes."""
    if compulsory is None:
        left = _card("义务教育优质均衡发展", "unknown", _COMPULSORY_ZH["unknown"],
                     "未提交义务教育学校数据（学校基本情况、专任教师情况），义务教育部分未评估。", "verdict")
    else:
        status = str(compulsory.get("status", "unknown"))
        left = _card("义务教育优质均衡发展", status, _COMPULSORY_ZH.get(status, status),
                     _card_summary(compulsory, profile), "verdict")
    if preschool is None or preschool.get("status") == NOT_PROVIDED:
        right = _card("学前教育普及普惠", "unknown", VERDICT_ZH[NOT_PROVIDED],
                      "未提交学前教育数据（幼儿园基本情况等表），学前教育部分未评估。", "preschool_verdict")
    else:
        right = _card("学前教育普及普惠", str(preschool["status"]), str(preschool["verdict"]),
                      _card_summary(preschool, profile), "preschool_verdict")
    head = f"<h2>{esc(county_name)} {int(year)} 年 · 两项督导评估结论</h2>"
    return (f'<div class="rpt">{head}<div style="display:grid;grid-template-columns:1fr 1fr;gap:12px">'
            f"{left}{right}</div></div>")


def failing_items_table(items: pd.DataFrame | None, verdict: Mapping | None) -> str:
    """Preschool items not met, most severe first, with responsible sections (004 附件1)."""
    if verdict is None or verdict.get("status") == NOT_PROVIDED or items is None:
        return '<div class="rpt"><p class="missing">未提交学前教育数据，学前教育普及普惠部分未评估。</p></div>'
    failing = verdict.get("failing_items") or []
    if not failing:
        return f'<div class="rpt"><p>{light("pass", "")}学前教育普及普惠 {len(items)} 项全部达标。</p></div>'
    rows = []
    for f in failing:
        status = ITEM_LIGHT.get(f["status"], "unknown")  # 缺少数据 is a risk to the verdict, as in the compulsory table
        rows.append(
            f'<tr class="{"bad" if status == "fail" else "warn"}"><td>{esc(f["severity_zh"])}</td>'
            f'<td>{esc(f["item_id"])} {esc(f["name_zh"])}</td>'
            f'<td class="n">{num_link(esc(f["value_text"]) or "—", "preschool_items")}</td>'
            f'<td class="n">{esc(COMPARATOR_ZH.get(f["comparator"], f["comparator"]))} '
            f'{fmt_value(f["threshold"], f["threshold"])}</td>'
            f'<td>{light(status, f["status"])}</td>'
            f'<td>{esc(f["lead_department"]) or "—"}</td><td>{esc(f["cooperating_departments"]) or "—"}</td></tr>')
    head = ("<tr><th>严重程度</th><th>事项</th><th>现状</th><th>要求</th><th>判定</th><th>牵头科室</th>"
            "<th>配合科室</th></tr>")
    return (f'<div class="rpt"><p>学前教育普及普惠共 {len(items)} 个检查项，未达标或缺少数据 {len(failing)} 项：</p>'
            f'<table class="rpt-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>')


def projection_table(milestones: pd.DataFrame | None) -> str:
    """P1–P3, P28, P31 at each milestone (预计达标 / 存在风险 / 预计不达标)."""
    if milestones is None or milestones.empty:
        return '<div class="rpt"><p class="missing">学前教育历史数据不足或未提供，未做预测。</p></div>'
    cols = list(milestones.columns)
    head = "".join(f"<th>{esc(c)}</th>" for c in ["事项", *cols[2:]])
    body = "".join("<tr><td>" + esc(f"{r['item_id']} {r['name_zh']}") + "</td>"
                   + "".join(f"<td>{num_link(esc(r[c]), 'preschool_projection')}</td>" for c in cols[2:]) + "</tr>"
                   for _, r in milestones.iterrows())
    return f'<div class="rpt"><table class="rpt-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def add_sheets(wb: Workbook, items: pd.DataFrame | None, verdict: Mapping | None,
               projection: pd.DataFrame | None) -> Workbook:
    """学前教育事项 and 学前教育预测 sheets of results.xlsx (a note when the county handed in no preschool data)."""
    provided = verdict is not None and verdict.get("status") != NOT_PROVIDED
    ws = wb.create_sheet("学前教育事项")
    if provided:
        excel.items_sheet(ws, items, PRESCHOOL_AREAS, "学前教育普及普惠")
    else:
        excel.plain_sheet(ws, None, "未提交学前教育数据，学前教育普及普惠部分未评估。", "")
    excel.plain_sheet(wb.create_sheet("学前教育预测"), projection if provided else None,
                      "未提交学前教育数据或历史数据不足，未做预测。", "学前教育历史数据不足，未做预测。")
    return wb
