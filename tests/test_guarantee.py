"""Government guarantee items G1–G15: every quantitative rule at and around its threshold, hand-made frames."""

import numpy as np
import pandas as pd
import pytest

from analysis.evaluate import guarantee as g
from analysis.report import charts
from analysis.standards import load_profile
from analysis.standards import status as st
from analysis.standards.compare import falls_short, meets

NATIONAL = load_profile("national")


def school(code: str, name: str = "", school_type: str = "primary_school", primary: int = 600, junior: int = 0,
           classes_primary: int = 12, classes_junior: int = 0, urban_rural: str = "town", **extra) -> dict:
    """One cleaned ``schools.csv`` row (ids, enums mapped) with compliant rooms unless overridden."""
    row = {
        "school_code": code, "school_name": name or f"学校{code}", "school_type": school_type,
        "ownership": "public", "urban_rural": urban_rural, "founded_year": 2010,
        "students_primary": primary, "students_junior": junior, "students_senior": 0,
        "classes_primary": classes_primary, "classes_junior": classes_junior,
        "music_rooms": 1, "music_rooms_m2": 96.0, "music_rooms_m2_basis": "per_room_min",
        "art_rooms": 1, "art_rooms_m2": 90.0, "art_rooms_m2_basis": "per_room_min",
        "public_funds_per_student": 650.0, "public_funds_total": 650.0 * (primary + junior),
        "public_funds_budget": 700.0 * (primary + junior), "training_budget": 35.0 * (primary + junior),
        "has_charter": True, "digitized": True, "moral_rating": "良好",
    }
    row.update(extra)
    return row


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def items(*rows: tuple) -> pd.DataFrame:
    """A cleaned ``county_items.csv``: (item_id, value[, evidence]) with source rows from 3."""
    out = []
    for i, r in enumerate(rows):
        item_id, value = r[0], r[1]
        evidence = r[2] if len(r) > 2 else f"{item_id} 佐证"
        out.append({"source_row": i + 3, "item_id": item_id, "item_name": "", "value": value, "unit": "",
                    "evidence": evidence})
    return pd.DataFrame(out)


def teacher(code: str, section: str = "primary", n: int = 50, **extra) -> dict:
    row = {"school_code": code, "section": section, "teachers": n, "teachers_above_degree": n, "key_teachers": 2,
           "pe_teachers": 2, "music_teachers": 1, "art_teachers": 1, "certified_teachers": n, "trained_360h": n,
           "rotation_eligible": 20, "rotated_teachers": 2, "rotated_key_teachers": 1}
    row.update(extra)
    return row


def row_of(frame_: pd.DataFrame, item_id: str) -> pd.Series:
    return frame_.set_index("item_id").loc[item_id]


# --- comparator ------------------------------------------------------------------------------------------------


def test_meets_applies_the_wording_literally_with_exact_ties():
    assert meets(0.95, 0.95, ">=") and not meets(0.9499, 0.95, ">=")
    assert meets(2000, 2000, "<=") and not meets(2001, 2000, "<=")
    assert not meets(0.15, 0.15, "<") and meets(0.1499, 0.15, "<")
    assert not meets(0.85, 0.85, ">") and meets(0.8501, 0.85, ">")
    # a quotient that is mathematically 0.95 but a hair off in binary still meets ">="
    assert meets(19 / 20, 0.95, ">=") and meets(0.1 * 3, 0.3, ">=")
    assert meets(0.1 * 3, 0.3, "<=") and not meets(0.1 * 3, 0.3, "<=", rel_tol=0)  # 0.30000000000000004
    with pytest.raises(ValueError, match="比较符"):
        meets(1, 1, "=>")


def test_meets_is_vectorised_and_missing_never_meets_nor_falls_short():
    values = pd.Series([4.2, 21 * 100 / 500, float("nan"), 4.1], index=[7, 8, 9, 10])
    out = meets(values, 4.2, ">=")
    assert out.index.tolist() == [7, 8, 9, 10] and out.tolist() == [True, True, False, False]
    assert meets(np.array([1.0, np.nan]), np.array([np.nan, 1.0]), "<=").tolist() == [False, False]
    assert falls_short(values, 4.2, ">=").tolist() == [False, False, False, True]
    assert falls_short(float("nan"), 1, ">=") is False and falls_short(0.5, 1, ">=") is True
    assert meets(np.array([1.0, 1.0 + 1e-12]), 1.0, "<=", rel_tol=np.array([0.0, 1e-9])).tolist() == [True, True]


