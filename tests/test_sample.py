"""The fictional sample county 示例县 (analysis.data.sample): determinism, shape, internal consistency, defect fixture."""

from __future__ import annotations

import csv
import hashlib
import math
import unicodedata
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

from analysis.data import sample
from analysis.data.columns import COUNTY_ITEMS, SCHOOLS

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "data" / "raw" / "sample"
DEFECTS = ROOT / "tests" / "fixtures" / "defects"
COUNTY_ITEM_IDS = [
    "G1", "G2", "G7", "G8_teacher_pay", "G8_civil_servant_pay", "G8_performance_pay", "G10", "G13_primary",
    "G13_junior", "G14_quota_share", "G14_rural_tilt", "G15_care_system", "G15_migrant_eligible",
    "G15_migrant_public", "Q1_intake", "Q1_graduates", "Q1_transfer_in", "Q1_transfer_out", "Q1_deaths",
    "Q2_disabled_enrolled", "Q2_disabled_population", "Q5", "Q7", "Q8", "X_staff_payroll",
    "X_continuing_education_budget", "X_comprehensive_practice_hours", "X_labour_practice_hours", "V1", "V2", "V3", "V4", "V5", "V6",
]


@pytest.fixture(scope="module")
def county() -> dict[int, dict[str, pd.DataFrame]]:
    return sample.generate_county(sample.DEFAULT_YEARS)


@pytest.fixture(scope="module")
def roster() -> pd.DataFrame:
    return sample.build_roster()


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _number(value) -> float:
    """What a reader makes of a cell: full-width digits, thousands separators and spaces undone."""
    if isinstance(value, int | float):
        return float(value)
    return float(unicodedata.normalize("NFKC", str(value)).replace(",", "").strip())


# --- determinism -------------------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(tmp_path):
    a = sample.write_county(tmp_path / "a", years=[2024])
    b = sample.write_county(tmp_path / "b", years=[2024])
    assert len(a) == len(b) == 9 + len(sample.PRESCHOOL_FILES)  # county.yaml, all 8 tables (a monitoring year), preschool
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")


def test_committed_sample_is_what_the_generator_writes(tmp_path):
    sample.write_county(tmp_path, years=sample.DEFAULT_YEARS)
    assert _digests(tmp_path) == _digests(COMMITTED)


def test_a_year_does_not_depend_on_which_other_years_are_generated():
    alone = sample.generate_county([2023])[2023]
    together = sample.generate_county([2021, 2023])[2023]
    for table in ("schools", "teachers", "classes", "survey"):
        pd.testing.assert_frame_equal(alone[table], together[table])


def test_another_seed_gives_another_county():
    a = sample.generate_year(2022, seed=1)["schools"]
    b = sample.generate_year(2022, seed=2)["schools"]
    assert not a["students_primary"].equals(b["students_primary"])


def test_years_outside_the_model_are_refused():
    with pytest.raises(ValueError, match="2021"):
        sample.generate_county([2019])


# --- composition -------------------------------------------------------------------------------------------------


def test_school_types_and_sizes(county):
    s = county[2021]["schools"]
    counts = s["school_type"].value_counts().to_dict()
    assert counts == {"小学": 80, "初级中学": 20, "教学点": 16, "九年一贯制学校": 6, "完全中学": 1, "特殊教育学校": 1,
                      "职业学校": 1}
    points = s[s["school_type"] == "教学点"]["students_primary"]
    assert (points < 50).sum() >= 5 and (points >= 50).sum() >= 3
    complete = s[s["school_type"] == "完全中学"].iloc[0]
    assert complete["students_junior"] > 0 and complete["students_senior"] > 0
    vocational = s[s["school_type"] == "职业学校"].iloc[0]
    assert vocational["students_senior"] > 0 and vocational["students_primary"] == vocational["students_junior"] == 0
    special = s[s["school_type"] == "特殊教育学校"].iloc[0]
    assert special["students_primary"] > 0 and special["students_junior"] > 0
    nine = s[s["school_type"] == "九年一贯制学校"]
    assert ((nine["students_primary"] > 0) & (nine["students_junior"] > 0)).all()
    assert set(s["urban_rural"]) == {"城区", "镇区", "乡村"}


