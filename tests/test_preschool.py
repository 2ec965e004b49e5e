"""Preschool 普及普惠 evaluation (P1–P37): thresholds, class caps, supervision window, vetoes, parts supplied."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.data import catalog, sample
from analysis.data.cleaning import clean_folder
from analysis.data.reading import parts_in_folder
from analysis.evaluate import preschool
from analysis.standards import load_profile
from analysis.standards.status import FAIL, MISSING, PASS

PROFILE = load_profile("chongqing")
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw" / "sample"


def _kg(code, kg_type="public", children=100, township="龙池镇", central=False, licensed=True, last=2024, **over):
    row = {"kg_code": code, "kg_name": f"园{code}", "township": township, "kg_type": kg_type,
           "township_central": central, "estate": False, "estate_operation": None, "design_year": 2010,
           "meets_building_standard": True, "licensed": licensed, "last_supervised": last, "supervisor": "督学",
           "children": children}
    row.update(over)
    return row


def _items(rows, staff=None, population=None, year=2025, classes=None, incidents=None):
    kgs = pd.DataFrame(rows)
    staff = pd.DataFrame(staff) if staff is not None else None
    county = pd.DataFrame([{"item_id": "P1_population_3_5", "value": population, "evidence": "统计局"}]) \
        if population is not None else None
    items = preschool.preschool_items(kgs, classes, staff, county, None, incidents, None, PROFILE, year)
    return items.set_index("item_id")


@pytest.mark.parametrize(("children", "population", "status"), [(85, 100, PASS), (8499, 10000, FAIL),
                                                                  (8501, 10000, PASS), (84, 100, FAIL)])
def test_p1_gross_enrollment_at_85_percent(children, population, status):
    assert _items([_kg("1", children=children)], population=population).loc["P1", "status"] == status


@pytest.mark.parametrize(("public", "inclusive", "private", "p2", "p3"), [
    (50, 30, 20, PASS, PASS), (49, 30, 21, FAIL, FAIL), (50, 29, 21, FAIL, PASS), (51, 28, 21, FAIL, PASS)])
def test_p2_p3_inclusive_coverage_80_and_public_share_50(public, inclusive, private, p2, p3):
    rows = [_kg("1", "public", public), _kg("2", "inclusive_private", inclusive), _kg("3", "private", private)]
    items = _items(rows)
    assert (items.loc["P2", "status"], items.loc["P3", "status"]) == (p2, p3)


def test_unlicensed_children_do_not_count_and_p24_fails():
    items = _items([_kg("1", "public", 50), _kg("2", "private", 500, licensed=False)])
    assert items.loc["P3", "value"] == 1.0 and items.loc["P24", "status"] == FAIL


@pytest.mark.parametrize(("teachers", "status"), [(10, PASS), (9, FAIL)])  # 150 children: 1:15 passes, 1:16.7 not
def test_p31_children_per_teacher_at_most_15(teachers, status):
    staff = [{"kg_code": "1", "teachers": teachers, "certified_teachers": teachers, "vacant_posts": 0}]
    assert _items([_kg("1", children=150)], staff).loc["P31", "status"] == status


@pytest.mark.parametrize(("ctype", "children", "within"), [("small", 25, True), ("small", 26, False),
                                                            ("middle", 30, True), ("middle", 31, False),
                                                            ("large", 35, True), ("large", 36, False),
                                                            ("mixed", 30, True), ("mixed", 31, False)])
def test_class_caps_by_class_type(ctype, children, within):
    classes = pd.DataFrame([{"kg_code": "1", "class_type": ctype, "class_no": 1, "children": children}])
    assert preschool.class_caps(classes, pd.DataFrame([_kg("1")]), PROFILE)["within"].item() is within


@pytest.mark.parametrize(("over", "status"), [(3, PASS), (4, FAIL)])  # 20 classes: 17/20 = 85% passes, 16/20 not
def test_p28_85_percent_of_classes(over, status):
    classes = pd.DataFrame([{"kg_code": "1", "class_type": "large", "class_no": i + 1,
                             "children": 36 if i < over else 30} for i in range(20)])
    assert _items([_kg("1")], classes=classes).loc["P28", "status"] == status


@pytest.mark.parametrize(("last", "passed"), [(2022, True), (2021, False), (2025, True), (None, False)])
def test_supervision_within_the_4_year_window(last, passed):
    checked = preschool.supervision(pd.DataFrame([_kg("1", last=last)]), 2025, PROFILE)
    assert bool(checked["passed"].item()) is passed


def test_p7_counts_rural_townships_without_public_central_kindergarten():
    rows = [_kg("1", central=True), _kg("2", "inclusive_private", township="安乐乡", central=True),
            _kg("3", township="东城街道")]
    items = _items(rows)
    assert items.loc["P7", "value"] == 1 and "安乐乡" in items.loc["P7", "note"]


@pytest.mark.parametrize(("year", "status"), [(2024, FAIL), (2025, FAIL), (2026, PASS)])
def test_incidents_within_two_years_veto_the_verdict(year, status):
    incidents = pd.DataFrame([{"kind": "safety", "year": 2024, "kg_code": "1", "serious": True, "description": "x"},
                              {"kind": "ethics", "year": 2025, "kg_code": "1", "serious": False, "description": "y"}])
    items = _items([_kg("1", central=True, last=year)], incidents=incidents, year=year)
    assert items.loc["P19", "status"] == status and items.loc["P35", "status"] == PASS
    if status == FAIL:
        assert items.loc["P19", "severity"] == 1 and items.loc["P19", "area"] == "preschool_veto"
        verdict = preschool.preschool_verdict(items.reset_index(), PROFILE, "demo", year)
        assert verdict["status"] == "fail" and verdict["veto_triggered"] == ["P19"]
        assert verdict["failing_items"][0]["item_id"] == "P19"


def test_absent_incident_table_is_missing_never_assumed():
    assert _items([_kg("1")]).loc["P19", "status"] == MISSING


def test_p37_strictly_above_85_percent():
    survey = pd.DataFrame({"respondent_id": [str(i) for i in range(100)], "respondent_type": "家长",
                           "question": "题1", "answer": ["满意"] * 85 + ["不满意"] * 15})
    table = preschool.p37_table(survey, PROFILE)
    assert table.iloc[0]["rate"] == 0.85 and preschool.p37_row(table, PROFILE)["status"] == FAIL
    assert table.iloc[0]["ci_low"] < 0.85 < table.iloc[0]["ci_high"]


def test_not_provided_verdict():
    assert preschool.preschool_verdict(None, PROFILE, "demo", 2025)["status"] == preschool.NOT_PROVIDED


# -------------------------------------------------------------------------------------- the sample county


def test_sample_kindergartens_are_not_tidy():
    t = sample.preschool_year(2021)
    kg = t["kindergartens"]
    assert 35 <= len(kg) <= 45 and (kg["licensed"] == "否").sum() == 1
    assert "否" not in set(sample.preschool_year(2023)["kindergartens"]["licensed"])
    private_2021 = (kg["kg_type"] == "非普惠性民办").sum()
    assert (sample.preschool_year(2025)["kindergartens"]["kg_type"] == "非普惠性民办").sum() < private_2021


@pytest.mark.parametrize("year", [2021, 2025])
def test_kindergarten_level_recomputation_of_p1_p3_p31(year):
    tables = clean_folder(SAMPLE / str(year)).tables
    kg, staff = tables["kindergartens"], tables["kg_staff"]
    items = preschool.preschool_items(kg, tables["kg_classes"], staff, tables["preschool_county_items"],
                                      tables["preschool_spending"], tables["preschool_incidents"],
                                      tables["preschool_survey"], PROFILE, year).set_index("item_id")
    licensed = kg[kg["licensed"].astype(bool)]
    children = licensed["children"].sum()
    population = float(tables["preschool_county_items"].set_index("item_id").loc["P1_population_3_5", "value"])
    assert items.loc["P1", "value"] == pytest.approx(children / population, rel=1e-12)
    inclusive = licensed.loc[licensed["kg_type"].isin(["public", "inclusive_private"]), "children"].sum()
    assert items.loc["P2", "value"] == pytest.approx(inclusive / children, rel=1e-12)
    public = licensed.loc[licensed["kg_type"] == "public", "children"].sum()
    assert items.loc["P3", "value"] == pytest.approx(public / children, rel=1e-12)
    teachers = staff.loc[staff["kg_code"].isin(licensed["kg_code"]), "teachers"].sum()
    assert items.loc["P31", "value"] == pytest.approx(children / teachers, rel=1e-12)


def test_parts_supplied_and_steps_to_run(tmp_path):
    assert parts_in_folder(SAMPLE / "2025") == ["compulsory", "preschool"]
    only = tmp_path / "2025"
    sample.write_preschool_year(sample.preschool_year(2025), only, 2025)
    assert parts_in_folder(only) == ["preschool"]
    assert catalog.part_steps(["preschool"]) == ["01_clean", "06_preschool", "07_preschool_projection", "09_report"]
    result = clean_folder(only)
    assert not result.has_errors and "schools" not in result.tables


def test_preschool_projection_uses_births():
    pop = pd.DataFrame({"year": range(2015, 2026), "births": [3000 - 50 * k for k in range(11)],
                        "population_3_5": [None] * 11, "source": ""})
    assert preschool.population_from_births(pop, [2027])[2027] == 2650 + 2600 + 2550  # births of 2024, 2023, 2022


def test_a_county_without_preschool_data_projects_nothing():
    empty = preschool.measures(None, None, None, None, PROFILE, 2025)
    frame, notes = preschool.project_preschool({2024: empty, 2025: empty}, None, PROFILE)
    assert frame.empty and list(frame.columns) == preschool.PROJECTION_COLUMNS and notes


def test_preschool_county_items_template_is_prefilled_with_every_item_the_county_reports(tmp_path):
    """The 学前教育县级指标 template lists the population P1 divides by and every 是/否 item: a county fills values."""
    from analysis import config
    from analysis.data.cleaning import clean_folder
    from analysis.data.columns import TABLES
    from analysis.data.reading import read_table
    from analysis.data.templates import template_workbook

    table = TABLES["preschool_county_items"]
    path = tmp_path / "学前教育县级指标.xlsx"
    template_workbook(table, PROFILE).save(path)
    codes = set(read_table(path, table).frame["item_id"])
    evidence = {k for k, v in PROFILE["preschool"]["items"].items() if v["kind"] == "evidence"}
    assert codes == evidence | {PROFILE["preschool"]["population_item"]}
    sample = clean_folder(config.RAW / "sample" / "2025").tables["preschool_county_items"]
    assert set(sample["item_id"]) <= codes
