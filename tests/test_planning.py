"""Gaps to the standard and the prioritised action list (analysis.planning), checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_projection import school, steady_county, teacher

from analysis.evaluate import planning
from analysis.evaluate import projection as proj
from analysis.evaluate.indicators import evaluate
from analysis.evaluate.variation import weighted_cv
from analysis.standards import load_profile

PROFILE = load_profile("national")


def evaluated(schools: list[dict], teachers: list[dict], profile=PROFILE) -> pd.DataFrame:
    return evaluate(pd.DataFrame(schools), pd.DataFrame(teachers), profile)[0]


def test_stock_gap_in_natural_units():
    # R1 primary 4.2 per 100: 500 pupils need 21 teachers; 18 → 3 to add
    assert planning.stock_gap([4.2], [500], [18], 100).tolist() == pytest.approx([3.0])
    # R4 4.5 m² per pupil: 500 pupils need 2250 m²; 2000 → 250 m²; never negative
    assert planning.stock_gap([4.5, 4.5], [500, 500], [2000, 2400], 1).tolist() == pytest.approx([250.0, 0.0])
    assert planning.whole_units([2.2, 3.0 + 1e-12, 0.0]).tolist() == [3.0, 3.0, 0.0]


def test_indicator_gaps_for_a_nine_year_school():
    # 500 primary + 400 junior: primary share = 500 / (500 + 1.1×400) = 500/940
    values = evaluated(
        [school("3001", "九年制", "nine_year_school", primary=500, junior=400, teaching_rooms_m2=4000.0,
                multimedia_classrooms=20)],
        [teacher("3001", "primary", 500, teachers_above_degree=18), teacher("3001", "junior", 400)])
    gaps = planning.indicator_gaps(values, PROFILE).set_index(["section", "indicator"])
    share = 500 / 940
    # primary rooms: 4000 × share = 2127.66 m² for 500 pupils; needs 2250 → gap 122.34 m², school builds gap/share
    r4 = gaps.loc[("primary", "R4")]
    assert r4["gap"] == pytest.approx(2250 - 4000 * share)
    assert r4["school_amount"] == pytest.approx((2250 - 4000 * share) / share)
    assert r4["unit"] == "㎡" and np.isnan(r4["to_add"])
    # junior rooms: 4000 × 440/940 = 1872.3 for 400 pupils at 5.8 → needs 2320
    assert gaps.loc[("junior", "R4"), "gap"] == pytest.approx(2320 - 4000 * 440 / 940)
    # teachers are per section, not split: 3 to add, school amount = gap
    r1 = gaps.loc[("primary", "R1")]
    assert (r1["gap"], r1["to_add"], r1["school_amount"], r1["unit"]) == (pytest.approx(3.0), 3.0,
                                                                        pytest.approx(3.0), "人")
    # multimedia rooms: 20 × share = 10.64 for 500 pupils at 2.3 per 100 → 11.5 → 0.86 rooms → 1 whole room
    r7 = gaps.loc[("primary", "R7")]
    assert r7["gap"] == pytest.approx(11.5 - 20 * share) and r7["to_add"] == 1
    assert ("junior", "R1") not in gaps.index


def test_required_fixes_follow_the_six_of_seven_rule():
    rows = [
        # two misses: R4 at 90% may stay (≥ 85%), R5 at 60% must be fixed
        school("1001", "甲", primary=500, teaching_rooms_m2=0.9 * 4.5 * 500, sports_area_m2=0.6 * 7.5 * 500),
        # one miss at 80% (< 85% floor): it must be fixed
        school("1002", "乙", primary=500, equipment_value_yuan=0.8 * 2000 * 500),
        # one miss at 90%: the school passes, nothing is required
        school("1003", "丙", primary=500, equipment_value_yuan=0.9 * 2000 * 500),
        # three misses at 95%, 90%, 70%: only the best one may stay
        school("1004", "丁", primary=500, teaching_rooms_m2=0.95 * 4.5 * 500, sports_area_m2=0.9 * 7.5 * 500,
               multimedia_classrooms=0.7 * 2.3 * 5),
    ]
    values = evaluated(rows, [teacher(r["school_code"], "primary", 500) for r in rows])
    req = planning.required_fixes(values, PROFILE)
    got = sorted(map(tuple, req[["school_code", "indicator"]].to_numpy()))
    assert got == [("1001", "R5"), ("1002", "R6"), ("1004", "R5"), ("1004", "R7")]


def test_cv_floor_brings_the_cv_to_its_limit():
    x = np.array([1.0, 2.0, 3.0, 10.0])
    n = np.array([100.0, 100.0, 100.0, 100.0])
    assert weighted_cv(x, n) > 0.5
    f = planning.cv_floor(x, n, 0.5, "<=")
    assert weighted_cv(np.maximum(x, f), n) <= 0.5
    assert weighted_cv(np.maximum(x, f - 1e-6), n) > 0.5  # the smallest such floor
    # by hand: floor f between 3 and 10 raises the three low schools: values (f, f, f, 10),
    # mean m = (3f + 10)/4, S = (10 − f)·√3/4, CV = √3(10 − f)/(3f + 10) = 0.5 → f = (10√3 − 5)/(√3 + 1.5)
    assert f == pytest.approx((10 * np.sqrt(3) - 5) / (np.sqrt(3) + 1.5))
    assert planning.cv_floor(np.array([4.0, 5.0]), np.array([1.0, 1.0]), 0.5, "<=") is None


def test_action_list_priorities_and_departments():
    rows = [
        school("1001", "甲", primary=500, teaching_rooms_m2=0.6 * 4.5 * 500, sports_area_m2=0.6 * 7.5 * 500),
        school("1002", "乙", primary=500, equipment_value_yuan=0.9 * 2000 * 500),
        school("1003", "丙", primary=500, sports_area_m2=60.0 * 500),
    ]
    values = evaluated(rows, [teacher(r["school_code"], "primary", 500) for r in rows])
    cv_status = pd.DataFrame({"section": ["primary"], "indicator": ["R5_cv"], "status": ["off_track"]})
    profile = PROFILE | {"departments": {"R4": {"lead": "县教委", "cooperating": ["县发展改革委", "县财政局"]},
                                         "R6": ["县财政局", "县教委"]}}
    actions = planning.action_list(values, profile, cv_status, milestone_year=2026)
    assert actions["priority"].is_monotonic_increasing
    first = actions[actions["priority"] == 1]
    # 1001 fails (R4 and R5 at 60%): both must be fixed; 1002 passes with R6 at 90%
    assert set(zip(first["school_code"], first["indicator"], strict=True)) == {("1001", "R4"), ("1001", "R5")}
    r4 = first[first["indicator"] == "R4"].iloc[0]
    assert r4["gap"] == pytest.approx(0.4 * 4.5 * 500)
    assert (r4["lead_department"], r4["cooperating_departments"]) == ("县教委", "县发展改革委、县财政局")
    assert r4["milestone_year"] == 2026
    r6 = actions[(actions["school_code"] == "1002") & (actions["indicator"] == "R6")].iloc[0]
    assert r6["priority"] == 4 and r6["lead_department"] == "县财政局" and r6["cooperating_departments"] == "县教委"
    assert r6["gap"] == pytest.approx(0.1 * 2000 * 500)
    # R5 values 4.5, 9, 60: the CV floor f solves √2(60 − f)/(2f + 60) = 0.5 → f = (60√2 − 30)/(1 + √2) ≈ 22.7.
    # 1001's R5 keeps priority 1 and takes the larger target (the floor, above the 7.5 standard)
    floor = (60 * np.sqrt(2) - 30) / (1 + np.sqrt(2))
    r5 = first[first["indicator"] == "R5"].iloc[0]
    assert r5["target_value"] == pytest.approx(floor) and r5["gap"] == pytest.approx((floor - 4.5) * 500)
    assert "6+1" in r5["basis"] and "差异系数" in r5["basis"]
    r5_b = actions[(actions["school_code"] == "1002") & (actions["indicator"] == "R5")].iloc[0]
    assert r5_b["priority"] == 2 and r5_b["gap"] == pytest.approx((floor - 9) * 500)
    assert actions["priority"].tolist() == [1, 1, 2, 4]
    no_deps = planning.action_list(values, PROFILE | {"departments": {}})
    assert no_deps["lead_department"].eq("").all() and no_deps["note"].str.contains("责任部门").all()


def test_cv_off_track_adds_schools_below_the_floor():
    # every school meets the standard, but one is far above the others: raise the low ones to the CV floor
    rows = [school("1001", "甲", primary=500, sports_area_m2=7.6 * 500),
            school("1002", "乙", primary=500, sports_area_m2=7.6 * 500),
            school("1003", "丙", primary=500, sports_area_m2=60.0 * 500)]
    values = evaluated(rows, [teacher(r["school_code"], "primary", 500) for r in rows])
    x = values["R5"].to_numpy()
    assert weighted_cv(x, values["students"]) > 0.5
    actions = planning.action_list(values, PROFILE, pd.DataFrame({"section": ["primary"], "indicator": ["R5"],
                                                                  "passed": [False]}))
    assert set(actions["school_code"]) == {"1001", "1002"} and (actions["priority"] == 2).all()
    f = actions["target_value"].iloc[0]
    assert weighted_cv(np.maximum(x, f), values["students"]) == pytest.approx(0.5)
    assert actions["gap"].iloc[0] == pytest.approx((f - 7.6) * 500)


def test_milestone_actions_with_and_without_projection():
    hist = steady_county(rooms_step=-150.0)  # 1001's rooms shrink: R4 below standard from 2024
    result = proj.project(hist, PROFILE)
    actions = planning.milestone_actions(result, hist, PROFILE)
    assert sorted(actions["milestone_year"].unique()) == [2026, 2027, 2028]
    a = actions[(actions["milestone_year"] == 2028) & (actions["indicator"] == "R4")].iloc[0]
    # 2028: 2200 − 3×150 = 1750 m² for 600 pupils → needs 2700 m²
    assert a["school_code"] == "1001" and a["gap"] == pytest.approx(2700 - 1750)
    short = steady_county(years=(2024, 2025), rooms_step=-150.0)
    observed = planning.milestone_actions(proj.project(short, PROFILE), short, PROFILE)
    assert observed["milestone_year"].unique().tolist() == [2025]
    assert observed.iloc[0]["gap"] == pytest.approx(2700 - 2650)


def test_school_summary():
    values = evaluated([school("1001", "甲", primary=500, teaching_rooms_m2=1000.0, sports_area_m2=1000.0)],
                       [teacher("1001", "primary", 500)])
    summary = planning.school_summary(planning.action_list(values, PROFILE))
    assert summary.to_dict("records") == [{"school_code": "1001", "school_name": "甲", "section": "primary",
                                           "priority": 1, "n_actions": 2, "indicators": "R5、R4"}]  # worst first
