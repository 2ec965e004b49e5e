"""Leader summary fragments, Excel workbook, audit/summary rendering and the index page (analysis.report.fragments, .render, .index, .excel)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.context import SAVED_MIME
from analysis.data import catalog, files
from analysis.report import excel, fragments, index, render
from analysis.report import format as fmt
from analysis.report.results import Results, load_results
from analysis.standards import load_profile

REPORT_STEP = Path(catalog.STEPS[catalog.REPORT].notebook).stem

PROFILE = load_profile("national")
IDS = list(PROFILE["resources"])
NASTY = 'A&B <script>alert("x")</script> 小学'


def _school(code, name, section, students, values, school_type="primary_school"):
    row = {"school_code": code, "school_name": name, "school_type": school_type, "urban_rural": "rural",
           "township": "城关镇", "section": section, "students": students, "share": 1.0}
    met = 0
    missed = []
    for ind, v in zip(IDS, values, strict=True):
        std = float(PROFILE["resources"][ind][section])
        row[ind] = v
        row[f"{ind}_ratio"] = v / std
        row[f"{ind}_std"] = std
        if v >= std:
            met += 1
        else:
            missed.append(ind)
    row["n_met"] = met
    floor = all(row[f"{i}_ratio"] >= PROFILE["school_rule"]["floor_ratio"] for i in missed)
    row["school_pass"] = met >= PROFILE["school_rule"]["min_met"] and floor
    row["missed"] = ";".join(missed)
    row["reason"] = "7项指标全部达标" if not missed else f"{met}项达标"
    return row


def make_processed(root: Path, *, projection: bool = True, verdict_status: str = "fail") -> Path:
    """A small hand-made processed folder: 3 primary and 2 junior school-sections, one with HTML in its name."""
    d = root / "processed" / "demo" / "2025"
    d.mkdir(parents=True, exist_ok=True)
    ok_p = [5.0, 1.5, 1.0, 5.0, 8.0, 2500.0, 2.5]
    rows = [
        _school("0001", "城关第一小学", "primary", 1200, ok_p),
        _school("0002", NASTY, "primary", 300, [3.0, 0.5, 1.0, 4.0, 8.0, 1200.0, 2.5]),  # 3 missed → fail
        _school("0003", "河口村小", "primary", 80, [5.0, 1.5, 1.0, 5.0, 7.0, 2500.0, 2.5]),  # R5 95% → pass
        _school("0004", "城关中学", "junior", 900, [6.0, 1.2, 1.0, 6.0, 11.0, 3000.0, 2.5], "junior_school"),
        _school("0005", "河口中学", "junior", 400, [6.0, 1.2, 1.0, 6.0, 11.0, 1800.0, 2.5], "junior_school"),
    ]
    files.write_csv(pd.DataFrame(rows), d / "school_indicators.csv")
    files.write_csv(pd.DataFrame([{"school_code": "0099", "school_name": "特教学校<甲>", "school_type": "special_ed_school",
                                "students": 40, "reason": "特殊教育学校不参加7项指标评估"}]), d / "excluded_schools.csv")
    cv_rows = []
    for section, limit in (("primary", 0.5), ("junior", 0.45)):
        for k, ind in enumerate(IDS):
            cv = 0.1234 + 0.01 * k if not (section == "primary" and ind == "R6") else 0.5678
            cv_rows.append({"section": section, "indicator": ind, "name_zh": PROFILE["resources"][ind]["zh"],
                            "weighted_mean": 4.56789 + k, "std": 0.5, "cv": cv, "limit": limit, "comparator": "<=",
                            "passed": cv <= limit, "n_schools": 3 if section == "primary" else 2, "core": True,
                            "note": ""})
    files.write_csv(pd.DataFrame(cv_rows), d / "cv.csv")
    files.write_csv(pd.DataFrame([
        {"section": "primary", "indicator": "R6", "school_code": "0002", "school_name": NASTY, "contribution": 0.1}]),
        d / "cv_contributions.csv")
    def item(item_id, area, area_zh, name, value, value_text, unit, threshold, comparator, status, severity,
             lead="县教委", coop="", kind="reported"):
        return {"item_id": item_id, "parent_id": item_id, "area": area, "area_zh": area_zh, "name_zh": name,
                "value": value, "value_text": value_text, "unit": unit, "threshold": threshold, "comparator": comparator,
                "passed": status == "达标" if status != "不适用" else None, "status": status, "evidence": "",
                "lead_department": lead, "cooperating_departments": coop, "kind": kind, "note": "", "severity": severity}

    items = [  # the layout of analysis.guarantee.ITEM_COLUMNS
        item("CV_primary_R6", "resource_cv", "资源配置·校际差异系数", "小学R6差异系数（生均教学仪器设备值）", 0.5678,
             "0.5678", "", 0.5, "<=", "未达标", 3, kind="computed"),
        item("G7", "guarantee", "政府保障程度", "特殊教育学校生均公用经费", 5200, "5,200 元", "元", 6000, ">=", "未达标",
             5, lead="县财政局", coop="县教委"),
        item("G9", "guarantee", "政府保障程度", "教师5年360学时培训完成率", 1.0, "100.00%", "比例", 1.0, ">=", "达标", 5),
        item("G10", "guarantee", "政府保障程度", "统筹分配各校教职工编制和岗位数量", None, "", "", "是", "=", "不适用", 5),
        item("Q1", "quality", "教育质量", "初中三年巩固率", 0.93, "93.00%", "比例", 0.95, ">=", "未达标", 6,
             coop="各乡镇人民政府"),
        item("Q5", "quality", "教育质量", "教师熟练运用信息化手段组织教学", None, "", "", "是", "=", "缺少数据", 6,
             kind="evidence"),
        item("S1", "recognition", "社会认可度", "社会认可度", 0.91, "91.00%", "比例", 0.85, ">=", "达标", 2),
        item("V3", "veto", "不予认定情形", "存在重点学校或重点班", "否", "否", "", "否", "=", "达标", 1, kind="evidence"),
    ]
    files.write_csv(pd.DataFrame(items), d / "items.csv")
    failing = [{k: i[k] for k in ("item_id", "name_zh", "status", "value", "value_text", "severity")}
               for i in items if i["status"] in ("未达标", "缺少数据")]
    files.write_json({"county": "demo", "year": 2025, "status": verdict_status,
                   "verdict": "认定" if verdict_status == "pass" else "不予认定",
                   "summary": "3 项未达标；1 项缺少数据", "veto_triggered": [], "failing_items": failing},
                  d / "verdict.json")
    if projection:
        rows = []
        for year, cv, share, st in ((2023, 0.62, 0.4, "observed"), (2024, 0.60, 0.5, "observed"),
                                    (2025, 0.5678, 0.6, "observed"), (2026, 0.55, 0.7, "off_track"),
                                    (2027, 0.51, 0.8, "at_risk"), (2028, 0.45, 1.0, "on_track")):
            band = (None, None) if st == "observed" else (cv - 0.04, cv + 0.04)
            rows.append({"level": "county", "school_code": "", "section": "primary", "indicator": "R6_cv",
                         "year": year, "value": cv, "low": band[0], "high": band[1], "threshold": 0.5, "status": st})
            rows.append({"level": "county", "school_code": "", "section": "primary", "indicator": "R1_cv",
                         "year": year, "value": 0.2, "low": None if st == "observed" else 0.18,
                         "high": None if st == "observed" else 0.22, "threshold": 0.5,
                         "status": "observed" if st == "observed" else "on_track"})
            rows.append({"level": "county", "school_code": "", "section": "primary", "indicator": "school_pass_share",
                         "year": year, "value": share, "low": None if st == "observed" else share - 0.1,
                         "high": None if st == "observed" else min(share + 0.1, 1.0), "threshold": 1.0,
                         "status": st})
            rows.append({"level": "county", "school_code": "", "section": "", "indicator": "Q1", "year": year,
                         "value": 0.93, "low": None, "high": None, "threshold": 0.95,
                         "status": "observed" if st == "observed" else "off_track"})
            rows.append({"level": "school", "school_code": "0002", "section": "primary", "indicator": "school_pass",
                         "year": year, "value": 0.0, "low": None, "high": None, "threshold": 1.0, "status": st})
        files.write_csv(pd.DataFrame(rows), d / "projection.csv")
    plan = []
    for year in (2026, 2027):
        plan.append({"priority": 1, "priority_zh": "学校未达“6+1”规则", "milestone_year": year, "school_code": "0002",
                     "school_name": NASTY, "section": "primary", "indicator": "R6", "name_zh": "生均教学仪器设备值",
                     "students": 300, "value": 1200.0, "standard": 2000.0, "gap": 240000.0, "unit": "元",
                     "to_add": None, "school_amount": 240000.0, "action": "购置教学仪器设备", "lead_department": "县教育局",
                     "cooperating_departments": "县财政局", "basis": "学校未达“6+1”规则，本项必须达到标准", "note": ""})
        plan.append({"priority": 1, "priority_zh": "学校未达“6+1”规则", "milestone_year": year, "school_code": "0002",
                     "school_name": NASTY, "section": "primary", "indicator": "R2", "name_zh": "骨干教师",
                     "students": 300, "value": 0.5, "standard": 1.0, "gap": 1.5, "unit": "人", "to_add": 2.0,
                     "school_amount": 1.5, "action": "培养或引进县级以上骨干教师", "lead_department": "县教育局",
                     "cooperating_departments": "", "basis": "", "note": ""})
    files.write_csv(pd.DataFrame(plan), d / "planning.csv")
    files.write_csv(pd.DataFrame([
        {"file": "学校.xlsx", "sheet": "Sheet1", "row": 5, "column": "占地面积", "value": "-3", "expected": ">= 0",
         "severity": "warning", "rule": "range"}]), d / "validation.csv")
    return d


DEPARTMENTS = {"R1": {"lead": "县教育局", "cooperating": ["县人社局", "县委编办"]}, "R2": ["县教育局", "县人社局"],
               "R4": "县发展改革委、县教育局", "R6": {"lead": ["县教育局"], "cooperating": "县财政局"}}


@pytest.fixture
def processed(tmp_path) -> Path:
    return make_processed(tmp_path)


@pytest.fixture
def results(processed) -> Results:
    return load_results(catalog.loader(processed))


def write_results(folder: Path, path: Path) -> Path:
    """results.xlsx of a processed folder, as notebook 06 saves it."""
    workbook = excel.build_workbook(load_results(catalog.loader(folder)), PROFILE)
    return files.save_workbook(workbook, path)


def profile_with_departments() -> dict:
    return {**PROFILE, "departments": DEPARTMENTS}


# ------------------------------------------------------------------------------------------------ small helpers
def test_display_formats_round_only_for_display():
    assert fmt.fmt_number(0.56789, 3) == "0.568"
    assert fmt.fmt_number(2500.4, 0) == "2,500"
    assert fmt.fmt_number(None) == "—"
    assert fmt.fmt_value(0.93, 0.95) == "93.0%"  # a rate against a rate standard
    assert fmt.fmt_value(5200, 6000) == "5,200"
    assert fmt.fmt_value("是", None) == "是"
    assert fmt.fmt_standard(4.2) == "4.2" and fmt.fmt_standard(2000) == "2,000"


# ---------------------------------------------------------------------------------------------------- fragments
def test_failing_schools_by_hand(results):
    fails = fragments.failing_schools(results.school_indicators, profile_with_departments())
    # 0002: R1 3.0<4.2, R2 0.5<1, R4 4.0<4.5, R6 1200<2000 → 3 met; 0005: only R6 1800/2500 = 72% < 85% floor.
    # 0003 misses R5 only at 7.0/7.5 = 93% ≥ 85% → passes and is not listed.
    assert fails["school_code"].tolist() == ["0002", "0005"]
    first = fails.iloc[0]
    assert first["n_met"] == 3 and first["missed"] == "R1;R2;R4;R6"
    assert "R1 高学历教师（71.4%）" in first["missed_detail"] and "R6 仪器设备值（60.0%）" in first["missed_detail"]
    assert first["lead"] == "县教育局、县发展改革委"
    assert first["cooperating"] == "县人社局、县委编办、县财政局"
    assert fails.iloc[1]["missed_detail"] == "R6 仪器设备值（72.0%）"


def test_failing_detail_shows_the_absolute_gap(results):
    si = results.school_indicators.assign(R6_gap=0.0, R1_gap=0.0)
    si.loc[si["school_code"] == "0005", "R6_gap"] = 2500 - 1800
    si.loc[si["school_code"] == "0002", "R1_gap"] = 4.2 - 3.0
    fails = fragments.failing_schools(si, PROFILE).set_index("school_code")
    assert fails.loc["0005", "missed_detail"] == "R6 仪器设备值（72.0%，差700 元/生）"
    assert "R1 高学历教师（71.4%，差1.20 人/百生）" in fails.loc["0002", "missed_detail"]


def test_shortfall_percent_is_rounded_down_so_it_never_reads_as_the_floor(results):
    si = results.school_indicators.copy()
    si.loc[si["school_code"] == "0005", "R6_ratio"] = 0.84996  # fails the 85% floor: must not print "85"
    fails = fragments.failing_schools(si, PROFILE).set_index("school_code")
    assert fails.loc["0005", "missed_detail"] == "R6 仪器设备值（84.9%）"


def test_school_names_with_html_characters_are_escaped(results):
    out = fragments.failing_schools_table(results.school_indicators, PROFILE)
    assert "<script>" not in out
    assert "A&amp;B &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; 小学" in out
    notes = fragments.data_notes(results.excluded, results.validation)
    assert "特教学校&lt;甲&gt;" in notes and "<甲>" not in notes
    actions = fragments.priorities_html(fragments.priority_actions(results, PROFILE), results.planning)
    assert "<script>" not in actions and "&lt;script&gt;" in actions


def test_indicator_table_lights_and_numbers(results):
    out = fragments.indicator_table(results.cv, results.school_indicators, PROFILE)
    # CVs as in cv.csv, three decimals, each linked to its own worked table in the audit report
    assert '<a class="num" href="audit.html#cv-primary-R6">0.568</a>' in out
    assert '<a class="num" href="audit.html#cv-primary-R1">0.123</a>' in out
    assert '<a class="num" href="audit.html#cv-junior-R1">0.123</a>' in out
    rows = re.findall(r"<tr[^>]*>.*?</tr>", out)
    r6_primary = next(r for r in rows if "R6 生均教学仪器设备值" in r)
    assert 'class="bad"' in r6_primary and "light fail" in r6_primary and "≥ 2,000 元/生" in r6_primary
    assert ">2</a>/3（67%）" in r6_primary  # 0001 and 0003 meet 2000 yuan, 0002 does not
    r3_junior = [r for r in rows if "R3 " in r][1]
    assert "全部达标" in r3_junior and "≤ 0.45" in r3_junior
    assert "小学：参评" in out and "校校达标 <a" in out


def test_verdict_banner_and_milestones(results):
    ms = fragments.milestone_status(results.projection, PROFILE)
    assert ms["year"].tolist() == [2026, 2027, 2028]
    assert ms["status"].tolist() == ["fail", "fail", "fail"]  # Q1 stays off track in every projected year
    y2027 = ms.set_index("year").loc[2027]
    assert y2027["failing"] == "Q1" and "小学 R6 仪器设备值差异系数" in y2027["at_risk"]
    assert (y2027["schools_fail"], y2027["schools_at_risk"]) == (0, 1)
    assert ms.set_index("year").loc[2026, "schools_fail"] == 1
    out = fragments.verdict_banner(results.verdict, "示例县<测试>", 2025, ms)
    assert 'class="rpt-banner fail"' in out and "未达到优质均衡" in out and "评估结论：不予认定" in out
    assert "示例县&lt;测试&gt;" in out and "各时间节点均难以全部达到要求" in out
    assert "<li>小学R6差异系数（生均教学仪器设备值）：0.5678（未达标）</li>" in out
    assert "<li>初中三年巩固率：93.00%（未达标）</li>" in out and "教师熟练运用信息化手段组织教学（缺少数据）" in out


def test_milestone_reached_and_no_projection():
    prof = {"milestones": PROFILE["milestones"]}
    proj = pd.DataFrame({"level": "county", "school_code": "", "section": "primary", "indicator": "R1_cv",
                         "year": [2025, 2026, 2027, 2028], "value": 0.4, "low": 0.3, "high": 0.5, "threshold": 0.5,
                         "status": ["observed", "at_risk", "on_track", "on_track"]})
    ms = fragments.milestone_status(proj, prof)
    assert ms["status"].tolist() == ["at_risk", "pass", "pass"]
    assert fragments.first_milestone_met(ms)["year"] == 2027
    # passing now but the 2026 milestone is at risk → the county is "at risk"
    banner = fragments.verdict_banner({"status": "pass", "verdict": "认定"}, "县", 2025, ms)
    assert "预计 2027 年（国家审核认定）可达到要求" in banner and "rpt-banner at_risk" in banner
    assert "当前达标，后续有风险" in banner
    assert fragments.overall_status({"status": "pass"}, ms[ms["year"] > 2026]) == "pass"
    assert fragments.overall_status({"status": "fail"}, ms) == "fail"
    assert fragments.overall_status(None, ms) == "unknown"
    observed_only = proj.assign(status="observed")
    assert not fragments.milestone_status(observed_only, prof)["has_data"].any()
    assert "未做预测" in fragments.projection_table(observed_only, prof)


def test_projection_table_names_items(results):
    out = fragments.projection_table(results.projection, PROFILE, results.items)
    assert "Q1 初中三年巩固率" in out and "小学 R6 仪器设备值差异系数" in out
    names = fragments.item_names(results.items)
    assert fragments.projection_label("G7_share", "", PROFILE, names) == "G7 特殊教育学校生均公用经费（达标学校比例）"
    assert fragments.projection_label("R6_cv", "junior", PROFILE, names) == "初中 R6 仪器设备值差异系数"
    assert fragments.projection_label("school_pass_share", "primary", PROFILE) == "小学 校校达标学校比例"
    chart = fragments.projection_chart(results.projection, PROFILE)
    assert chart.count('src="data:image/png;base64,') == 1


def test_failing_items_veto_first_and_missing_is_amber(results):
    bad = fragments.failing_items(results.items)
    # resource rows (CV, 校校达标) have their own tables; 达标 and 不适用 rows are not listed
    assert bad["item_id"].tolist() == ["G7", "Q1", "Q5"]
    assert bad["light"].tolist() == ["fail", "fail", "at_risk"]
    vetoed = results.items.copy()
    vetoed.loc[vetoed["item_id"] == "V3", ["status", "value", "value_text", "passed"]] = ["否决", "是", "是", False]
    assert fragments.failing_items(vetoed)["item_id"].tolist()[0] == "V3"
    out = fragments.failing_items_table(vetoed)
    assert re.findall(r'<th colspan="6">([^<]+)</th>', out) == ["不予认定情形", "政府保障程度", "教育质量"]
    assert ">否决<" in out and ">缺少数据<" in out and "≥ 95%" in out and "5,200 元" in out and "≥ 6,000 元" in out
    assert "共 <a" in out and ">6</a> 项中" in out  # 6 county items judged (CV row and 不适用 G10 left out)


def test_priority_actions_order_and_amounts(results):
    actions = fragments.priority_actions(results, profile_with_departments())
    assert actions["source"].tolist() == ["items", "items", "planning", "planning"]
    assert actions["action"].iloc[0] == "G7 特殊教育学校生均公用经费：现为 5,200 元，须 ≥ 6,000 元"
    assert actions["action"].iloc[1] == "Q1 初中三年巩固率：现为 93.00%，须 ≥ 95%"
    # only the first milestone's plan (2026), grouped by action: 240000 yuan → 24.0 万元, 2 teachers
    assert "共需 24.0 万元" in actions["action"].iloc[2] and actions["deadline"].iloc[2] == "2026 年前"
    assert "共需 2 人" in actions["action"].iloc[3]
    assert actions["lead"].iloc[0] == "县财政局"


def test_priority_actions_without_planning_use_cv_and_schools(results):
    results.planning = None
    results.items = None
    actions = fragments.priority_actions(results, profile_with_departments())
    assert actions["source"].tolist()[0] == "school_indicators"
    assert "cv" in actions["source"].tolist()
    r6 = actions[actions["action"].str.startswith("补齐 R6")].iloc[0]
    assert "2 所学校未达标" in r6["action"] and r6["lead"] == "县教育局"
    cv_row = actions[actions["source"] == "cv"].iloc[0]
    assert "差异系数 0.568，须 ≤ 0.50" in cv_row["action"] and NASTY in cv_row["action"]


def test_missing_inputs_never_crash(tmp_path):
    res = load_results(catalog.loader(tmp_path))
    assert set(res.missing()) >= {"cv", "projection", "verdict"}
    assert "暂无结论" in fragments.verdict_banner(None, "县", 2025, fragments.milestone_status(None, PROFILE))
    assert "未找到分学段各指标校际差异系数" in fragments.indicator_table(None, None, PROFILE)
    assert "未找到逐校分学段七项指标" in fragments.failing_schools_table(None, PROFILE)
    assert "未找到全部评估事项" in fragments.failing_items_table(None)
    assert "未找到历年值与各时间节点预测" in fragments.projection_table(None, PROFILE)
    assert fragments.projection_chart(None, PROFILE) == ""
    assert "未发现需要整改的事项" in fragments.priorities_html(fragments.priority_actions(res, PROFILE))
    assert "未找到数据校验问题" in fragments.data_notes(None, None)
    wb = load_workbook(write_results(tmp_path, tmp_path / "results.xlsx"))
    assert wb["预测"]["A2"].value.startswith("缺少")


# ------------------------------------------------------------------------------------------------------- Excel
def test_results_workbook(processed, tmp_path):
    path = write_results(processed, tmp_path / "a.xlsx")
    again = write_results(processed, tmp_path / "b.xlsx")
    assert path.read_bytes() == again.read_bytes()
    wb = load_workbook(path)
    required = ["学校指标", "差异系数", "政府保障", "教育质量", "社会认可", "预测", "数据问题"]
    assert [s for s in wb.sheetnames if s in required] == required
    ws = wb["学校指标"]
    top, sub = [c.value for c in ws[1]], [c.value for c in ws[2]]
    assert top[:4] == ["学校标识码", "学校名称", "学段", "在校生数"] and sub[:4] == [None] * 4
    r6 = top.index("R6 生均教学仪器设备值（元/生）") + 1  # the group of four: 标准值 / 实际值 / 是否达标 / 85%基本值
    assert sub[r6 - 1:r6 + 3] == ["标准值", "实际值", "是否达标", "85%基本值"]
    assert ws.freeze_panes == "C3"
    row = 4  # the second school-section (0002): two header rows, then one row per school-section
    assert ws.cell(row, r6).value == 2000 and ws.cell(row, r6 + 1).value == 1200
    assert ws.cell(row, r6 + 1).number_format == "#,##0"
    assert ws.cell(row, r6 + 2).value == "未达标" and ws.cell(row, r6 + 3).value == pytest.approx(1700)
    assert ws.cell(row, 2).value == NASTY
    assert ws.cell(row, top.index("是否达标") + 1).value == "未达标"
    rules = {str(cf.sqref): [r.formula[0] for r in cf.rules] for cf in ws.conditional_formatting}
    value_l, met_l = (ws.cell(3, c).column_letter for c in (r6 + 1, r6 + 2))
    assert rules[f"{value_l}3:{value_l}7"] == [f'${met_l}3="未达标"']
    cv = wb["差异系数"]
    cv_headers = [c.value for c in cv[1]]
    assert cv_headers[:3] == ["学段", "指标", "名称"] and "差异系数" in cv_headers
    cv_col = cv_headers.index("差异系数") + 1
    assert cv.cell(row=7, column=cv_col).value == 0.5678  # stored unrounded, shown as 0.000
    assert cv.cell(row=7, column=cv_col).number_format == "0.000"
    assert cv.cell(row=7, column=cv_headers.index("判定") + 1).value == "未达标"
    assert cv.freeze_panes == "A2"
    g = wb["政府保障"]
    g_headers = [c.value for c in g[1]]
    assert g_headers[:8] == ["编号", "名称", "现状值", "现状（显示）", "单位", "比较", "标准", "判定"]
    assert [g.cell(row=r, column=1).value for r in (2, 3, 4)] == ["G7", "G9", "G10"]
    assert [g.cell(row=r, column=8).value for r in (2, 3, 4)] == ["未达标", "达标", "不适用"]
    assert g["C2"].value == 5200 and g["G2"].value == 6000 and g["F2"].value == "≥"
    g_rules = [r.formula[0] for cf in g.conditional_formatting for r in cf.rules]
    assert 'OR($H2="未达标",$H2="否决",$H2="存在")' in g_rules and 'OR($H2="缺少数据",$H2="无数据")' in g_rules
    assert wb["社会认可"]["A2"].value == "S1" and wb["教育质量"]["A2"].value == "Q1"
    assert wb["教育质量"]["H3"].value == "缺少数据"
    assert "不予认定" in wb.sheetnames and wb["不予认定"]["H2"].value == "达标"
    p = wb["预测"]
    p_headers = [c.value for c in p[1]]
    assert {"层级", "年份", "值（实际或预测）", "预测下限", "预测上限", "预测状态"} <= set(p_headers)
    statuses = [c.value for c in p[p.cell(row=1, column=p_headers.index("预测状态") + 1).column_letter]][1:]
    assert set(statuses) == {"实际值", "预计不达标", "存在风险", "预计达标"}
    assert any('="预计不达标"' in r.formula[0] for cf in p.conditional_formatting for r in cf.rules)
    issues = wb["数据问题"]
    assert [c.value for c in issues[1]][:4] == ["文件", "工作表", "行", "列"] and issues["G2"].value == "提示"


# ------------------------------------------------------------------------------------------ summary and audit
def _styled_table() -> str:
    # pandas Styler draws a random table id on every call (T_xxxxx): the renderer must renumber it
    return pd.DataFrame({"指标": ["R1"], "值": [4.56789]}).style.format({"值": "{:.2f}"}).to_html()


def saved(name: str):
    """The output ``ctx.save`` leaves in its cell."""
    from nbformat.v4 import new_output

    return new_output("display_data", data={SAVED_MIME: {"dataset": name, "file": catalog.dataset(name).file},
                                            "text/markdown": f"已保存：{name}"})


def fake_executed(tmp_path: Path, results: Results) -> dict:
    """Executed notebooks as the runner hands them over (new random cell ids and Styler ids on every call)."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    staging = tmp_path / "processed" / "demo" / ".staging-2025"
    params = {"county": "demo", "year": 2025, "processed_dir": str(staging), "reports_dir": str(tmp_path / "r"),
              "raw_dir": str(tmp_path / "raw" / "demo" / "2025"), "processed_root": str(tmp_path / "processed")}
    nb2 = new_notebook(cells=[
        new_markdown_cell("# 02 资源配置七项指标\n\n加权均值 $$\\bar{X} = \\frac{\\sum n_i x_i}{N}$$ 其中 $n_i$ 为学生数"),
        new_code_cell('county = "demo"', metadata={"tags": ["parameters"]}),
        new_markdown_cell("## 1. 计算七项指标"),
        new_code_cell("print(ctx.processed)\nsi.style",
                      outputs=[new_output("stream", name="stdout", text=f"{staging}\n"),
                               new_output("execute_result", data={"text/html": _styled_table(), "text/plain": "s"},
                                          execution_count=1)]),
        new_markdown_cell("## 2. 保存结果"),
        new_code_cell('ctx.save("school_indicators", si)', outputs=[saved("school_indicators")]),
        new_code_cell('ctx.save("items", items)\nctx.save("verdict", result)',
                      outputs=[saved("items"), saved("verdict")]),
    ])
    nb2.metadata["papermill"] = {"parameters": params}
    report = new_notebook(cells=[
        new_markdown_cell("# 评估结果摘要"),
        new_code_cell('county = "demo"', metadata={"tags": ["parameters"]}),
        new_code_cell("display(HTML(fragments.style_block()))",
                      outputs=[new_output("display_data", data={"text/html": fragments.style_block(),
                                                                  "text/plain": "<IPython.core.display.HTML>"}),
                               new_output("stream", name="stderr", text="FutureWarning: noisy\n")]),
        new_markdown_cell("## 一、总体结论"),
        new_code_cell("display(HTML(fragments.verdict_banner(...)))", outputs=[new_output(
            "display_data", data={"text/html": fragments.verdict_banner(results.verdict, "示例县", 2025)})]),
        new_code_cell("display(HTML(fragments.indicator_table(...)))", outputs=[new_output(
            "display_data", data={"text/html": fragments.indicator_table(results.cv, results.school_indicators,
                                                                         PROFILE)})]),
        new_code_cell("display(HTML(fragments.failing_schools_table(...)))", outputs=[new_output(
            "display_data", data={"text/html": fragments.failing_schools_table(results.school_indicators,
                                                                               PROFILE)})]),
    ])
    report.metadata["papermill"] = {"parameters": params}
    return {REPORT_STEP: report, "02_indicators": nb2}  # the summary comes from the catalog's report step