def test_oversized_schools_exist_and_shrink(county):
    def oversized(s):
        compulsory = s["students_primary"] + s["students_junior"]
        cap = np.where(s["school_type"] == "九年一贯制学校", 2500, 2000)
        return set(s.loc[compulsory > cap, "school_name"])

    first, last = oversized(county[2021]["schools"]), oversized(county[2025]["schools"])
    assert "示例县实验学校" in first and len(first) == 3  # nine-year school over 2500 in 2021
    assert 1 <= len(last) < len(first)


def test_codes_are_ten_digit_strings_stable_across_years(county):
    for tables in county.values():
        codes = tables["schools"]["school_code"]
        assert codes.map(lambda c: isinstance(c, str) and len(c) == 10 and c.isdigit()).all()
        assert codes.str.startswith("5001").all() and codes.is_unique
        for table in ("teachers", "classes"):
            assert set(tables[table]["school_code"]) <= set(codes)
    names = {y: dict(zip(t["schools"]["school_code"], t["schools"]["school_name"], strict=True))
             for y, t in county.items()}
    shared = set(names[2021]) & set(names[2025])
    assert len(shared) >= 120 and all(names[2021][c] == names[2025][c] for c in shared)


def test_one_school_closes_and_one_opens(county, roster):
    codes = {y: set(t["schools"]["school_code"]) for y, t in county.items()}
    closed = roster.loc[roster["closed"] > 0].iloc[0]
    opened = roster.loc[roster["opened"] > 0].iloc[0]
    assert closed["closed"] == 2023 and opened["opened"] == 2024
    assert closed["school_code"] in codes[2022] and closed["school_code"] not in codes[2023]
    assert opened["school_code"] not in codes[2023] and opened["school_code"] in codes[2024]
    assert codes[2021] - codes[2025] == {closed["school_code"]}
    assert codes[2025] - codes[2021] == {opened["school_code"]}
    # The closed school's pupils move to the school it merged into.
    receiver = {y: t["schools"].set_index("school_code").at[closed["merged_into"], "students_primary"]
                for y, t in county.items()}
    assert receiver[2023] - receiver[2022] > 40


def test_rural_enrollment_falls_and_town_urban_rises(county):
    def total(year, rural):
        s = county[year]["schools"]
        part = s[(s["urban_rural"] == "乡村") == rural]
        return int((part["students_primary"] + part["students_junior"]).sum())

    rural = [total(y, True) for y in sample.DEFAULT_YEARS]
    other = [total(y, False) for y in sample.DEFAULT_YEARS]
    assert all(b < a for a, b in zip(rural, rural[1:], strict=False))
    assert other[-1] > other[0]


# --- consistency between tables ----------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2021, 2025])
def test_class_rows_add_up_to_school_totals(county, year):
    s = county[year]["schools"].set_index("school_code")
    c = county[year]["classes"]
    for zh, section in (("小学", "primary"), ("初中", "junior")):
        part = c[c["section"] == zh].groupby("school_code")["students"].agg(["sum", "size"])
        part = part.reindex(s.index, fill_value=0)
        assert (part["sum"] == s[f"students_{section}"]).all()
        assert (part["size"] == s[f"classes_{section}"]).all()
    primary = c[c["section"] == "小学"]
    junior = c[c["section"] == "初中"]
    assert primary["grade"].between(1, 6).all() and junior["grade"].between(7, 9).all()
    assert (c["students"] > 0).all()
    assert not c.duplicated(["school_code", "section", "grade", "class_no"]).any()