# --- G3 music and art rooms --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("classes", "required"), [(1, 1), (12, 1), (13, 2), (24, 2), (25, 3), (0, 1)])
def test_g3_required_rooms_per_twelve_classes(classes, required):
    rooms = g.music_art_rooms(frame(school("1", classes_primary=classes)), NATIONAL)
    assert rooms.loc[0, "required_rooms"] == required


def test_g3_counts_compulsory_classes_of_a_nine_year_school():
    s = school("1", school_type="nine_year_school", primary=500, junior=500, classes_primary=12, classes_junior=13,
               music_rooms=2, art_rooms=2)
    rooms = g.music_art_rooms(frame(s), NATIONAL)
    assert rooms.loc[0, "classes"] == 25 and rooms.loc[0, "required_rooms"] == 3
    assert not rooms.loc[0, "passed"] and "音乐室2间，少1间" in rooms.loc[0, "reason"]


@pytest.mark.parametrize(("music_m2", "art_m2", "passed"), [(96, 90, True), (95.9, 90, False), (96, 89.9, False),
                                                            (120, 100, True)])
def test_g3_each_room_area_at_and_below_the_minimum(music_m2, art_m2, passed):
    rooms = g.music_art_rooms(frame(school("1", music_rooms_m2=music_m2, art_rooms_m2=art_m2)), NATIONAL)
    assert bool(rooms.loc[0, "passed"]) is passed


def test_g3_total_area_basis_is_the_weaker_check_and_is_named():
    # 24 classes → 2 rooms each; total 192 m² = 2 × 96 passes even if one room were smaller than 96 m²
    s = school("1", classes_primary=24, music_rooms=2, music_rooms_m2=192.0, music_rooms_m2_basis="total",
               art_rooms=2, art_rooms_m2=179.9, art_rooms_m2_basis="total")
    rooms = g.music_art_rooms(frame(s), NATIONAL)
    assert rooms.loc[0, "music_area_ok"] and not rooms.loc[0, "art_area_ok"]
    assert "合计面积179.9㎡＜2×90㎡" in rooms.loc[0, "reason"]
    row = g.g3_row(rooms, NATIONAL)
    assert row["status"] == st.FAIL and "只报合计面积" in row["note"]


def test_g3_no_rooms_fails_and_missing_counts_are_not_assumed():
    rooms = g.music_art_rooms(frame(school("1", music_rooms=0, music_rooms_m2=0.0),
                                    school("2", art_rooms=None, art_rooms_m2=None)), NATIONAL)
    assert rooms["status"].tolist() == [st.FAIL, st.MISSING]
    row = g.g3_row(rooms, NATIONAL)
    assert row["value"] == 1 and row["status"] == st.FAIL and "缺少数据 1 所" in row["note"]


def test_g3_scope_leaves_out_special_schools_and_keeps_small_teaching_points():
    # G3 reads "所有小学、初中"; the under-50 exclusion is for the 7 indicators only (000 附件2 备注（三）)
    schools = frame(school("1"), school("2", school_type="special_ed_school", music_rooms=0),
                    school("3", school_type="teaching_point", primary=49, classes_primary=3, music_rooms=0),
                    school("4", school_type="teaching_point", primary=50, classes_primary=3, music_rooms=0))
    rooms = g.music_art_rooms(schools, NATIONAL)
    assert rooms["school_code"].tolist() == ["1", "3", "4"]
    assert g.g3_row(rooms, NATIONAL)["value"] == 2
    narrow = load_profile("national")
    narrow["guarantee"]["G3"]["include_small_teaching_points"] = False
    assert g.music_art_rooms(schools, narrow)["school_code"].tolist() == ["1", "4"]


def test_g3_anhui_literal_checks_no_art_room_area():
    s = school("1", art_rooms_m2=50.0)
    assert not g.music_art_rooms(frame(s), NATIONAL).loc[0, "passed"]
    assert not g.music_art_rooms(frame(s), load_profile("anhui")).loc[0, "passed"]  # 90 ㎡ applies (national items)
    literal = g.music_art_rooms(frame(s), load_profile("anhui_literal"))
    assert literal.loc[0, "passed"] and pd.isna(literal.loc[0, "art_min_m2"])  # only what 001's plan restates


def test_g3_older_school_variant_lowers_the_area():
    profile = load_profile("older_schools")
    variant = profile["guarantee"]["G3"]["area_variants"][0]
    old = school("1", founded_year=1990, music_rooms_m2=float(variant["music_room_min_m2"]),
                 art_rooms_m2=float(variant["art_room_min_m2"]))
    new = dict(old, school_code="2", founded_year=2005)
    rooms = g.music_art_rooms(frame(old, new), profile)
    assert rooms["passed"].tolist() == [True, False]
    assert rooms.loc[0, "area_variant"] == variant["zh"]
    assert not g.music_art_rooms(frame(old), NATIONAL).loc[0, "passed"]


