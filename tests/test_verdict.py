"""The county verdict: combining resources, G, Q, S1 and V items; vetoes, severity order, departments, outputs."""

import json

import pandas as pd
import pytest
from test_guarantee import frame, items, school, teacher
from test_recognition import survey

from analysis.data import catalog, files
from analysis.evaluate import guarantee as g
from analysis.evaluate import quality, recognition, verdict
from analysis.standards import load_profile
from analysis.standards import status as st

NATIONAL = load_profile("national")

GOOD_ITEMS = [
    ("G1", "是"), ("G2", "是"), ("G7", "6500"), ("G8_teacher_pay", "110000"), ("G8_civil_servant_pay", "108000"),
    ("G8_performance_pay", "是"), ("G10", "是"), ("G13_primary", "100%"), ("G13_junior", "96%"),
    ("G14_quota_share", "55%"), ("G14_rural_tilt", "是"), ("G15_care_system", "是"), ("G15_migrant_eligible", "200"),
    ("G15_migrant_public", "190"), ("Q1_intake", "1000"), ("Q1_graduates", "980"), ("Q1_transfer_in", "10"),
    ("Q1_transfer_out", "12"), ("Q1_deaths", "1"), ("Q2_disabled_enrolled", "58"), ("Q2_disabled_population", "60"),
    ("Q5", "是"), ("Q7", "是"), ("Q8", "是"),
    ("V1", "否"), ("V2", "否"), ("V3", "否"), ("V4", "否"), ("V5", "否"), ("V6", "否"),
]
RESULTS = pd.DataFrame([("国家", 2024, 8, "数学", 3, 0.12)], columns=["source", "year", "grade", "subject",
                                                                    "achievement_level", "between_school_diff_rate"])
SCHOOL_COLS = ["school_code", "school_name", "school_type", "urban_rural", "section", "students", "n_met",
               "school_pass", "missed", "reason"]


def school_indicators(failing: dict[str, str] | None = None) -> pd.DataFrame:
    """``school_indicators.csv`` rows for two primary and one junior school; ``failing`` code → missed."""
    failing = failing or {}
    rows = [("1", "一小", "primary_school", "town", "primary", 600), ("2", "二小", "primary_school", "rural", "primary", 300),
            ("3", "一中", "junior_school", "town", "junior", 500)]
    out = []
    for code, name, kind, ur, section, n in rows:
        missed = failing.get(code, "")
        out.append({"school_code": code, "school_name": name, "school_type": kind, "urban_rural": ur,
                    "section": section, "students": n, "n_met": 7 - len([m for m in missed.split(";") if m]),
                    "school_pass": not missed, "missed": missed, "reason": ""})
    return pd.DataFrame(out, columns=SCHOOL_COLS)


def cv_table(bad: tuple[str, str] | None = None) -> pd.DataFrame:
    rows = []
    for section, limit in (("primary", 0.5), ("junior", 0.45)):
        for ind in NATIONAL["resources"]:
            cv = 0.6 if bad == (section, ind) else 0.2
            rows.append({"section": section, "indicator": ind, "name_zh": NATIONAL["resources"][ind]["zh"],
                         "weighted_mean": 5.0, "std": 1.0, "cv": cv, "limit": limit, "comparator": "<=",
                         "passed": cv <= limit, "n_schools": 2, "core": True, "note": ""})
    rows.append({**rows[0], "indicator": "A1", "name_zh": "生均占地面积", "cv": 0.9, "passed": False, "core": False})
    return pd.DataFrame(rows)


def county(county_rows=None, *, failing=None, bad_cv=None, profile=NATIONAL, answers=None, schools_=None):
    """Assembled items for a small county that passes everything unless told otherwise."""
    schools_ = schools_ if schools_ is not None else frame(
        school("1", primary=600), school("2", primary=300, urban_rural="rural"),
        school("3", school_type="junior_school", primary=0, junior=500, classes_primary=0, classes_junior=10))
    teachers = pd.DataFrame([teacher("1"), teacher("2"), teacher("3", "junior")])
    classes = pd.DataFrame([{"school_code": "1", "section": "primary", "grade": 1, "class_no": 1, "students": 45},
                            {"school_code": "3", "section": "junior", "grade": 7, "class_no": 1, "students": 50}])
    ci = items(*(county_rows if county_rows is not None else GOOD_ITEMS))
    answers = answers if answers is not None else {grp: [["满意"] * 6] * 60 + [["不满意"] * 6] * 5
                                                   for grp in profile["recognition"]["groups"]}
    table = recognition.recognition_table(survey(answers), profile)
    parts = [verdict.veto_rows(ci, profile), g.items_frame([recognition.s1_row(table, profile)]),
             verdict.resource_rows(school_indicators(failing), cv_table(bad_cv), profile),
             g.guarantee_items(schools_, teachers, classes, ci, profile),
             quality.quality_items(schools_, ci, RESULTS, None, profile, 2025)]
    return verdict.assemble_items(parts, profile)