def test_oversized_classes_become_fewer(county):
    def oversized(year):
        c = county[year]["classes"]
        return int((((c["section"] == "小学") & (c["students"] > 45))
                    | ((c["section"] == "初中") & (c["students"] > 50))).sum())

    counts = [oversized(y) for y in sample.DEFAULT_YEARS]
    assert counts[0] > 40 and 0 < counts[-1] < counts[0] / 5
    assert all(b <= a for a, b in zip(counts, counts[1:], strict=False))


def test_teacher_rows_follow_the_sections_taught(county):
    for tables in county.values():
        s = tables["schools"].set_index("school_code")
        t = tables["teachers"]
        have = set(zip(t["school_code"], t["section"], strict=True))
        for code, r in s.iterrows():
            for zh, col in (("小学", "students_primary"), ("初中", "students_junior"), ("高中", "students_senior")):
                assert ((code, zh) in have) == (r[col] > 0), (code, zh)
        assert not t.duplicated(["school_code", "section"]).any()
        for sub in ("teachers_above_degree", "key_teachers", "certified_teachers", "trained_360h",
                    "rotation_eligible"):
            assert (t[sub] <= t["teachers"]).all(), sub
        assert (t["rotated_key_teachers"] <= t["rotated_teachers"]).all()
        assert (t["rotated_teachers"] <= t["rotation_eligible"]).all()
        assert (t["pe_teachers"] + t["music_teachers"] + t["art_teachers"] <= t["teachers"]).all()


def test_every_value_is_within_the_column_contract(county):
    for tables in county.values():
        s = tables["schools"]
        for col in SCHOOLS.columns:
            if col.kind in ("int", "float"):
                v = pd.to_numeric(s[col.id])
                assert v.notna().all() and (v >= (col.min or 0)).all(), col.id
                if col.max is not None:
                    assert (v <= col.max).all(), col.id
            if col.kind == "enum":
                assert s[col.id].isin(list(col.values)).all(), col.id
            if col.kind == "bool":
                assert s[col.id].isin(["是", "否"]).all(), col.id


# --- county-level tables -----------------------------------------------------------------------------------------


def test_county_items_cover_every_item_with_evidence(county):
    for year, tables in county.items():
        items = tables["county_items"]
        assert list(items.columns) == [c.id for c in COUNTY_ITEMS.columns]
        assert items["item_id"].tolist() == COUNTY_ITEM_IDS
        assert items["evidence"].str.len().gt(5).all()
        v = items.set_index("item_id")["value"]
        assert all(v[f"V{i}"] == "否" for i in range(1, 7))
        # Retention (初中三年巩固率) as the usual formula reads it: ≥ 95% every year.
        q1 = v["Q1_graduates"] / (v["Q1_intake"] + v["Q1_transfer_in"] - v["Q1_transfer_out"] - v["Q1_deaths"])
        assert 0.95 <= q1 < 1, year
    first = county[2021]["county_items"].set_index("item_id")["value"]
    assert first["G13_junior"] == "93%"  # below 95% in the first year ...
    assert county[2025]["county_items"].set_index("item_id").at["G13_junior", "value"] == "97.5%"  # ... not later
    assert first["G8_teacher_pay"] < first["G8_civil_servant_pay"]


def test_training_and_rotation_gaps_close_over_the_years(county):
    def rate(year, num, den):
        t = county[year]["teachers"]
        return t[num].sum() / t[den].sum()

    assert rate(2021, "trained_360h", "teachers") < 0.97
    assert rate(2025, "trained_360h", "teachers") == 1
    assert rate(2021, "rotated_teachers", "rotation_eligible") < 0.10 <= rate(2025, "rotated_teachers",
                                                                               "rotation_eligible")


def test_survey_size_groups_and_recognition(county):
    rates = {}
    for year, tables in county.items():
        sv = tables["survey"]
        assert 500 <= len(sv) <= 800
        assert sv["respondent_id"].is_unique
        assert set(sv["respondent_type"]) == set(sample.SURVEY_GROUPS)
        answers = sv[[f"题{q}" for q in range(1, 7)]].to_numpy().ravel()
        assert set(answers) <= set(sample.SURVEY_ANSWERS)
        rates[year] = float(np.isin(answers, sample.SURVEY_ANSWERS[:3]).mean())
        assert sv["respondent_type"].value_counts().min() < 20  # one small group (政协委员)
    assert 0.82 <= rates[2021] < 0.85 and 0.85 <= rates[2025] <= 0.9