MANIFEST = {"county": "demo", "county_name": "示例县", "year": 2025,
            "parameters": {"county": "demo", "year": 2025, "standards_profile": "national"},
            "inputs": [{"path": "demo/2025/学校基本情况.xlsx", "bytes": 2048, "sha256": "0" * 63 + "1"}],
            "notebooks": ["02_indicators.ipynb", f"{REPORT_STEP}.ipynb"], "versions": {"pandas": "3.1.1"},
            "git_commit": "abc123", "kernel": "county-eval", "run": {"started_at": "2026-03-01T08:00:00Z",
                                                                    "timings_s": {"02_indicators": 1.234}}}


def test_render_reports_summary_and_audit(tmp_path, results):
    out = tmp_path / "reports" / "demo" / ".staging-2025"
    paths = render.render_reports(fake_executed(tmp_path, results), MANIFEST, out, notebook_pages=False)
    assert [p.name for p in paths] == ["summary.html", "audit.html"]
    summary, audit = (p.read_text(encoding="utf-8") for p in paths)
    # summary: no code, no prompts, no stderr; the leader fragments are there with escaped names
    assert "display(HTML" not in summary and "In&nbsp;[" not in summary and "noisy" not in summary
    assert "未达到优质均衡" in summary and "A&amp;B &lt;script&gt;" in summary and "<script" not in summary
    # time stamp yes (08:00 UTC = 16:00 北京时间), timings no
    assert "2026-03-01 16:00:00（北京时间）" in summary and "1.234" not in summary
    # audit: code, inputs with hashes, table of contents, one anchor per file, formulas as images
    assert '<span class="n">display</span>' in audit and "0" * 63 + "1" in audit and "学校基本情况.xlsx" in audit
    assert 'href="#nb-02_indicators"' in audit and 'id="nb-02_indicators"' in audit
    assert audit.index('id="nb-02_indicators"') < audit.index(f'id="nb-{REPORT_STEP}"')  # notebooks in order
    assert '<a href="#02_indicators-2">1. 计算七项指标</a>' in audit and 'id="02_indicators-2"' in audit
    assert audit.count('id="out-school_indicators"') == 1
    # each dataset is anchored at the cell that saved it (its ctx.save marker), in the order saved
    assert re.search(r'id="out-items"></span>\s*<span class="anchor" id="out-verdict"></span>'
                     r'<div id="02_indicators-6" class="jp-Cell', audit)
    anchor = audit.index('id="out-school_indicators"')
    assert audit.index('"school_indicators"</span>', anchor) - anchor < 3000  # at the cell that saves it
    assert SAVED_MIME not in audit
    assert 'class="math display"' in audit and 'alt="n_i"' in audit and "$$" not in audit
    # the run's folders (staging, machine-specific roots) are shown at their standard place in the project
    assert ".staging-2025" not in audit and str(tmp_path) not in audit
    assert "data/processed/demo/2025\n" in audit  # what the notebook printed
    # every number in the summary links to an anchor that exists in the audit report
    targets = set(re.findall(r'href="audit\.html#([^"]+)"', summary))
    assert {"cv-primary-R6", "school-0002-primary", "out-school_indicators", "out-verdict"} <= targets
    ids = set(re.findall(r'id="([^"]+)"', audit))
    assert targets <= ids
    # without the worked blocks of 03 (not run here) a school's link falls back to where its dataset is saved
    assert re.search(r'id="out-school_indicators"></span>(\s*<span class="anchor" id="school-[^"]+"></span>)*'
                     r'\s*<span class="anchor" id="school-0002-primary"></span>', audit)
    for page in (summary, audit):  # self-contained: nothing fetched from a URL
        assert not re.search(r'(src|href)\s*=\s*["\']?\s*(https?:)?//', page)
        assert "@import" not in page and "url(http" not in page
        assert 'font-family: "CJK Report"' in page and "data:font/woff;base64," in page