def with_item(item_id: str, value: str) -> list[tuple]:
    return [(i, value if i == item_id else v) for i, v in GOOD_ITEMS]


def test_a_county_meeting_everything_is_certified():
    all_items = county()
    bad = all_items[all_items["status"] != st.PASS]
    assert bad.empty, bad[["item_id", "status", "note"]]
    result = verdict.county_verdict(all_items, NATIONAL, "demo", 2025)
    assert result["verdict"] == "认定" and result["status"] == "pass"
    assert result["veto_triggered"] == [] and result["failing_items"] == []
    assert result["counts"]["guarantee"] == {"area_zh": "政府保障程度", "items": 15, "passed": 15, "failed": 0,
                                             "missing": 0, "not_applicable": 0}
    assert result["counts"]["quality"]["items"] == 9 and result["counts"]["veto"]["items"] == 6


def test_one_veto_flips_the_verdict_whatever_the_numbers():
    all_items = county(with_item("V3", "是"))
    result = verdict.county_verdict(all_items, NATIONAL, "demo", 2025)
    assert result["verdict"] == "不予认定" and result["status"] == "fail"
    assert [v["item_id"] for v in result["veto_triggered"]] == ["V3"]
    assert result["failing_items"][0]["item_id"] == "V3" and result["failing_items"][0]["severity"] == 1
    assert "存在不予认定情形：V3" in result["summary"]
    assert all_items.set_index("item_id").loc["V3", "status"] == st.VETO


def test_missing_veto_declaration_is_not_passed_and_not_a_triggered_veto():
    rows = [r for r in GOOD_ITEMS if r[0] != "V6"]
    result = verdict.county_verdict(county(rows), NATIONAL, "demo", 2025)
    assert result["verdict"] == "不予认定" and result["veto_triggered"] == []
    assert result["missing_items"] == ["V6"]


def test_failing_items_are_ordered_by_severity():
    all_items = county(with_item("G7", "5000"), failing={"2": "R2;R6"}, bad_cv=("junior", "R5"),
                       answers={grp: [["满意"] * 6] * 10 + [["不满意"] * 6] * 5 for grp in NATIONAL["recognition"]["groups"]})
    items_ = all_items.copy()
    items_.loc[items_["item_id"] == "Q7", "status"] = st.FAIL  # a failing quality item
    result = verdict.county_verdict(items_, NATIONAL, "demo", 2025)
    order = [f["item_id"] for f in result["failing_items"]]
    # recognition below 85% is a failing item, not a veto (no seed's 不予认定 list has it): severity 2
    assert order == ["S1", "CV_junior_R5", "R_schools_primary", "G7", "Q7"]
    assert [f["severity"] for f in result["failing_items"]] == [2, 3, 4, 5, 6]
    assert "视同一票否决" not in result["summary"]


def test_recognition_is_a_veto_only_when_the_profile_says_so():
    profile = load_profile("national")
    low = {grp: [["满意"] * 6] * 10 + [["不满意"] * 6] * 5 for grp in profile["recognition"]["groups"]}
    result = verdict.county_verdict(county(answers=low, profile=profile), profile, "demo", 2025)
    assert result["veto_triggered"] == [] and result["failing_items"][0]["severity"] == 2
    profile["recognition"]["failing_is_veto"] = True
    result = verdict.county_verdict(county(answers=low, profile=profile), profile, "demo", 2025)
    assert result["failing_items"][0]["severity"] == 1 and "按评估口径视同一票否决：S1" in result["summary"]