def test_monitoring_between_school_share_and_published_results(county):
    for year, tables in county.items():
        scores = tables["monitoring"]
        if year not in sample.MONITORING_YEARS:
            assert scores.empty and tables["monitoring_results"].empty
            continue
        assert 1000 <= len(scores) <= 4000
        assert set(scores["grade"]) == {4, 8}
        shares = sample.between_school_share(scores)
        assert shares["share"].between(0.10, 0.21).all()
        published = tables["monitoring_results"]
        assert len(published) == 6
        assert np.allclose(published["between_school_diff_rate"], shares["share"], atol=5e-4)
    assert (county[2021]["monitoring_results"]["between_school_diff_rate"] > 0.15).all()
    assert (county[2024]["monitoring_results"]["between_school_diff_rate"] < 0.15).all()


def test_between_school_share_by_hand():
    scores = pd.DataFrame({"school_code": ["a", "a", "b", "b"], "grade": 4, "subject": "数学",
                           "score": ["1.0", "3.0", "5.0", "7.0"]})
    # grand mean 4; between = 2·(2−4)² + 2·(6−4)² = 16; total = 9+1+1+9 = 20
    assert sample.between_school_share(scores).at[0, "share"] == pytest.approx(0.8)


def test_targets_follow_seed_003(county):
    t = county[2025]["targets"]
    key = {(r.indicator, r.scope, r.year): r.target_share for r in t.itertuples()}
    assert key[("R3", "全部", 2022)] == 0.75 and key[("R3", "全部", 2026)] == 1.0
    # 003: "生均教学及辅助用房与生均体育场馆面积达标学校比例达85%以上" — one joint share
    assert key[("R4+R5", "乡镇法人学校", 2024)] == 0.85 and key[("R4+R5", "乡镇法人学校", 2025)] == 0.9
    assert not {"R1", "R7", "R4", "R5"} & set(t["indicator"])
    counts = {(r.indicator, r.scope, r.year): r.target_count for r in t.itertuples() if r.target_count == r.target_count}
    assert counts == {("新建小学", "全部", 2021): 1, ("新建小学", "全部", 2022): 1, ("新建初中", "全部", 2023): 1,
                      ("新建小学", "城区学校", 2024): 1, ("新建小学", "全部", 2025): 1}
    assert key[("R6", "全部", 2025)] == 0.8 and key[("R6", "全部", 2027)] == 1.0
    assert key[("R2", "全部", 2026)] == 1.0 and key[("G3", "乡镇法人学校", 2026)] == 1.0


# --- tuning: the variation pattern the sample is meant to show ----------------------------------------------------


def _weighted_cv(x: pd.Series, n: pd.Series) -> float:
    mean = (n * x).sum() / n.sum()
    return math.sqrt((n / n.sum() * (x - mean) ** 2).sum()) / mean


def _key_teacher_cv(tables: dict[str, pd.DataFrame], zh: str) -> float:
    """R2 (teachers are not split) over evaluated school-sections: special/vocational and points < 50 left out."""
    s = tables["schools"]
    keep = ~s["school_type"].isin(["特殊教育学校", "职业学校"]) & ~(
        (s["school_type"] == "教学点") & (s["students_primary"] + s["students_junior"] < 50))
    t = tables["teachers"].merge(s.loc[keep], on="school_code")
    t = t[t["section"] == zh]
    n = t["students_primary"] if zh == "小学" else t["students_junior"]
    return _weighted_cv(t["key_teachers"] * 100 / n, n)