def test_render_reports_deterministic(tmp_path, results):
    out = tmp_path / "r" / ".staging-2025"
    first = [p.read_bytes() for p in render.render_reports(fake_executed(tmp_path, results), MANIFEST, out)]
    second = [p.read_bytes() for p in render.render_reports(fake_executed(tmp_path, results), MANIFEST, out)]
    assert first == second  # new random cell ids and Styler ids in the input, same bytes out
    assert b"T_s0000" in first[1]
    later = {**MANIFEST, "run": {"started_at": "2026-03-02T09:30:00Z", "timings_s": {"02_indicators": 9.9}}}
    third = [p.read_text(encoding="utf-8") for p in render.render_reports(fake_executed(tmp_path, results), later, out)]
    for old, new in zip(first, third, strict=True):  # only the run's time stamp differs (shown in 北京时间)
        assert old.decode("utf-8").replace("2026-03-01 16:00:00", "2026-03-02 17:30:00") == new


def test_font_subset_covers_every_character_of_the_page():
    from fontTools.ttLib import TTFont

    text = "城关第一小学 R6 ≥ 2,000 元/生 ● 差异系数 0.568"
    css = render.font_face_css(text)
    data = re.search(r"base64,([A-Za-z0-9+/=]+)\)", css).group(1)
    import base64
    import io as std_io

    cmap = TTFont(std_io.BytesIO(base64.b64decode(data))).getBestCmap()
    assert all(ord(c) in cmap for c in set(text) if c != " ")
    assert css == render.font_face_css(text)


