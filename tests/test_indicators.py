"""R1–R7, the section split, exclusions, unit conversion and the 6-of-7 + 85% rule, checked by hand."""

import pandas as pd
import pytest

from analysis.evaluate.indicators import evaluate, school_compliance, school_sections, section_shares
from analysis.standards import load_profile

P = load_profile("national")


def test_section_shares_worked_example():
    # nine-year school, 600 primary + 400 junior: 600 / (600 + 1.1×400) = 600/1040
    p, j, s = section_shares(600, 400)
    assert p == pytest.approx(600 / 1040) and j == pytest.approx(440 / 1040) and s == 0
    assert p + j + s == pytest.approx(1)
    # complete secondary school 1 : 1.2 between junior and senior: 1.1×500 / (1.1×500 + 1.32×500)
    p, j, s = section_shares(0, 500, 500)
    assert j == pytest.approx(1.1 / (1.1 + 1.32)) and j == pytest.approx(1 / 2.2)
    # twelve-year 1 : 1.1 : 1.32
    p, j, s = section_shares(100, 100, 100)
    assert (p, j, s) == pytest.approx((1 / 3.42, 1.1 / 3.42, 1.32 / 3.42))


def test_section_shares_rejects_empty_and_negative():
    with pytest.raises(ValueError):
        section_shares(0, 0)
    with pytest.raises(ValueError):
        section_shares(-1, 10)


def _school(code, school_type, primary=0, junior=0, senior=0, **over):
    row = {"school_code": code, "school_name": f"学校{code}", "school_type": school_type, "urban_rural": "urban",
           "township": "城关镇", "ownership": "public", "founded_year": 2010,
           "students_primary": primary, "students_junior": junior, "students_senior": senior,
           "land_area_m2": 0.0, "teaching_rooms_m2": 0.0, "indoor_sports_rooms_m2": 0.0, "sports_area_m2": 0.0,
           "equipment_value_yuan": 0.0, "multimedia_classrooms": 0}
    row.update(over)
    return row


def _teachers(code, section, above=0, key=0, pe=0, music=0, art=0, total=None):
    return {"school_code": code, "section": section, "teachers": total if total is not None else above + 10,
            "teachers_above_degree": above, "key_teachers": key, "pe_teachers": pe, "music_teachers": music,
            "art_teachers": art}


def test_nine_year_school_split_and_values():
    schools = pd.DataFrame([_school("1", "nine_year_school", 600, 400, teaching_rooms_m2=5200.0,
                                    sports_area_m2=10400.0, equipment_value_yuan=2_600_000.0,
                                    multimedia_classrooms=26, land_area_m2=26000.0)])
    teachers = pd.DataFrame([_teachers("1", "primary", above=30, key=6, pe=3, music=2, art=1),
                             _teachers("1", "junior", above=25, key=4, pe=2, music=1, art=1)])
    si, excluded = evaluate(schools, teachers, P)
    assert excluded.empty
    prim = si[si["section"] == "primary"].iloc[0]
    jun = si[si["section"] == "junior"].iloc[0]
    # facilities: V / (A + 1.1B) per weighted pupil = 5200 / 1040 = 5 ㎡; junior pupils count 1.1
    assert prim["R4"] == pytest.approx(5.0) and jun["R4"] == pytest.approx(5.5)
    assert prim["R6"] == pytest.approx(2500.0) and jun["R6"] == pytest.approx(2750.0)
    assert prim["R7"] == pytest.approx(2.5) and jun["R7"] == pytest.approx(2.75)
    # teachers are not split: section rows
    assert prim["R1"] == pytest.approx(30 * 100 / 600) and jun["R1"] == pytest.approx(25 * 100 / 400)
    assert prim["R3"] == pytest.approx(6 * 100 / 600) and jun["R2"] == pytest.approx(1.0)
    # the split conserves the facility total
    assert prim["teaching_rooms_m2"] + jun["teaching_rooms_m2"] == pytest.approx(5200.0)


def test_complete_secondary_keeps_only_junior():
    schools = pd.DataFrame([_school("2", "complete_secondary_school", 0, 500, 500, teaching_rooms_m2=6600.0)])
    teachers = pd.DataFrame([_teachers("2", "junior", above=30), _teachers("2", "senior", above=99)])
    si, _ = evaluate(schools, teachers, P)
    assert si["section"].tolist() == ["junior"]
    assert si.iloc[0]["R4"] == pytest.approx(6600 * (1 / 2.2) / 500)
    assert si.iloc[0]["R1"] == pytest.approx(6.0)  # senior teacher row is ignored