def test_key_teacher_cv_starts_over_the_limit_and_comes_down(county):
    assert _key_teacher_cv(county[2021], "小学") > 0.50
    assert _key_teacher_cv(county[2021], "初中") > 0.45
    assert _key_teacher_cv(county[2025], "小学") < 0.40
    assert _key_teacher_cv(county[2025], "初中") < 0.45


# --- the written files -------------------------------------------------------------------------------------------


def test_written_files_carry_the_quirks_and_the_same_numbers(tmp_path, county):
    sample.write_county(tmp_path, years=[2024])
    folder = tmp_path / "2024"
    wb = openpyxl.load_workbook(folder / sample.FILES["schools"])
    ws = wb["学校基本情况"]
    assert "A1:AG1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.cell(2, 1).value is None
    header = [c.value for c in ws[3]]
    assert header[SCHOOLS.columns.index(SCHOOLS.column("equipment_value"))] == sample.EQUIPMENT_HEADER
    rows = [list(r) for r in ws.iter_rows(min_row=4, values_only=True)]
    assert rows[-1][1] == "合计"
    data = rows[:-1]
    generated = county[2024]["schools"]
    assert len(data) == len(generated)
    texts = [v for r in data for v in r if isinstance(v, str)]
    assert sum(t.endswith("  ") for t in texts) == 2
    assert sum("," in t for t in texts) == 2
    assert sum(any("０" <= ch <= "９" for ch in t) for t in texts) == 1
    for r, g in zip(data, generated.itertuples(index=False), strict=True):
        assert r[0] == g.school_code and r[1].strip() == g.school_name
        for j, col in enumerate(SCHOOLS.columns):
            if col.kind in ("int", "float"):
                assert _number(r[j]) == pytest.approx(float(getattr(g, col.id))), (g.school_code, col.id)
    raw = (folder / sample.FILES["monitoring"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("gbk").startswith("学校标识码,年级,学科,成绩\n")
    assert (folder / sample.FILES["survey"]).read_bytes().startswith(b"\xef\xbb\xbf")
    assert b"\r" not in (folder / sample.FILES["classes"]).read_bytes()
    meta = yaml.safe_load((tmp_path / "county.yaml").read_text(encoding="utf-8"))
    assert meta["name"] == "示例县" and meta["standards_profile"] == "chongqing"


# --- the defect fixture ------------------------------------------------------------------------------------------


def test_committed_defect_fixture_is_what_the_generator_writes(tmp_path):
    sample.write_defect_fixture(tmp_path)
    assert _digests(tmp_path) == _digests(DEFECTS)


def _cell(folder: Path, defect: dict):
    path = folder / defect["file"]
    if path.suffix == ".csv":
        rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
        header, row = rows[0], rows[defect["row"] - 1]
        return row[header.index(defect["column"])]
    ws = openpyxl.load_workbook(path)[defect["sheet"]]
    header_row = next(i for i in range(1, 6) if ws.cell(i, 1).value == "学校标识码")
    header = [c.value for c in ws[header_row]]
    return ws.cell(defect["row"], header.index(defect["column"]) + 1).value


def test_defects_yaml_points_at_each_planted_defect():
    spec = yaml.safe_load((DEFECTS / "defects.yaml").read_text(encoding="utf-8"))
    defects = spec["defects"]
    assert {d["id"] for d in defects} == {"duplicate_school_code", "negative_area", "non_numeric", "unknown_school",
                                          "section_inconsistent_with_type", "negative_class_students", "outlier"}
    assert [d["severity"] for d in defects].count("warning") == 1
    for d in defects:
        assert str(_cell(DEFECTS, d)) == str(d["value"]), d["id"]
    dup = next(d for d in defects if d["id"] == "duplicate_school_code")
    assert _cell(DEFECTS, {**dup, "row": dup["first_row"]}) == dup["value"]
    schools = openpyxl.load_workbook(DEFECTS / sample.FILES["schools"]).active
    n_schools = schools.max_row - 3 - 1  # title, blank, header; minus the pasted duplicate
    assert 12 <= n_schools <= 18