def test_render_math_keeps_code_and_falls_back():
    out = render.render_math("公式 $CV = S / \\bar{X}$，代码 `$x$`，中文 $学生数$，坏的 $\\frac{a$")
    assert out.count('<img class="math"') == 2 and 'alt="CV = S / \\bar{X}"' in out
    assert "`$x$`" in out and "<code>\\frac{a</code>" in out
    assert 'alt="学生数"' in out  # Chinese inside a formula is set upright in the CJK font
    assert "<code>\U0001F600</code>" in render.render_math("$\U0001F600$")  # a glyph no font has: TeX as code
    assert render.math_svg.__wrapped__("x^2") == render.math_svg.__wrapped__("x^2")


def test_stable_styler_ids():
    page = _styled_table() + _styled_table()
    stable = render.stable_styler_ids(page)
    assert re.findall(r'<table id="(T_\w+)"', stable) == ["T_s0000", "T_s0001"]
    assert render.stable_styler_ids(_styled_table()) == render.stable_styler_ids(_styled_table())


# ------------------------------------------------------------------------------------------------------- index
def test_write_index(tmp_path):
    reports, processed = tmp_path / "reports", tmp_path / "processed"
    for county, year, status in (("demo", 2024, "at_risk"), ("demo", 2025, "fail"), ("b&c", 2025, None)):
        d = reports / county / str(year)
        d.mkdir(parents=True)
        (d / "summary.html").write_text("x", encoding="utf-8")
        (d / "results.xlsx").write_bytes(b"x")
        files.write_json({"run": {"started_at": f"{year}-01-01T00:00:00Z"}}, d / "run_manifest.json")
        if status:
            files.write_json({"status": status, "summary": "<b>说明</b>"}, processed / county / str(year) / "verdict.json")
    (reports / "demo" / ".staging-2026").mkdir()  # staging folders are not listed
    path = index.write_index(reports, processed)
    page = path.read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>.*?</tr>", page, re.S)
    assert len(rows) == 3
    assert "b&amp;c" in rows[0] and "暂无结论" in rows[0] and 'href="b&amp;c/2025/summary.html"' in rows[0]
    assert "2024" in rows[1] and "当前达标，后续有风险" in rows[1] and "light at_risk" in rows[1]
    assert "未达到优质均衡" in rows[2] and "&lt;b&gt;说明&lt;/b&gt;" in rows[2]
    assert 'href="demo/2025/audit.html"' not in page  # only files that exist are linked
    assert 'href="demo/2025/results.xlsx"' in page
    assert page == index.write_index(reports, processed).read_text(encoding="utf-8")