# --- G4 school size, G5 class size ------------------------------------------------------------------------------


def test_g4_caps_at_and_above():
    schools = frame(school("1", primary=2000), school("2", primary=2001),
                    school("3", school_type="nine_year_school", primary=1500, junior=1000),
                    school("4", school_type="nine_year_school", primary=1500, junior=1001),
                    school("5", school_type="junior_school", primary=0, junior=2001),
                    school("6", school_type="special_ed_school", primary=3000))
    sizes = g.school_size(schools, NATIONAL)
    assert sizes.set_index("school_code")["passed"].to_dict() == {"1": True, "2": False, "3": True, "4": False,
                                                                  "5": False}
    assert sizes["reason"].tolist()[:2] == ["义务教育阶段2000人≤2000人", "义务教育阶段2001人＞2000人"]
    row = g.g4_row(sizes, NATIONAL)
    assert row["value"] == 3 and row["status"] == st.FAIL
    quick = g.school_size(schools, NATIONAL, reasons=False)  # the projection's replicates: no sentences
    pd.testing.assert_frame_equal(quick.drop(columns="reason"), sizes.drop(columns="reason"))
    assert (quick["reason"] == "").all()


def _classes(rows):
    return pd.DataFrame([{"school_code": c, "section": s, "grade": gr, "class_no": k, "students": n}
                         for c, s, gr, k, n in rows])


def test_g5_every_class_against_its_section_cap():
    schools = frame(school("1", school_type="nine_year_school", junior=300), school("2", school_type="special_ed_school"))
    classes = _classes([("1", "primary", 1, 1, 45), ("1", "primary", 1, 2, 46), ("1", "primary", 2, 1, 40),
                        ("1", "junior", 7, 1, 50), ("1", "junior", 7, 2, 44), ("2", "primary", 1, 1, 60)])
    sizes = g.class_sizes(classes, schools, NATIONAL)
    assert len(sizes) == 5  # the special school's class is not counted
    summary = g.class_size_summary(sizes).set_index("section")
    assert summary.loc["primary", "oversized"] == 1
    assert summary.loc["primary", "oversized_share"] == pytest.approx(1 / 3)
    assert summary.loc["junior", "oversized"] == 0 and summary.loc["junior", "max_size"] == 50
    rows = {r["item_id"]: r for r in g.g5_rows(sizes, NATIONAL)}
    assert rows["G5_primary"]["status"] == st.FAIL and rows["G5_primary"]["value"] == 46
    assert "大班额 1 个（占 33.3%）" in rows["G5_primary"]["note"]
    assert rows["G5_junior"]["status"] == st.PASS and rows["G5_junior"]["threshold"] == 50


def test_g5_without_class_table_is_missing_not_passed():
    rows = g.g5_rows(None, NATIONAL)
    assert [r["status"] for r in rows] == [st.MISSING, st.MISSING]


# --- G6 small schools funded as 100 students ---------------------------------------------------------------------


def test_g6_funded_as_100_students_at_and_below():
    schools = frame(
        school("1", primary=40, urban_rural="rural", public_funds_total=65000.0),        # 650 × 100 exactly
        school("2", primary=40, urban_rural="rural", public_funds_total=64999.0),        # one yuan short
        school("3", school_type="teaching_point", primary=20, urban_rural="rural", public_funds_total=13000.0),
        school("4", primary=100, urban_rural="rural", public_funds_total=65000.0),        # not below 100
        school("5", primary=40, urban_rural="town", public_funds_total=26000.0),          # not a village school
    )
    funding = g.small_school_funding(schools, NATIONAL)
    assert funding.set_index("school_code")["status"].to_dict() == {"1": st.PASS, "2": st.FAIL, "3": st.FAIL}
    row = g.g6_row(funding, {}, NATIONAL)
    assert row["value"] == 2 and row["status"] == st.FAIL


def test_g6_without_funding_columns_uses_the_county_answer():
    s = school("1", primary=40, urban_rural="rural", public_funds_total=None)
    funding = g.small_school_funding(frame(s), NATIONAL)
    assert funding.loc[0, "status"] == st.MISSING
    assert g.g6_row(funding, {}, NATIONAL)["status"] == st.MISSING
    answered = g.county_item_index(items(("G6", "是", "财政核定文件")))
    row = g.g6_row(funding, answered, NATIONAL)
    assert row["status"] == st.PASS and row["kind"] == "evidence" and row["evidence"] == "财政核定文件"