def test_exclusions_with_reasons():
    schools = pd.DataFrame([
        _school("3", "special_ed_school", 80, 40), _school("4", "vocational_school", 0, 0, 900),
        _school("5", "teaching_point", 49), _school("6", "teaching_point", 50), _school("7", "primary_school", 300),
    ])
    teachers = pd.DataFrame([_teachers(c, "primary", above=5) for c in ("6", "7")])
    sections, excluded = school_sections(schools, teachers, P)
    assert sorted(sections["school_code"]) == ["6", "7"]  # a teaching point with exactly 50 pupils is evaluated
    reasons = dict(zip(excluded["school_code"], excluded["reason"], strict=True))
    assert "特殊教育学校" in reasons["3"] and "职业学校" in reasons["4"] and "不足50人的教学点" in reasons["5"]


def test_unit_conversion_wan_yuan_to_yuan(tmp_path):
    from rawfactory import make_county, school_row, teacher_row

    from analysis.data.cleaning import clean_folder

    make_county(tmp_path, schools=[school_row("5001000001", "一小", primary=500, 教学仪器设备资产值=125.5)],
                teachers=[teacher_row("5001000001", n=500)])
    schools = clean_folder(tmp_path).tables["schools"]
    si, _ = evaluate(schools, clean_folder(tmp_path).tables["teachers"], P)
    assert si.iloc[0]["R6"] == pytest.approx(1_255_000 / 500)  # 125.5 万元 = 1,255,000 元


def _values(**vals):
    """One primary school-section whose R1..R7 are given as fractions of the standard."""
    std = {i: P["resources"][i]["primary"] for i in P["resources"]}
    row = {"school_code": "9", "school_name": "测试小学", "school_type": "primary_school", "section": "primary",
           "students": 100}
    row.update({i: std[i] * vals.get(i, 1.0) for i in std})
    return school_compliance(pd.DataFrame([row]), P).iloc[0]


def test_all_met():
    r = _values()
    assert r["n_met"] == 7 and r["school_pass"] and r["reason"] == "7项指标全部达标"


def test_six_met_missed_one_above_85_percent_passes():
    r = _values(R2=0.9)
    assert r["n_met"] == 6 and r["school_pass"] and "R2" in r["reason"] and r["R2_ratio"] == pytest.approx(0.9)


def test_exactly_85_percent_passes_and_just_below_fails():
    # 4.2 × 0.85 = 3.57 exactly at 85% of the R1 standard
    row = {"school_code": "9", "school_name": "测试小学", "school_type": "primary_school", "section": "primary",
           "students": 100, **{i: P["resources"][i]["primary"] for i in P["resources"]}}
    row["R1"] = 357 / 100
    assert school_compliance(pd.DataFrame([row]), P).iloc[0]["school_pass"]
    row["R1"] = 356.9 / 100
    r = school_compliance(pd.DataFrame([row]), P).iloc[0]
    assert not r["school_pass"] and r["n_met"] == 6 and "低于标准的85%" in r["reason"]


def test_exactly_at_standard_counts_as_met():
    # 21 teachers per 500 pupils × 100 = 4.2, exactly the R1 standard (no rounding before comparing)
    r = _values(R1=(21 * 100 / 500) / 4.2)
    assert r["n_met"] == 7


def test_five_met_fails_even_if_both_above_85_percent():
    r = _values(R2=0.95, R6=0.95)
    assert r["n_met"] == 5 and not r["school_pass"] and "仅5项达标" in r["reason"]


def test_older_school_profile_lowers_r4_standard():
    prof = load_profile("older_schools")
    cut = prof["older_school_standards"]["founded_before"]
    schools = pd.DataFrame([_school("a", "primary_school", 100, founded_year=cut - 1, teaching_rooms_m2=420.0),
                            _school("b", "primary_school", 100, founded_year=cut, teaching_rooms_m2=420.0)])
    teachers = pd.DataFrame([_teachers("a", "primary"), _teachers("b", "primary")])
    si, _ = evaluate(schools, teachers, prof)
    old, new = si.set_index("school_code").loc["a"], si.set_index("school_code").loc["b"]
    assert old["R4_std"] == prof["older_school_standards"]["R4"]["primary"] and new["R4_std"] == 4.5
    assert old["R4_ratio"] >= 1 > new["R4_ratio"]