def test_notebook_html_one_page_per_notebook(tmp_path, results):
    nb = fake_executed(tmp_path, results)["02_indicators"]
    nb.metadata["papermill"]["input_path"] = "notebooks/02_indicators.ipynb"
    page = render.notebook_html(nb)
    assert "<title>02 资源配置七项指标</title>" in page
    assert '<span class="n">save</span>' in page and 'id="out-school_indicators"' in page
    assert ".staging-2025" not in page and 'class="math display"' in page
    assert not re.search(r'(src|href)\s*=\s*["\']?\s*(https?:)?//', page)
    again = fake_executed(tmp_path, results)["02_indicators"]  # new random cell and Styler ids
    again.metadata["papermill"]["input_path"] = "notebooks/02_indicators.ipynb"
    assert render.notebook_html(again) == page


def test_priority_actions_keep_every_veto_and_cap_the_rest(results):
    items = results.items
    extra = pd.concat([items] + [items[items["item_id"] == "G7"].assign(item_id=f"G7_{k}", parent_id=f"G{k}")
                                 for k in range(6)], ignore_index=True)
    extra.loc[extra["item_id"] == "V3", ["status", "value_text", "passed"]] = ["否决", "是", False]
    results.items = extra
    actions = fragments.priority_actions(results, PROFILE, per_part=3)
    assert actions["action"].iloc[0] == "立即纠正：V3 存在重点学校或重点班" and actions["deadline"].iloc[0] == "立即"
    assert (actions["source"] == "items").sum() == 1 + 3
    assert actions.attrs["omitted"] == {"items": 5, "schools": 0}
    html_out = fragments.priorities_html(actions, results.planning)
    assert "另有 5 项县级未达标事项" in html_out
    assert fragments.item_label({"item_id": "G5_primary", "parent_id": "G5", "name_zh": "班额"}) == "G5 班额"