# --- teacher items -----------------------------------------------------------------------------------------------


def test_teacher_rates_at_thresholds():
    teachers = pd.DataFrame([teacher("1", n=60, rotation_eligible=50, rotated_teachers=5, rotated_key_teachers=1),
                             teacher("1", "junior", n=40, rotation_eligible=50, rotated_teachers=5,
                                     rotated_key_teachers=1),
                             teacher("9", "senior", n=30, certified_teachers=0, trained_360h=0)])
    rows = {r["item_id"]: r for r in g.teacher_rows(teachers, NATIONAL)}
    assert rows["G9"]["value"] == 1.0 and rows["G9"]["status"] == st.PASS  # senior rows are not counted
    assert rows["G11_rotation"]["value"] == pytest.approx(0.10) and rows["G11_rotation"]["status"] == st.PASS
    assert rows["G11_key_share"]["value"] == pytest.approx(0.20) and rows["G11_key_share"]["status"] == st.PASS
    assert rows["G12"]["status"] == st.PASS


def test_teacher_rates_just_below_thresholds():
    teachers = pd.DataFrame([teacher("1", n=1000, trained_360h=999, certified_teachers=999, rotation_eligible=1000,
                                     rotated_teachers=99, rotated_key_teachers=19)])
    rows = {r["item_id"]: r for r in g.teacher_rows(teachers, NATIONAL)}
    assert rows["G9"]["value"] == 0.999 and rows["G9"]["status"] == st.FAIL
    assert rows["G11_rotation"]["status"] == st.FAIL
    assert rows["G11_key_share"]["value"] == pytest.approx(19 / 99) and rows["G11_key_share"]["status"] == st.FAIL
    assert rows["G12"]["status"] == st.FAIL and "999 ÷ 1000" in rows["G12"]["note"]


def test_teacher_rate_with_a_gap_is_missing_and_names_the_school():
    teachers = pd.DataFrame([teacher("1"), teacher("2", trained_360h=None)])
    rows = {r["item_id"]: r for r in g.teacher_rows(teachers, NATIONAL)}
    assert rows["G9"]["status"] == st.MISSING and "2" in rows["G9"]["note"]
    absent = pd.DataFrame([teacher("1")]).drop(columns=["certified_teachers"])
    assert {r["item_id"]: r for r in g.teacher_rows(absent, NATIONAL)}["G12"]["status"] == st.MISSING


# --- county-reported items ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "status"), [("6000", st.PASS), ("5999.99", st.FAIL), ("6,300", st.PASS)])
def test_g7_special_school_funds(value, status):
    row = g.g7_row(g.county_item_index(items(("G7", value))), None, NATIONAL)
    assert row["status"] == status and row["evidence"] == "G7 佐证"


def test_g7_falls_back_to_the_lowest_special_school():
    schools = frame(school("1", school_type="special_ed_school", public_funds_per_student=6500.0),
                    school("2", school_type="special_ed_school", public_funds_per_student=5800.0))
    row = g.g7_row({}, schools, NATIONAL)
    assert row["value"] == 5800.0 and row["status"] == st.FAIL and row["kind"] == "computed"
    assert g.g7_row({}, frame(school("1")), NATIONAL)["status"] == st.MISSING


@pytest.mark.parametrize(("teacher_pay", "perf", "statuses"), [
    ("100000", "是", [st.PASS, st.PASS]), ("99999", "是", [st.FAIL, st.PASS]), ("120000", "否", [st.PASS, st.FAIL])])
def test_g8_pay_parity_and_performance_pay(teacher_pay, perf, statuses):
    idx = g.county_item_index(items(("G8_teacher_pay", teacher_pay), ("G8_civil_servant_pay", "100000"),
                                    ("G8_performance_pay", perf)))
    rows = g.g8_rows(idx, NATIONAL)
    assert [r["status"] for r in rows] == statuses
    assert rows[0]["threshold"] == 100000


@pytest.mark.parametrize(("primary", "junior", "statuses"), [
    ("100%", "95%", [st.PASS, st.PASS]), ("99.9%", "0.95", [st.FAIL, st.PASS]), ("1", "94.9%", [st.PASS, st.FAIL])])
def test_g13_zoned_enrollment(primary, junior, statuses):
    idx = g.county_item_index(items(("G13_primary", primary), ("G13_junior", junior)))
    assert [r["status"] for r in g.g13_rows(idx, NATIONAL)] == statuses