def test_rooms_excluding_indoor_sports_profile():
    schools = pd.DataFrame([_school("c", "primary_school", 100, teaching_rooms_m2=500.0, indoor_sports_rooms_m2=80.0)])
    teachers = pd.DataFrame([_teachers("c", "primary")])
    nat, _ = evaluate(schools, teachers, P)
    var, _ = evaluate(schools, teachers, load_profile("rooms_excl_indoor_sports"))
    assert nat.iloc[0]["R4"] == pytest.approx(5.0) and var.iloc[0]["R4"] == pytest.approx(4.2)


def test_anhui_land_area_extra_indicator_not_counted_in_rule():
    prof = load_profile("anhui")
    schools = pd.DataFrame([_school("d", "primary_school", 100, land_area_m2=1000.0)])
    teachers = pd.DataFrame([_teachers("d", "primary")])
    si, _ = evaluate(schools, teachers, prof)
    assert si.iloc[0]["A1"] == pytest.approx(10.0) and si.iloc[0]["A1_std"] == 22.0
    assert si.iloc[0]["n_met"] <= 7  # A1 is reported, the 6-of-7 rule still counts R1–R7 only


def test_teacher_rows_in_any_order_duplicates_and_gaps():
    """Teacher stocks come from the section rows whatever their order; duplicate rows add up; a missing row is 0."""
    schools = pd.DataFrame([_school("a", "nine_year_school", 300, 200), _school("b", "primary_school", 100),
                            _school("c", "junior_school", 0, 150), _school("p", "teaching_point", 20)])
    aligned = pd.DataFrame([_teachers("a", "primary", above=11), _teachers("b", "primary", above=12),
                            _teachers("p", "primary", above=1), _teachers("a", "junior", above=21),
                            _teachers("c", "junior", above=23)])
    reordered = aligned.iloc[[4, 2, 0, 3, 1]].reset_index(drop=True)
    first, _ = school_sections(schools, aligned, P)
    second, _ = school_sections(schools, reordered, P)
    pd.testing.assert_frame_equal(first, second)
    got = first.set_index(["school_code", "section"])["teachers_above_degree"].to_dict()
    assert got == {("a", "primary"): 11, ("b", "primary"): 12, ("a", "junior"): 21, ("c", "junior"): 23}
    # a second row for b-primary adds up, a row for an unknown school is ignored, c-junior's row missing → 0
    odd = pd.concat([aligned.drop(index=4), pd.DataFrame([_teachers("b", "primary", above=3),
                                                          _teachers("zz", "primary", above=99)])])
    got = school_sections(schools, odd, P)[0].set_index(["school_code", "section"])["teachers_above_degree"]
    assert got[("b", "primary")] == 15 and got[("c", "junior")] == 0 and got[("a", "junior")] == 21


def test_gap_is_the_absolute_shortfall_and_zero_when_met():
    r = _values(R2=0.9, R5=1.2)
    std = P["resources"]["R2"]["primary"]
    assert r["R2_gap"] == pytest.approx(std * 0.1) and r["R5_gap"] == 0.0 and r["R1_gap"] == 0.0
    assert r["missed"] == "R2" and "R2" in r["reason"] and "达标" in r["reason"]


def test_missing_value_counts_as_missed_and_below_the_floor():
    r = _values(R3=float("nan"))
    assert r["n_met"] == 6 and not r["school_pass"] and "R3" in r["missed"] and "低于标准的85%" in r["reason"]


def test_unknown_section_is_an_error():
    from analysis.evaluate.indicators import section_codes

    with pytest.raises(ValueError, match="senior"):
        section_codes(pd.DataFrame({"section": ["primary", "senior"]}))


def test_reason_sentences_name_missed_and_low_indicators():
    lenient = {**P, "school_rule": {**P["school_rule"], "min_met": 5}}  # a profile asking 5 of 7 (illustrative)
    rows = [{"school_code": c, "school_name": c, "school_type": "primary_school", "section": "primary",
             "students": 100, **{i: P["resources"][i]["primary"] for i in P["resources"]}} for c in "xyz"]
    rows[1]["R2"] *= 0.9
    rows[2]["R2"] *= 0.9
    rows[2]["R5"] *= 0.5
    r = school_compliance(pd.DataFrame(rows), lenient).set_index("school_code")
    assert r.loc["x", "reason"] == "7项指标全部达标" and r.loc["x", "missed"] == ""
    assert r.loc["y", "school_pass"] and "R2骨干教师未达标但不低于标准的85%" in r.loc["y", "reason"]
    assert not r.loc["z", "school_pass"] and r.loc["z", "missed"] == "R2;R5"
    assert r.loc["z", "reason"].startswith("5项达标，R2骨干教师、R5")
    assert "其中R5" in r.loc["z", "reason"] and r.loc["z", "reason"].endswith("低于标准的85%，不达标")
