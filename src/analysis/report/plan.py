"""Report fragments of the plan (整改方案): the county's costed total per year, the verdict with and without the
plan (what-if), one card per school (一校一案) and the plan sheets of results.xlsx.

DataFrames in, HTML strings (or workbook sheets) out, like :mod:`analysis.report.fragments`; numbers link to the
place in the audit report where they are computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from openpyxl import Workbook

from analysis.config import SECTION_ZH
from analysis.data import catalog
from analysis.evaluate.plan.rotation import KINDS
from analysis.report.excel import chinese_values, write_sheet
from analysis.report.format import esc, light, missing_notice, num_link
from analysis.report.results import load_optional

WAN = 10_000  # 1 万元 (display unit)
PLAN_HEADERS = {"year": "实施年份", "school_code": "学校标识码", "school_name": "学校名称", "section": "学段",
                "lever": "措施编号", "lever_zh": "措施", "quantity": "数量", "unit": "单位", "unit_cost": "单价（元）",
                "cost": "费用（元）", "indicator": "对应指标", "department": "责任单位", "deadline": "完成时限",
                "milestone": "时间节点", "to_school_code": "交流至学校", "detail": "类别", "note": "说明"}
CHECK_HEADERS = {"year": "时间节点年份", "milestone": "时间节点", "scope": "范围", "school_code": "学校标识码",
                 "school_name": "学校名称", "section": "学段", "rule": "规则", "rule_zh": "规则名称", "before": "整改前",
                 "after": "整改后", "limit": "标准/限值", "comparator": "比较", "passes_before": "整改前达标",
                 "passes_after": "整改后达标", "claimed": "方案承诺达标", "ok": "复核通过"}


# plan.csv ``detail``: the kind of teacher a rotation moves (analysis.evaluate.plan.rotation)
DETAIL_ZH = {**{k: zh for k, (_, zh) in KINDS.items()}, "teachers": "专任教师", "exchange": "对调交流",
             "exchange_key": "对调交流（骨干教师）"}
PLAN_DATASETS = ("plan", "plan_check", "plan_whatif", "plan_status")


def load_plan(load) -> dict[str, Any]:
    """The plan step's outputs by catalog name, ``None`` for each one absent (the report runs without a plan)."""
    return {name: load_optional(load, name) for name in PLAN_DATASETS}


def _wan(value: float) -> str:
    return f"{value / WAN:,.1f}"


def _link(text: str, dataset: str) -> str:
    return num_link(esc(text), dataset)


def yearly_costs(plan: pd.DataFrame) -> pd.DataFrame:
    """Cost per year and kind of lever (万元), with the total (县域整改经费逐年合计)."""
    if plan is None or plan.empty:
        return pd.DataFrame(columns=["year", "措施", "费用（万元）"])
    g = plan.groupby(["year", "lever_zh"], sort=True)["cost"].sum().reset_index()
    g["费用（万元）"] = g["cost"] / WAN
    return g.rename(columns={"lever_zh": "措施"})[["year", "措施", "费用（万元）"]]