def test_plan_without_projection_is_due_now(results):
    # without a projection the planning step plans for the current year, which is no milestone: due 尽快
    results.planning = results.planning.assign(milestone_year=2025)
    grouped = fragments.planned_actions(results.planning, PROFILE)
    assert grouped["deadline"].tolist() == ["尽快", "尽快"]
    assert fragments.planned_actions(results.planning.assign(milestone_year=2027), PROFILE)["deadline"].iloc[0] == "2027 年前"


def test_error_outputs_fail_the_rendering(tmp_path, results):
    from nbformat.v4 import new_output

    executed = fake_executed(tmp_path, results)
    # what IPython leaves when displaying a chart fails (it shows the error instead of failing the cell)
    executed["02_indicators"].cells[3].outputs.append(new_output(
        "error", ename="UserWarning", evalue="Glyph 128512 missing from font(s) Noto Sans CJK SC.", traceback=[]))
    assert render.output_errors(executed) == [
        "02_indicators.ipynb cell 3: UserWarning: Glyph 128512 missing from font(s) Noto Sans CJK SC."]
    with pytest.raises(render.NotebookOutputError, match="02_indicators.ipynb cell 3: UserWarning"):
        render.render_reports(executed, MANIFEST, tmp_path / "out")
    assert not (tmp_path / "out" / "summary.html").exists()