def test_xinjiang_makes_every_failing_quality_item_a_veto():
    rows = with_item("Q1_graduates", "900")  # retention 900/997 < 95%
    national = verdict.county_verdict(county(rows), NATIONAL, "demo", 2025)
    assert national["veto_triggered"] == [] and national["failing_items"][0]["severity"] == 6
    xinjiang = load_profile("xinjiang")
    result = verdict.county_verdict(county(rows, profile=xinjiang), xinjiang, "demo", 2025)
    assert [v["item_id"] for v in result["veto_triggered"]] == ["Q1"]
    assert result["failing_items"][0]["severity"] == 1


def test_resource_rows_count_failing_schools_and_only_core_cvs():
    rows = verdict.resource_rows(school_indicators({"2": "R2;R6", "3": "R5"}), cv_table(("primary", "R1")), NATIONAL)
    by_id = rows.set_index("item_id")
    assert by_id.loc["R_schools_primary", "value"] == 1 and by_id.loc["R_schools_primary", "status"] == st.FAIL
    assert "二小（R2;R6）" in by_id.loc["R_schools_primary", "note"]
    assert len([i for i in rows["item_id"] if i.startswith("CV_")]) == 14  # A1 (not core) is left out
    assert by_id.loc["CV_primary_R1", "status"] == st.FAIL and by_id.loc["CV_primary_R1", "threshold"] == 0.5
    assembled = verdict.assemble_items([rows], NATIONAL).set_index("item_id")
    # 县教委 leads R2 and R6 (000 附件1); the other units of both lists cooperate, each once
    assert assembled.loc["R_schools_primary", "lead_department"] == "县教委"
    coop = assembled.loc["R_schools_primary", "cooperating_departments"].split("、")
    assert "县人力社保局" in coop and "县发展改革委" in coop and len(coop) == len(set(coop))
    assert assembled.loc["R_schools_junior", "lead_department"] == "县教委"
    assert "县发展改革委" in assembled.loc["R_schools_junior", "cooperating_departments"]
    assert assembled.loc["CV_primary_R3", "cooperating_departments"] == "县委编办、县人力社保局"


def test_departments_come_from_the_profile():
    all_items = county(with_item("G8_teacher_pay", "100000")).set_index("item_id")
    assert all_items.loc["G8_pay", "lead_department"] == "县教委"
    assert all_items.loc["G8_pay", "cooperating_departments"] == "县人力社保局、县财政局"
    assert all_items.loc["S1", "lead_department"] == "县教委"
    summary = verdict.department_summary(all_items.reset_index())
    assert "G8_pay" in summary.set_index("department").loc["县教委", "lead"]
    assert summary.set_index("department").loc["县人力社保局", "cooperate"] == ["G8_pay"]


def test_missing_step_outputs_raise_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"（school_indicators），由步骤 02_indicators"):
        catalog.read(tmp_path, "school_indicators")


def test_outputs_are_reproducible_and_complete(tmp_path):
    all_items = county(with_item("V1", "是"))
    result = verdict.county_verdict(all_items, NATIONAL, "demo", 2025, ["提示"], "示例")
    paths = [catalog.write(tmp_path / "a", "items", all_items), catalog.write(tmp_path / "a", "verdict", result)]
    again = [catalog.write(tmp_path / "b", "items", all_items), catalog.write(tmp_path / "b", "verdict", result)]
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]
    back = files.read_csv(tmp_path / "a" / "items.csv")
    for col in ("item_id", "area", "name_zh", "value", "threshold", "comparator", "passed", "evidence",
                "lead_department", "cooperating_departments", "kind", "note"):
        assert col in back.columns
    saved = json.loads((tmp_path / "a" / "verdict.json").read_text(encoding="utf-8"))
    assert {"county", "year", "profile", "verdict", "status", "veto_triggered", "failing_items", "counts",
            "departments"} <= set(saved)
    assert saved["verdict"] == "不予认定" and saved["warnings"] == ["提示"]


def test_display_table_puts_failing_items_first_within_each_area():
    all_items = county(with_item("G7", "5000"))
    table = verdict.display_table(all_items)
    guarantee_rows = table[table["领域"] == "政府保障程度"]
    assert guarantee_rows.iloc[0]["编号"] == "G7" and guarantee_rows.iloc[0]["结果"] == st.FAIL
    assert table.iloc[0]["领域"] == "不予认定情形"