def plan_summary(plan: pd.DataFrame | None, status: Mapping | None, whatif: pd.DataFrame | None) -> str:
    """Leader summary: which plan, its total cost, the cost per year, and each milestone with and without it."""
    if plan is None or status is None:
        return missing_notice("plan plan_status", f"请先运行“{catalog.STEPS[catalog.PLAN].title_zh}”步骤")
    parts = [f"<p><b>方案：</b>{esc(status.get('variant', ''))}。"]
    if status.get("message"):
        parts.append(f'</p><p class="note"><b>约束说明：</b>{esc(status["message"])}')
    total = float(plan["cost"].sum()) if len(plan) else 0.0
    parts.append(f"</p><p><b>县域整改经费合计：</b>{_link(_wan(total), 'plan')} 万元（单价为示例假设值的，以本县成本单价表替换）。</p>")
    if len(plan):
        by_year = plan.groupby("year")["cost"].sum()
        kinds = plan.groupby(["year", "lever_zh"])["cost"].sum()
        rows = []
        for year, cost in by_year.items():
            top = kinds.loc[year].sort_values(ascending=False).head(4)
            what = "；".join(f"{esc(k)} {_wan(v)}" for k, v in top.items() if v > 0)
            rows.append(f"<tr><td>{int(year)}</td><td class=\"num\">{_link(_wan(cost), 'plan')}</td>"
                        f"<td>{what}</td></tr>")
        parts.append('<table class="rpt-table"><thead><tr><th>年份</th><th>经费（万元）</th><th>主要措施（万元）</th>'
                     f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    parts.append(whatif_table(whatif))
    return "<div class=\"rpt-plan\">" + "".join(parts) + "</div>"


def whatif_table(whatif: pd.DataFrame | None) -> str:
    """Each milestone under each scenario: schools and CVs passing, G3/G4/G5 schools failing, G11, verdict."""
    if whatif is None or whatif.empty:
        return ""
    rows = []
    for r in whatif.to_dict("records"):
        verdict = light("pass" if r["all_pass"] else "fail", "全部达标" if r["all_pass"] else "未全部达标")
        rows.append(f"<tr><td>{esc(r['scenario'])}</td><td>{int(r['year'])} {esc(r['milestone'])}</td>"
                    f"<td class=\"num\">{int(r['schools_passing'])}/{int(r['school_sections'])}</td>"
                    f"<td class=\"num\">{int(r['cv_passing'])}/{int(r['cvs'])}</td>"
                    f"<td class=\"num\">{int(r['g3_failing'])}/{int(r['g4_failing'])}/{int(r['g5_failing'])}</td>"
                    f"<td>{'达标' if r['g11_passes'] else '未达标'}</td>"
                    f"<td class=\"num\">{_wan(float(r['cost_to_date']))}</td><td>{verdict}"
                    f"<br><span class=\"note\">{esc(r['failing'])}</span></td></tr>")
    return ('<h4>采取与不采取整改方案的对比（资源配置与逐校保障条件）</h4><table class="rpt-table"><thead><tr>'
            "<th>情景</th><th>时间节点</th><th>校校达标（学校学段）</th><th>差异系数达标</th>"
            "<th>G3/G4/G5 不达标学校</th><th>G11 交流轮岗</th><th>累计经费（万元）</th><th>结论</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def school_plans(plan: pd.DataFrame, check: pd.DataFrame) -> pd.DataFrame:
    """一校一案: per school its gaps before the plan, its actions, cost, deadline and responsible departments."""
    if plan is None or plan.empty:
        return pd.DataFrame(columns=["学校标识码", "学校名称", "整改前问题", "整改措施", "费用（万元）", "完成时限", "责任单位"])
    gaps = check[(check["scope"] == "学校") & (check["passes_before"] == False)]  # noqa: E712 (a nullable column)
    gap_text = {}
    for r in gaps.itertuples():  # read back from CSV an empty section is NaN
        where = f"（{r.section}）" if isinstance(r.section, str) and r.section else ""
        gap_text.setdefault(str(r.school_code).split("-")[0], {})[f"{r.rule_zh}{where}"] = None
    gap_text = {k: "；".join(v) for k, v in gap_text.items()}
    rows = []
    # each action's text once for the whole plan (itertuples per school is most of the time of this sheet)
    base = plan.assign(root=plan["school_code"].astype(str).str.split("-").str[0],
                       action_text=[f"{int(r.year)}年 {r.lever_zh} {r.quantity:g}{r.unit}"
                                    + (f"（{SECTION_ZH.get(r.section, r.section)}）" if isinstance(r.section, str)
                                       and r.section else "")
                                    for r in plan.itertuples()])
    for root, part in base.groupby("root", sort=True):
        rows.append({"学校标识码": root, "学校名称": part["school_name"].iloc[0], "整改前问题": gap_text.get(root, ""),
                     "整改措施": "；".join(part["action_text"]), "费用（万元）": part["cost"].sum() / WAN,
                     "完成时限": "、".join(dict.fromkeys(part["deadline"])),
                     "责任单位": "、".join(dict.fromkeys(d for ds in part["department"] for d in str(ds).split("、") if d))})
    return pd.DataFrame(rows)


def school_card(row: Mapping[str, Any]) -> str:
    """One school's page section (一校一案卡片) for the audit report."""
    return (f'<div class="rpt-card"><h4>{esc(row["学校名称"])}（{esc(row["学校标识码"])}）</h4>'
            f"<p><b>整改前问题：</b>{esc(row['整改前问题'] or '无（仅参与交流轮岗或为全县差异系数整改）')}</p>"
            f"<p><b>整改措施：</b>{esc(row['整改措施'])}</p>"
            f"<p><b>费用：</b>{row['费用（万元）']:,.1f} 万元；<b>完成时限：</b>{esc(row['完成时限'])}；"
            f"<b>责任单位：</b>{esc(row['责任单位'])}</p></div>")


def school_cards(cards: pd.DataFrame) -> str:
    return "".join(school_card(r) for r in cards.to_dict("records")) or '<p class="note">无需整改的学校。</p>'


def add_plan_sheets(wb: Workbook, plan: pd.DataFrame | None, check: pd.DataFrame | None) -> Workbook:
    """Sheets 整改方案 (every costed action), 一校一案 (per school) and 方案复核 (plan_check) of results.xlsx."""
    if plan is None or check is None:
        return wb
    # measures and rules by their Chinese names (措施, 规则名称): the ids (lever, rule) stay in the CSV files
    frame = plan.drop(columns=[c for c in ("lever",) if c in plan and "lever_zh" in plan])
    frame = frame.assign(section=frame["section"].map(lambda s: SECTION_ZH.get(s, s)))
    if "detail" in frame:
        frame["detail"] = frame["detail"].map(lambda v: DETAIL_ZH.get(v, v) if isinstance(v, str) else v)
    write_sheet(wb.create_sheet("整改方案"), frame, [PLAN_HEADERS.get(c, c) for c in frame.columns],
                {"quantity": "#,##0.00", "unit_cost": "#,##0", "cost": "#,##0"})
    cards = school_plans(plan, check)
    write_sheet(wb.create_sheet("一校一案"), cards, list(cards.columns), {"费用（万元）": "#,##0.0"})
    view = chinese_values(check.drop(columns=[c for c in ("rule",) if c in check and "rule_zh" in check]))
    write_sheet(wb.create_sheet("方案复核"), view, [CHECK_HEADERS.get(c, c) for c in view.columns],
                {"before": "0.000", "after": "0.000"})
    return wb