def test_render_reports_writes_notebook_pages_with_one_font_subset(tmp_path, results):
    executed = fake_executed(tmp_path, results)
    paths = render.render_reports(executed, MANIFEST, tmp_path / "out", notebook_pages=True)
    assert [p.name for p in paths] == [f"{stem}.html" for stem in executed] + ["summary.html", "audit.html"]
    fonts = {re.search(r"@font-face \{[^}]*\}", p.read_text(encoding="utf-8")).group(0) for p in paths}
    assert len(fonts) == 1  # subset once for all pages of the run (the slow part), embedded in each
    assert all(fmt.FONT_PLACEHOLDER not in p.read_text(encoding="utf-8") for p in paths)



# --------------------------------------------------------------------------- summary charts, phone and print
def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_cv_chart_labels_every_cv_and_the_limit_from_the_profile(results):
    from analysis.report import charts
    from analysis.report.plotting import chart_context

    # the limits come from the profile, not from cv.csv (which says 0.50 / 0.45): another profile moves the lines
    profile = {**PROFILE, "cv": {**PROFILE["cv"], "limits": {"primary": 0.6, "junior": 0.4}}}
    with chart_context():
        fig = charts.cv_bars(results.cv, profile)
        fig.canvas.draw()  # a glyph missing from the fonts raises here
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["小学", "初中"]
    for ax, section in zip(axes, ("primary", "junior"), strict=True):
        part = results.cv[results.cv["section"] == section]
        limit = profile["cv"]["limits"][section]
        # every bar labelled with its CV as the table shows it (R1…R7 order), the limit line with its value
        assert _texts(ax) == [f"{v:.3f}" for v in part["cv"]] + [f"限值 ≤ {limit:.2f}"]
        assert [line.get_xdata()[0] for line in ax.lines] == [limit]
        assert [t.get_text() for t in ax.get_yticklabels()][5] == "R6 仪器设备值"
    strict = {**PROFILE, "cv": {**PROFILE["cv"], "comparator": "<"}}
    with chart_context():
        assert "限值 ＜ 0.45" in _texts(charts.cv_bars(results.cv, strict).axes[1])