def test_g14_quota_share_and_rural_tilt():
    idx = g.county_item_index(items(("G14_quota_share", "50%"), ("G14_rural_tilt", "是")))
    assert [r["status"] for r in g.g14_rows(idx, NATIONAL)] == [st.PASS, st.PASS]
    idx = g.county_item_index(items(("G14_quota_share", "0.4999"), ("G14_rural_tilt", "否")))
    assert [r["status"] for r in g.g14_rows(idx, NATIONAL)] == [st.FAIL, st.FAIL]


@pytest.mark.parametrize(("public", "status"), [("85", st.PASS), ("84", st.FAIL)])
def test_g15_migrant_children_share(public, status):
    idx = g.county_item_index(items(("G15_care_system", "是"), ("G15_migrant_eligible", "100"),
                                    ("G15_migrant_public", public)))
    care, migrant = g.g15_rows(idx, NATIONAL)
    assert care["status"] == st.PASS and migrant["status"] == status
    assert migrant["value"] == int(public) / 100


# --- evidence items and bad input ---------------------------------------------------------------------------------


def test_evidence_item_is_shown_as_reported_and_never_invented():
    idx = g.county_item_index(items(("G1", "是", "布局规划"), ("G10", "否", "情况说明"), ("G2", "是", "")))
    assert g.evidence_row(idx, "G1", "guarantee", "x")["status"] == st.PASS
    no = g.evidence_row(idx, "G10", "guarantee", "x")
    assert no["status"] == st.FAIL and no["value"] == "否" and no["evidence"] == "情况说明"
    assert "未填写佐证材料" in g.evidence_row(idx, "G2", "guarantee", "x")["note"]
    absent = g.evidence_row(idx, "G99", "guarantee", "x")
    assert absent["status"] == st.MISSING and absent["passed"] is False and "不作推定" in absent["note"]


def test_bad_county_values_name_the_row_and_item():
    idx = g.county_item_index(items(("G1", "也许"), ("G7", "六千"), ("G13_junior", "97.5")))
    with pytest.raises(g.CountyItemError, match=r"第 3 行，指标编号 G1.*是/否"):
        g.item_yes_no(idx, "G1")
    with pytest.raises(g.CountyItemError, match=r"第 4 行，指标编号 G7.*不是数字"):
        g.item_number(idx, "G7")
    with pytest.raises(g.CountyItemError, match=r"第 5 行.*不在 0–1 之间"):
        g.item_number(idx, "G13_junior", rate=True)
    with pytest.raises(g.CountyItemError, match="重复"):
        g.county_item_index(items(("G1", "是"), ("G1", "否")))


def test_guarantee_items_cover_all_fifteen_and_profile_omissions():
    schools = frame(school("1"), school("2", primary=0, junior=500, school_type="junior_school", classes_primary=0,
                                        classes_junior=10))
    teachers = pd.DataFrame([teacher("1"), teacher("2", "junior")])
    national = g.guarantee_items(schools, teachers, None, None, NATIONAL)
    assert list(dict.fromkeys(national["parent_id"])) == [f"G{i}" for i in range(1, 16)]
    assert set(national["status"]) <= {st.PASS, st.MISSING}  # nothing reported → missing, never passed by default
    assert national.set_index("item_id").loc["G1", "status"] == st.MISSING
    anhui = g.guarantee_items(schools, teachers, None, None, load_profile("anhui_literal")).set_index("item_id")
    assert anhui.loc["G2", "status"] == st.NOT_APPLICABLE and anhui.loc["G14", "status"] == st.NOT_APPLICABLE
    assert pd.isna(anhui.loc["G2", "passed"])


def test_class_size_chart_marks_oversized_classes():
    from analysis.report.plotting import COLOURS, setup_plotting

    setup_plotting()
    sizes = g.class_sizes(_classes([("1", "primary", 1, 1, 44), ("1", "primary", 1, 2, 46), ("1", "junior", 7, 1, 50)]),
                          frame(school("1", school_type="nine_year_school", junior=100)), NATIONAL)
    fig = charts.class_size_chart(sizes, NATIONAL)
    primary = fig.axes[0]
    red = [p for p in primary.patches if p.get_height() > 0 and p.get_facecolor()[:3] == _rgb(COLOURS["fail"])]
    assert len(red) == 1 and "大班额 1 个" in primary.get_title()


def _rgb(hex_colour: str) -> tuple:
    from matplotlib.colors import to_rgb

    return to_rgb(hex_colour)