def test_compliance_chart_labels_each_share_and_the_school_rule(results):
    from analysis.evaluate.indicators import compliance_summary
    from analysis.report import charts
    from analysis.report.plotting import chart_context

    with chart_context():
        fig = charts.compliance_bar(compliance_summary(results.school_indicators, PROFILE), PROFILE,
                                    results.school_indicators)
        fig.canvas.draw()
    primary, junior = fig.axes
    names = [t.get_text() for t in primary.get_yticklabels()]
    assert names[0] == "R1 高学历教师" and names[-1] == "校校达标（6+1）"
    # 0001 and 0003 meet R6 (2/3); 0002 and 0005 fail the school rule (2/3 primary, 1/2 junior)
    assert _texts(primary)[5] == "67%（2/3）" and _texts(primary)[-1] == "67%（2/3）"
    assert _texts(junior)[5] == "50%（1/2）" and _texts(junior)[-1] == "50%（1/2）"
    assert len(_texts(primary)) == len(names) == len(IDS) + 1
    assert charts._share_text(99.5, 199, 200) == "99%（199/200）"  # "100%" only when every school meets it


def test_projection_chart_names_every_line_at_its_end(results, monkeypatch):
    from analysis.report import plotting

    drawn = []
    monkeypatch.setattr(plotting, "figure_html", lambda fig, alt, dpi=None: drawn.append(fig) or "<img>")
    one_year = results.projection[results.projection["year"] == 2025]
    # R6 is projected off track: coloured and named in full; R1 (on track) and one year (no projection) grey
    for projection, r6 in ((results.projection, "R6 仪器设备值"), (one_year, "R6")):
        drawn.clear()
        fragments.projection_chart(projection, PROFILE)
        cv_panel, share_panel = drawn[0].axes
        labels = {t.get_text(): t for t in cv_panel.texts}
        assert {r6, "R1", "限值 0.50"} <= set(labels)  # every line and the limit
        last = projection[projection["indicator"] == "R6_cv"].sort_values("year").iloc[-1]
        assert labels[r6].get_position()[0] == last["year"]  # at the line's end
        assert cv_panel.get_legend() is None  # named on the lines, no legend to match colours with
        assert {"小学", "标准 100%"} <= {t.get_text() for t in share_panel.texts}


def _run_cells(source_cells: list, results: Results) -> list:
    """Run report notebook code cells in-process with the fixture results; each cell's displayed HTML."""
    from types import SimpleNamespace

    from nbformat.v4 import new_output

    outputs: list = []
    namespace = {"fragments": fragments, "results": results, "ctx": SimpleNamespace(profile=PROFILE),
                 "HTML": lambda text: text, "display": lambda text: outputs.append(text)}
    cells = []
    for cell in source_cells:
        cell = cell.copy()
        if cell.cell_type == "code":
            outputs.clear()
            exec(cell.source, namespace)  # noqa: S102 - the project's own notebook cells
            cell.outputs = [new_output("display_data", data={"text/html": o}) for o in outputs]
        cells.append(cell)
    return cells


def test_summary_shows_three_charts_in_sections_two_and_five(tmp_path, results):
    """Sections 二 (indicators, CVs) and 五 (milestones) of the real report notebook, run on the fixture: the
    rendered summary holds the CV, compliance and projection charts there, each an inline PNG."""
    import nbformat

    nb = nbformat.read(config_notebook(), as_version=4)
    heads = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## ")]
    wanted = [i for i in heads if nb.cells[i].source.startswith(("## 二、", "## 五、"))]
    picked = []
    for i in wanted:
        end = next((h for h in heads if h > i), len(nb.cells))
        picked += nb.cells[i:end]
    executed = fake_executed(tmp_path, results)
    executed[REPORT_STEP].cells += _run_cells(picked, results)
    summary = render.render_summary(executed, MANIFEST, tmp_path / "r", font=False)
    two, five = summary.index("二、资源配置"), summary.index("五、各时间节点")
    images = re.findall(r"<img\b[^>]*>", summary[two:])
    charts = [re.search(r'alt="([^"]+)"', i).group(1) for i in images
              if 'class="chart"' in i and 'src="data:image/png;base64,' in i]
    assert charts == ["各指标校际差异系数与限值图", "各指标达标学校比例图", "差异系数与校校达标比例预测图"]
    assert summary.index("差异系数与校校达标比例预测图") > five
    assert summary.count('<div class="chart-row">') == 1  # the two resource charts side by side (wrapping)


def config_notebook() -> Path:
    from analysis import config

    return config.NOTEBOOKS / catalog.STEPS[catalog.REPORT].notebook


def test_print_header_escapes_the_county_name_for_css():
    assert render.css_string("示例县") == '"示例县"'
    hostile = render.css_string('某"县\\</style><b>\n')
    assert hostile == r'"某\22 县\5c \3c /style\3e \3c b\3e \a "'  # cannot end the string nor the <style>
    assert render.page_header_css("县 2025 年").startswith('@page { @top-center { content: "县 2025 年"; }')


def test_summary_tables_scroll_and_the_hint_is_screen_only(tmp_path, results):
    summary = render.render_summary(fake_executed(tmp_path, results), MANIFEST, tmp_path / "r", font=False)
    # the county and year in every printed page's header, page numbers in the footer
    assert '@top-center { content: "示例县 2025 年义务教育优质均衡发展评估 · 领导摘要"; }' in summary
    assert 'counter(page)' in summary and "counter(pages)" in summary
    # every table sits in a sideways-scrolling box (nothing cut off on a phone)
    assert summary.count("<table") == summary.count('<div class="table-scroll"><table') >= 2
    assert '<span class="hint">数字可点击' in fragments.indicator_table(results.cv, results.school_indicators,
                                                                    PROFILE)
    assert '<span class="hint">表中数字可点击' in fragments.legend()
    assert render.scroll_tables("<table><tr><td><table></table></td></tr></table>") == (
        '<div class="table-scroll"><table><tr><td><table></table></td></tr></table></div>')
