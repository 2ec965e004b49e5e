"""Trends and projections (analysis.projection) on small hand-made counties whose numbers are checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.evaluate import projection as proj
from analysis.evaluate.indicators import evaluate
from analysis.evaluate.variation import weighted_cv
from analysis.standards import load_profile

PROFILE = load_profile("national")


# ------------------------------------------------------------------------------------------------ factories


def school(code, name, stype="primary_school", urban="urban", primary=0, junior=0, town="甲镇", **over) -> dict:
    """A school row of the cleaned schools.csv layout, every indicator comfortably above the standard."""
    n = primary + junior
    row = dict(school_code=code, school_name=name, school_type=stype, urban_rural=urban, township=town,
               ownership="public", founded_year=2005, students_primary=primary, students_junior=junior,
               students_senior=0, land_area_m2=30.0 * n, teaching_rooms_m2=6.0 * primary + 7.0 * junior,
               indoor_sports_rooms_m2=0.0, sports_area_m2=9.0 * primary + 12.0 * junior,
               equipment_value_yuan=2600.0 * primary + 3000.0 * junior, multimedia_classrooms=0.03 * n,
               classes_primary=-(-primary // 50), classes_junior=-(-junior // 50), music_rooms=1, music_rooms_m2=96.0,
               music_rooms_m2_basis="per_room_min", art_rooms=1, art_rooms_m2=90.0, art_rooms_m2_basis="per_room_min")
    row.update(over)
    return row


def teacher(code, section, n, **over) -> dict:
    per = n / 100
    row = dict(school_code=code, section=section, teachers=7 * per, teachers_above_degree=6 * per,
               key_teachers=1.5 * per, pe_teachers=0.6 * per, music_teachers=0.3 * per, art_teachers=0.3 * per)
    row.update(over)
    return row


def grades(code, section, counts: dict[int, float]) -> list[dict]:
    return [dict(school_code=code, section=section, grade=g, class_no=1, students=n) for g, n in counts.items()]


def history_from(frames: dict[int, tuple[list, list, list]], profile=PROFILE) -> proj.History:
    """History of processed outputs from {year: (school rows, teacher rows, class rows)}; indicators computed
    with the real step-02 code."""
    hist = proj.History(years=sorted(frames), schools={}, teachers={}, school_indicators={})
    for y, (s_rows, t_rows, c_rows) in sorted(frames.items()):
        s, t = pd.DataFrame(s_rows), pd.DataFrame(t_rows)
        hist.schools[y], hist.teachers[y] = s, t
        if c_rows:
            hist.classes[y] = pd.DataFrame(c_rows)
        hist.school_indicators[y] = evaluate(s, t, profile)[0]
    return hist


def uniform_grades(code, section, n) -> list[dict]:
    first = 1 if section == "primary" else 7
    last = 6 if section == "primary" else 9
    k = last - first + 1
    return grades(code, section, {g: n / k for g in range(first, last + 1)})


def steady_county(years=(2021, 2022, 2023, 2024, 2025), rooms_step=0.0) -> proj.History:
    """Four schools with constant enrollment (every grade equal, transition rate 1, constant intake)."""
    frames = {}
    for i, y in enumerate(years):
        s = [school("1001", "城关小学", primary=600, teaching_rooms_m2=2800.0 + rooms_step * i),
             school("1002", "河东小学", urban="town", primary=300),
             school("2001", "城关中学", "junior_school", junior=450),
             school("3001", "新区九年制学校", "nine_year_school", "town", primary=240, junior=180)]
        t = [teacher("1001", "primary", 600), teacher("1002", "primary", 300), teacher("2001", "junior", 450),
             teacher("3001", "primary", 240), teacher("3001", "junior", 180)]
        c = (uniform_grades("1001", "primary", 600) + uniform_grades("1002", "primary", 300)
             + uniform_grades("2001", "junior", 450) + uniform_grades("3001", "primary", 240)
             + uniform_grades("3001", "junior", 180))
        frames[y] = (s, t, c)
    return history_from(frames)


# ------------------------------------------------------------------------------------------------ enrollment


def cohort_history() -> proj.History:
    """One school, grades 1–3 observed 2021–2023.

    Entrants 99 → 109 → 120, i.e. 1 + entrants grows by exactly 10% a year (100, 110, 121); every year grade 2 =
    0.9 × last year's grade 1 and grade 3 = 0.5 × last year's grade 2.
    """
    counts = {2021: {1: 99, 2: 80, 3: 60}, 2022: {1: 109, 2: 89.1, 3: 40}, 2023: {1: 120, 2: 98.1, 3: 44.55}}
    frames = {}
    for y, c in counts.items():
        n = sum(c.values())
        frames[y] = ([school("1001", "城关小学", primary=n)], [teacher("1001", "primary", n)],
                     grades("1001", "primary", c))
    return history_from(frames)


def test_cohort_projection_on_hand_made_cohort():
    hist = cohort_history()
    settings = proj.method_settings(PROFILE)
    draws = proj.draw_pairs(2, 2, settings)
    paths, rates = proj.project_enrollment(hist, [2024, 2025], draws, settings)
    # pooled rates: g1→g2 (89.1+98.1)/(99+109) = 0.9, g2→g3 (40+44.55)/(80+89.1) = 0.5; one school = the county
    assert rates["rate"].tolist() == pytest.approx([0.9, 0.5])
    assert rates["county_rate"].tolist() == pytest.approx([0.9, 0.5])
    assert rates["intake_share"].tolist() == [1.0, 1.0]
    # entrants grow 10% a year on 1 + n: 2024 121×1.1 − 1 = 132.1, g2 120×0.9 = 108, g3 98.1×0.5 = 49.05
    # → 289.15 → 289 whole pupils; 2025: 121×1.21 − 1 = 145.41, 132.1×0.9 = 118.89, 108×0.5 = 54 → 318.3 → 318
    assert paths.keys.to_dict("records") == [{"school_code": "1001", "section": "primary", "method": "cohort"}]
    assert paths.central[0].tolist() == [289.0, 318.0]
    # every observed year had the same rates and entrant growth, so no replicate can differ
    assert (paths.reps == paths.central[None]).all()


def test_cohort_is_scaled_to_the_school_table():
    hist = cohort_history()
    # the school table says twice the pupils of the class table in 2023: projections scale by 2
    hist.schools[2023].loc[0, "students_primary"] = 2 * 262.65
    settings = proj.method_settings(PROFILE)
    paths, _ = proj.project_enrollment(hist, [2024, 2025], proj.draw_pairs(2, 2, settings), settings)
    assert paths.central[0].tolist() == [578.0, 637.0]  # 578.3, 636.6


def test_entrants_are_the_county_trend_times_the_school_share():
    # A's entrants 50, 60, 70 and B's 50, 40, 30: the county stays at 100, A's mean share is 0.6, B's 0.4.
    # Each school's own trend would give A 80 and B 20; the share method gives 60 and 40.
    # Grade 2 is always last year's grade 1 (rate 1), so 2024's grade 2 is A 70, B 30.
    frames = {}
    for k, y in enumerate((2021, 2022, 2023)):
        a, b = 50 + 10 * k, 50 - 10 * k
        a2, b2 = (40, 60) if k == 0 else (a - 10, b + 10)
        s = [school("1001", "甲", primary=a + a2), school("1002", "乙", primary=b + b2)]
        t = [teacher("1001", "primary", a + a2), teacher("1002", "primary", b + b2)]
        c = grades("1001", "primary", {1: a, 2: a2}) + grades("1002", "primary", {1: b, 2: b2})
        frames[y] = (s, t, c)
    hist = history_from(frames)
    settings = proj.method_settings(PROFILE)
    paths, rates = proj.project_enrollment(hist, [2024], proj.draw_pairs(2, 1, settings), settings)
    assert rates["intake_share"].tolist() == pytest.approx([0.6, 0.4])
    assert rates["rate"].tolist() == pytest.approx([1.0, 1.0])
    assert paths.central[:, 0].tolist() == [70 + 60, 30 + 40]
    # a replicate takes the share of the drawn year: A 0.6 (2022) or 0.7 (2023) of the county's 100
    assert set(paths.reps[:, 0, 0]) == {130.0, 140.0}
    assert set(paths.reps[:, 1, 0]) == {70.0, 60.0}
    assert ((paths.reps[:, 0, 0] - 70) + (paths.reps[:, 1, 0] - 30) == 100).all()  # shares add up to 1


def test_transition_rate_is_shrunk_to_the_county_rate_for_a_small_school():
    frames = {}
    for y, (a, b) in {2021: ((200, 100), (20, 10)), 2022: ((200, 180), (20, 10))}.items():
        s = [school("1001", "大校", primary=sum(a)), school("1002", "小校", primary=sum(b))]
        t = [teacher("1001", "primary", sum(a)), teacher("1002", "primary", sum(b))]
        c = grades("1001", "primary", {1: a[0], 2: a[1]}) + grades("1002", "primary", {1: b[0], 2: b[1]})
        frames[y] = (s, t, c)
    hist = history_from(frames)
    settings = proj.method_settings(PROFILE) | {"shrinkage_students": 60}
    _, rates = proj.project_enrollment(hist, [2023], proj.draw_pairs(1, 1, settings), settings)
    rates = rates.set_index("school_code")
    county = (180 + 10) / (200 + 20)
    assert rates.loc["1002", "county_rate"] == pytest.approx(county)
    # small school: own rate 10/20 = 0.5 pulled towards the county: (10 + 60·county) / (20 + 60)
    assert rates.loc["1002", "rate"] == pytest.approx((10 + 60 * county) / 80)
    assert rates.loc["1001", "rate"] == pytest.approx((180 + 60 * county) / 260)


def test_trend_fallback_without_grade_data_follows_the_growth_rate():
    frames = {}
    for y, n in {2021: 120, 2022: 80, 2023: 40}.items():
        frames[y] = ([school("1001", "村小", primary=n)], [teacher("1001", "primary", n)], [])
    hist = history_from(frames)
    settings = proj.method_settings(PROFILE)
    paths, _ = proj.project_enrollment(hist, [2024, 2025], proj.draw_pairs(2, 2, settings), settings)
    assert paths.keys["method"].tolist() == ["trend"]
    # growth of 1 + n: (41/121)^(1/2) a year → 41×0.5821 − 1 = 22.87 → 23; 41×41/121 − 1 = 12.89 → 13
    # (a straight line, −40 a year, would reach 0 in 2024)
    assert paths.central[0].tolist() == [23.0, 13.0]
    assert paths.reps.min() >= 0


def test_intake_file_replaces_the_intake_trend():
    hist = cohort_history()
    settings = proj.method_settings(PROFILE)
    intake = pd.DataFrame({"school_code": ["1001"], "section": ["primary"], "year": [2024], "students": [50.0]})
    paths, _ = proj.project_enrollment(hist, [2024, 2025], proj.draw_pairs(2, 2, settings), settings,
                                       intake=intake)
    # 2024: 50 + 108 + 49.05 = 207.05 → 207; 2025: trend entrants 145.41 + 50×0.9 + 108×0.5 = 244.41 → 244
    assert paths.central[0].tolist() == [207.0, 244.0]
    assert paths.keys["method"].tolist() == ["cohort+intake"]


# ------------------------------------------------------------------------------------------------ stocks


def test_stock_growing_by_a_known_amount_lands_where_arithmetic_says():
    hist = steady_county(rooms_step=100.0)  # 1001 rooms 2800, 2900, … 3200 in 2025
    result = proj.project(hist, PROFILE)
    assert result.years == [2026, 2027, 2028]
    c = result.central.set_index(["school_code", "section", "year"])
    # +100 m² a year → 3500 m² in 2028; 600 pupils unchanged → R4 = 3500 / 600
    assert c.loc[("1001", "primary", 2028), "teaching_rooms_m2"] == pytest.approx(3500.0)
    assert c.loc[("1001", "primary", 2028), "students"] == 600
    rows = result.frame()
    r4 = rows[(rows["school_code"] == "1001") & (rows["indicator"] == "R4")].set_index("year")
    assert r4.loc[2028, "value"] == pytest.approx(3500 / 600)
    assert r4.loc[2028, "threshold"] == 4.5
    # the same change every year: the band collapses on the central value (no invented spread)
    assert r4.loc[2028, "low"] == pytest.approx(r4.loc[2028, "value"])
    assert r4.loc[2028, "high"] == pytest.approx(r4.loc[2028, "value"])
    assert r4.loc[2025, "status"] == "observed" and np.isnan(r4.loc[2025, "low"])


def test_compound_growth_rate_is_projected_as_its_mean_annual_change():
    # equipment grows 10% a year from 1,000,000: the projection continues the mean annual change
    values = np.array([[1_000_000 * 1.1**k for k in range(5)]])
    years = [2021, 2022, 2023, 2024, 2025]
    central, reps = proj.trend_paths(values, years, np.zeros((3, 3), dtype=int))
    slope = (values[0, -1] - values[0, 0]) / 4
    assert central[0].tolist() == pytest.approx([values[0, -1] + h * slope for h in (1, 2, 3)])
    # replicate drawing pair 0 (2021→2022, +100,000) every year: 1,464,100 + 100,000 h
    assert reps[0, 0].tolist() == pytest.approx([1_464_100 + 100_000 * h for h in (1, 2, 3)])


def test_planned_investment_replaces_the_trend():
    hist = steady_county(rooms_step=100.0)
    plan = pd.DataFrame({"school_code": ["1001"], "section": [""], "year": [2027], "field": ["teaching_rooms_m2"],
                         "kind": ["facility"], "amount": [500.0]})
    result = proj.project(hist, PROFILE, planned=plan)
    c = result.central.set_index(["school_code", "section", "year"])["teaching_rooms_m2"]
    assert [c[("1001", "primary", y)] for y in (2026, 2027, 2028)] == pytest.approx([3200, 3700, 3700])


def test_bootstrap_band_is_deterministic_and_contains_the_central_value():
    hist = steady_county()
    for k, y in enumerate(hist.years):  # irregular growth of 1001's equipment: +0, +300k, +0, +100k
        hist.schools[y].loc[0, "equipment_value_yuan"] = [1.6e6, 1.6e6, 1.9e6, 1.9e6, 2.0e6][k]
        hist.school_indicators[y] = evaluate(hist.schools[y], hist.teachers[y], PROFILE)[0]
    a = proj.project(hist, PROFILE).frame()
    b = proj.project(hist, PROFILE).frame()
    pd.testing.assert_frame_equal(a, b)
    r6 = a[(a["school_code"] == "1001") & (a["indicator"] == "R6") & (a["year"] == 2028)].iloc[0]
    # central: 2.0e6 + 3 × 100k mean change → 2.3e6 / 600 pupils
    assert r6["value"] == pytest.approx(2.3e6 / 600)
    assert r6["low"] < r6["value"] < r6["high"]
    # the band lies within what three draws of {0, 300k, 0, 100k} can give
    assert r6["low"] >= 2.0e6 / 600 - 1e-9 and r6["high"] <= 2.9e6 / 600 + 1e-9


# ------------------------------------------------------------------------------------------------ CV


def with_growing_school(hist: proj.History, step: int) -> proj.History:
    """1002's intake rises by ``step`` a year (50 in 2021) and cohorts move up intact; its stocks stay those of a
    300-pupil school, its classes hold 50 pupils. Grade g in year k = 50 + step·(k − g + 1) (at least 50)."""
    for k, y in enumerate(hist.years):
        counts = {g: 50 + step * max(k - g + 1, 0) for g in range(1, 7)}
        c = hist.classes[y]
        hist.classes[y] = pd.concat([c[c["school_code"] != "1002"], pd.DataFrame(grades("1002", "primary", counts))],
                                    ignore_index=True)
        hist.schools[y].loc[1, "students_primary"] = sum(counts.values())
        hist.schools[y].loc[1, "classes_primary"] = -(-sum(counts.values()) // 50)
        hist.school_indicators[y] = evaluate(hist.schools[y], hist.teachers[y], PROFILE)[0]
    return hist


def test_cv_is_computed_from_projected_school_values():
    hist = with_growing_school(steady_county(), 60)  # 1002: 900 pupils in 2025, intake +60 a year
    result = proj.project(hist, PROFILE)
    rows = result.frame()
    for y in result.years:
        part = result.central[(result.central["year"] == y) & (result.central["section"] == "primary")]
        x, n = part["R4"].to_numpy(), part["students"].to_numpy()
        mean = (n * x).sum() / n.sum()
        by_hand = np.sqrt((n / n.sum() * (x - mean) ** 2).sum()) / mean
        row = rows[(rows["level"] == "county") & (rows["section"] == "primary") & (rows["indicator"] == "R4_cv")
                   & (rows["year"] == y)].iloc[0]
        assert row["value"] == pytest.approx(by_hand)
        assert row["value"] == pytest.approx(weighted_cv(x, n))
        assert row["threshold"] == 0.5
    # 1002's students follow the cohort (rate 1): 2028 = 2025's grades 1–3 (290, 230, 170) moved up + three
    # years of entrants = county entrants (190 + 60k: 1001 100, 3001 40, 1002 50 + 60k) × 1002's mean share
    growth = (431 / 191) ** (1 / 4)  # on 1 + n, 2021 → 2025
    share = np.mean([(50 + 60 * k) / (190 + 60 * k) for k in range(5)])
    entrants = [(431 * growth**h - 1) * share for h in (1, 2, 3)]
    c = result.central.set_index(["school_code", "section", "year"])
    assert c.loc[("1002", "primary", 2028), "students"] == np.rint(290 + 230 + 170 + sum(entrants))
    # its R4 falls further below the others as the same rooms serve more pupils: the CV keeps rising
    cvs = rows[(rows["level"] == "county") & (rows["section"] == "primary") & (rows["indicator"] == "R4_cv")
               & (rows["year"] >= 2025)]
    assert cvs["value"].is_monotonic_increasing and cvs["value"].iloc[-1] > 0.5


# ------------------------------------------------------------------------------------------------ status


@pytest.mark.parametrize(
    ("low", "high", "comparator", "expected"),
    [
        (4.2, 5.0, ">=", "on_track"),      # low exactly on the standard still passes (以上 includes it)
        (4.19, 5.0, ">=", "at_risk"),
        (4.0, 4.2, ">=", "at_risk"),       # high exactly on the standard
        (4.0, 4.19, ">=", "off_track"),
        (0.3, 0.5, "<=", "on_track"),      # CV high exactly on the limit (小于或等于)
        (0.5, 0.6, "<=", "at_risk"),
        (0.51, 0.6, "<=", "off_track"),
        (0.3, 0.5, "<", "at_risk"),        # 003 "低于": the limit itself fails
        (0.5, 0.6, "<", "off_track"),
    ],
)
def test_status_at_the_boundaries(low, high, comparator, expected):
    threshold = 4.2 if comparator == ">=" else 0.5
    value = (low + high) / 2
    assert proj.band_status([low], [high], [value], [threshold], comparator)[0] == expected


def test_status_without_threshold_or_band():
    assert proj.band_status([np.nan], [np.nan], [5.0], [4.2], ">=")[0] == "on_track"  # no band: central value
    assert proj.band_status([1.0], [2.0], [1.5], [np.nan], ">=")[0] == ""
    assert proj.band_status([1.0], [2.0], [1.5], [1.0], "")[0] == ""


def test_float_noise_on_the_standard_counts_as_met_for_school_values():
    v = 21 * 100 / 500 * (1 - 1e-12)  # 4.2 with a representation error
    assert proj.band_status([v], [v], [v], [4.2], ">=", 1e-9)[0] == "on_track"
    assert proj.band_status([v], [v], [v], [4.2], ">=")[0] == "off_track"


def test_reach_year():
    years = [2025, 2026, 2027, 2028]
    assert proj.reach_year(years, [3.9, 4.1, 4.2, 4.4], 4.2, ">=") == 2027
    assert proj.reach_year(years, [4.3, 4.1, 4.2, 4.4], 4.2, ">=") == 2027   # must stay passing to the end
    assert proj.reach_year(years, [4.3, 4.3, 4.3, 4.3], 4.2, ">=") == 2025
    assert np.isnan(proj.reach_year(years, [4.3, 4.3, 4.3, 4.1], 4.2, ">="))
    assert proj.reach_year(years, [0.6, 0.55, 0.5, 0.4], 0.5, "<=") == 2027


def test_milestone_status_per_indicator_and_school():
    hist = steady_county(rooms_step=-150.0)  # 1001 loses 150 m² a year: 2200 m² in 2025, R4 2200/600 < 4.5
    result = proj.project(hist, PROFILE)
    status = proj.milestone_status(result)
    assert sorted(status["milestone_year"].unique()) == [2026, 2027, 2028]
    r4 = status[(status["school_code"] == "1001") & (status["indicator"] == "R4")].set_index("milestone_year")
    assert (r4["status"] == "off_track").all()
    assert r4["reach_year"].isna().all()
    r1 = status[(status["school_code"] == "1001") & (status["indicator"] == "R1")].set_index("milestone_year")
    assert (r1["status"] == "on_track").all() and (r1["reach_year"] == 2025).all()
    cv = status[(status["level"] == "county") & (status["indicator"] == "R1_cv")]
    assert set(cv["section"]) == {"primary", "junior"} and (cv["status"] == "on_track").all()
    table = proj.milestone_table(status, 2025)
    assert {"2026年", "2027年", "2028年", "预计达标年份"} <= set(table.columns)


# ------------------------------------------------------------------------------------------------ schools across years


def test_schools_opening_closing_and_merging_across_years():
    years = [2021, 2022, 2023, 2024]
    frames = {}
    for y in years:
        s = [school("1001", "城关小学", primary=600, town="甲镇")]
        if y <= 2022:
            s.append(school("1002", "甲村小学", urban="rural", primary=120, town="甲镇"))   # merged into 1001
            s.append(school("1003", "乙村小学", urban="rural", primary=80, town="乙镇"))    # closed, pupils elsewhere
        if y >= 2023:
            s[0] = school("1001", "城关小学", primary=720, town="甲镇")
            s.append(school("1004", "新区小学", primary=400, town="丙镇"))                  # opened
        if y in (2021, 2023, 2024):
            s.append(school("1005", "丁村小学", urban="rural", primary=60, town="丁镇"))    # missing 2022
        t = [teacher(r["school_code"], "primary", r["students_primary"]) for r in s]
        frames[y] = (s, t, [])
    hist = history_from(frames)
    changes = proj.school_changes(hist.schools, 0.5).set_index("school_code")
    assert changes.loc["1001", "status"] == "continuing"
    assert changes.loc["1002", "status"] == "merged"
    assert changes.loc["1002", "merged_into"] == "1001" and changes.loc["1002", "merge_year"] == 2023
    assert changes.loc["1003", "status"] == "closed" and changes.loc["1003", "merged_into"] == ""
    assert changes.loc["1004", "status"] == "opened" and changes.loc["1004", "first_year"] == 2023
    assert changes.loc["1005", "status"] == "intermittent" and changes.loc["1005", "years_present"] == "2021,2023,2024"
    assert proj.structural_breaks(changes.reset_index()) == {("1001", 2023)}

    result = proj.project(hist, PROFILE)
    projected = set(result.central["school_code"])
    assert projected == {"1001", "1004", "1005"}  # closed schools are not projected
    c = result.central.set_index(["school_code", "year"])
    # 1001 jumped 600 → 720 at the merge: not a trend, its enrollment stays 720
    assert c.loc[("1001", 2027), "students"] == 720
    # the opened school has two years without change: constant
    assert c.loc[("1004", 2027), "students"] == 400


def test_fewer_than_three_years_gives_observed_rows_and_a_note():
    hist = steady_county(years=(2024, 2025))
    result = proj.project(hist, PROFILE)
    assert result.central is None and result.notes and "至少需要3年" in result.notes[0]
    frame = result.frame()
    assert list(frame.columns) == proj.PROJECTION_COLUMNS
    assert set(frame["year"]) == {2024, 2025} and set(frame["status"]) == {"observed"}
    assert proj.milestone_status(result).empty
    assert proj.falling_out(result, hist.school_indicators[2025]).empty


def test_falling_out_because_enrollment_grows():
    hist = steady_county()
    # 1002: entrants 50, 60, … 90 (2021–2025) and every cohort moves up intact (grade g in year k = 50 + 10·(k−g+1)),
    # so 400 pupils in 2025 (90, 80, 70, 60, 50, 50). Its stocks stay those of a 400-pupil school: 1840 m² rooms
    # (4.6 each), 4.2 key teachers (1.05 per 100).
    for k, y in enumerate(hist.years):
        counts = {g: 50 + 10 * max(k - g + 1, 0) for g in range(1, 7)}
        c = hist.classes[y]
        hist.classes[y] = pd.concat([c[c["school_code"] != "1002"], pd.DataFrame(grades("1002", "primary", counts))],
                                    ignore_index=True)
        row = school("1002", "河东小学", urban="town", primary=400, teaching_rooms_m2=1840.0)
        row["students_primary"] = sum(counts.values())
        hist.schools[y].loc[1] = pd.Series(row)
        t = hist.teachers[y]
        t.loc[1] = pd.Series(teacher("1002", "primary", 400, key_teachers=4.2))
        hist.school_indicators[y] = evaluate(hist.schools[y], t, PROFILE)[0]
    base = hist.school_indicators[2025].set_index("school_code")
    assert base.loc["1002", "students"] == 400 and bool(base.loc["1002", "school_pass"])
    result = proj.project(hist, PROFILE)
    out = proj.falling_out(result, hist.school_indicators[2025])
    rows = out[out["school_code"] == "1002"].set_index("milestone_year")
    # entrants = county entrants (1001 100 + 3001 40 + 1002's: 190 … 230, growth on 1 + n) × 1002's mean share
    growth = (231 / 191) ** (1 / 4)
    share = np.mean([(50 + 10 * k) / (190 + 10 * k) for k in range(5)])
    e = [(231 * growth**h - 1) * share for h in (1, 2, 3)]
    expected = [e[0] + 90 + 80 + 70 + 60 + 50, e[1] + e[0] + 90 + 80 + 70 + 60, e[2] + e[1] + e[0] + 90 + 80 + 70]
    assert rows["students_projected"].tolist() == np.rint(expected).tolist()  # 430, 463, 491
    # 2026: R4 = 1840/430 = 4.28 < 4.5 and R2 = 4.2/430×100 = 0.98 < 1 → two misses, the school rule fails
    assert rows.loc[2026, "newly_missed"] == "R2;R4"
    assert bool(rows.loc[2026, "fails_central"])
    assert set(out["school_code"]) == {"1002"}  # the other schools keep their enrollment and pass


# ------------------------------------------------------------------------------------------------ targets


def test_target_scopes_and_shares():
    values = pd.DataFrame({
        "school_code": ["a", "b", "c", "d", "e"],
        "school_type": ["primary_school", "primary_school", "teaching_point", "junior_school", "primary_school"],
        "urban_rural": ["urban", "town", "rural", "rural", "rural"],
        "R4": [5.0, 4.0, 4.6, 6.0, 4.5], "R4_std": [4.5, 4.5, 4.5, 5.8, 4.5],
        "R5": [8.0, 8.0, 7.0, 11.0, 7.5], "R5_std": [7.5, 7.5, 7.5, 10.2, 7.5],
    })
    assert proj.scope_mask(values, "乡镇法人学校").tolist() == [False, True, False, True, True]
    assert proj.scope_mask(values, "城区学校").tolist() == [True, False, False, False, False]
    assert proj.scope_mask(values, "50人以上教学点").tolist() == [False, False, True, False, False]
    assert proj.compliant_share(values, ["R4"], "全部").iloc[0]["share"] == pytest.approx(4 / 5)
    # R4+R5 in township schools: b fails R4, d and e meet both → 2/3
    assert proj.target_indicators("R4+R5") == ["R4", "R5"]
    assert proj.compliant_share(values, ["R4", "R5"], "乡镇法人学校").iloc[0]["share"] == pytest.approx(2 / 3)
    # 003 "达标学校比例" counts schools: a nine-year school meets when both its sections do, with and without ``by``
    nine = pd.DataFrame({"school_code": ["n", "n", "p"], "school_type": ["nine_year_school"] * 2 + ["primary_school"],
                         "urban_rural": ["town"] * 3, "R4": [5.0, 4.0, 5.0], "R4_std": [4.5] * 3, "scenario": [0] * 3})
    assert proj.compliant_share(nine, ["R4"], "全部").iloc[0][["share", "n_schools"]].tolist() == [0.5, 2]
    assert proj.compliant_share(nine, ["R4"], "全部", by=("scenario",)).iloc[0][["share", "n_schools"]].tolist() == [
        0.5, 2]
    with pytest.raises(ValueError, match="unknown scope"):
        proj.scope_mask(values, "山区学校")


def test_target_comparison_observed_and_projected():
    hist = steady_county(rooms_step=-150.0)
    targets = pd.DataFrame({"indicator": ["R4", "R4", "R4", "G3"], "scope": ["全部", "全部", "城区学校", "全部"],
                            "year": [2024, 2028, 2028, 2026], "target_share": [0.75, 1.0, 1.0, 1.0]})
    result = proj.project(hist, PROFILE)
    comp = proj.target_comparison(targets, hist, result, PROFILE).set_index(["indicator", "scope", "year"])
    # 2024: 1001 has 2350 m² for 600 pupils (3.9 < 4.5); 3 of 4 schools meet R4 (the nine-year school 3001 counts
    # once, 003 "达标学校比例") → 0.75 ≥ 0.75
    assert comp.loc[("R4", "全部", 2024), "kind"] == "observed"
    assert comp.loc[("R4", "全部", 2024), ["share", "n_schools"]].tolist() == [pytest.approx(0.75), 4]
    assert comp.loc[("R4", "全部", 2024), "status"] == "met"
    assert comp.loc[("R4", "全部", 2028), "kind"] == "projected"
    assert comp.loc[("R4", "全部", 2028), "status"] == "off_track"
    # urban schools: 1001 (fails) and 2001 (meets) → 0.5
    assert comp.loc[("R4", "城区学校", 2028), "share"] == pytest.approx(0.5)
    # every school has one music and one art room of full size for at most 12 classes: G3 met throughout
    assert comp.loc[("G3", "全部", 2026), "kind"] == "projected"
    assert comp.loc[("G3", "全部", 2026), "share"] == 1.0 and comp.loc[("G3", "全部", 2026), "status"] == "on_track"


def test_g3_share_falls_when_a_school_outgrows_its_music_and_art_rooms():
    hist = with_growing_school(steady_county(), 20)  # 1002: 500 pupils (10 classes) in 2025, growing
    for y in hist.years:  # only 1002 reports grades: the county's entrants are its own (the others stay constant)
        hist.classes[y] = hist.classes[y][hist.classes[y]["school_code"] == "1002"]
    result = proj.project(hist, PROFILE)
    rows = result.frame()
    g3 = rows[(rows["level"] == "county") & (rows["indicator"] == "G3_share")].set_index("year")
    assert g3.loc[2025, "value"] == 1.0 and g3.loc[2025, "status"] == "observed" and g3.loc[2025, "threshold"] == 1
    flags = result.rule_flags[(result.rule_flags["scenario"] == -1)].set_index(["school_code", "year"])
    central = result.central.set_index(["school_code", "year"])
    for y in result.years:
        n = central.loc[("1002", y), "students"]
        # classes follow the pupils at 50 a class; more than 12 classes need a second room of each kind
        assert flags.loc[("1002", y), "G3"] == float(-(-n // 50) <= 12)
    assert n > 600 and g3.loc[2028, "value"] == pytest.approx(3 / 4) and g3.loc[2028, "status"] == "off_track"


def test_g4_school_size_projection_and_target():
    hist = steady_county()
    for k, y in enumerate(hist.years):  # 1001 without class data: 1800, 1850, … 2000 pupils (the cap is 2000)
        hist.schools[y].loc[0, "students_primary"] = 1800 + 50 * k
        hist.classes[y] = hist.classes[y][hist.classes[y]["school_code"] != "1001"]
        hist.school_indicators[y] = evaluate(hist.schools[y], hist.teachers[y], PROFILE)[0]
    result = proj.project(hist, PROFILE)
    rows = result.frame()
    g4 = rows[(rows["level"] == "county") & (rows["indicator"] == "G4_share")].set_index("year")
    assert g4.loc[2025, "value"] == 1.0  # 2000 ≤ 2000 (不超过)
    # growth of 1 + n: 2001 × (2001/1801)^(1/4) − 1 = 2053.7 > 2000 → 3 of 4 schools within the cap
    assert g4.loc[2026, "value"] == pytest.approx(3 / 4) and g4.loc[2026, "status"] == "off_track"
    targets = pd.DataFrame({"indicator": ["G4", "G4", "G5"], "scope": ["全部", "城区学校", "全部"],
                            "year": [2028, 2028, 2027], "target_share": [1.0, 1.0, 1.0]})
    comp = proj.target_comparison(targets, hist, result, PROFILE).set_index(["indicator", "scope"])
    assert comp.loc[("G4", "全部"), "share"] == pytest.approx(3 / 4)
    assert comp.loc[("G4", "城区学校"), "share"] == pytest.approx(1 / 2)  # 1001 and 2001 are urban
    assert comp.loc[("G4", "全部"), "status"] == "off_track"
    assert "G5" in comp.loc[("G5", "全部"), "note"] and comp.loc[("G5", "全部"), "kind"] == ""


# ------------------------------------------------------------------------------------------------ optional inputs


def test_planned_investment_and_intake_are_read_and_validated_like_any_input(tmp_path):
    from rawfactory import make_county, school_row, teacher_row

    from analysis.data.cleaning import clean_folder

    make_county(tmp_path, schools=[school_row("5001000001", "一小", primary=500)],
                teachers=[teacher_row("5001000001", n=500)])
    plan = tmp_path / "规划投入.csv"
    plan.write_text("学校标识码,学段,年份,项目,数量\n5001000001,,2027,教学及辅助用房面积,500\n"
                    "5001000001,小学,2026,key_teachers,2\n5001000001,,2027,rooms,5\n"
                    "5001000001,,2026,县级及以上骨干教师数,1\n", encoding="utf-8")
    (tmp_path / "intake.csv").write_text("school_code,section,year,students\n5001000001,小学,2026,95\n"
                                         "5001000001,primary,2027,x\n", encoding="utf-8")
    found = clean_folder(tmp_path).issues
    errors = {(r.file, r.row, r.column) for r in found.itertuples() if r.severity == "error"}
    assert errors == {("规划投入.csv", 4, "项目"), ("规划投入.csv", 5, "学段"), ("intake.csv", 3, "students")}

    plan.write_text("学校标识码,学段,年份,项目,数量\n5001000001,,2027,教学及辅助用房面积,500\n"
                    "5001000001,小学,2026,key_teachers,2\n", encoding="utf-8")
    (tmp_path / "intake.csv").write_text("school_code,section,year,students\n5001000001,小学,2026,95\n",
                                         encoding="utf-8")
    result = clean_folder(tmp_path)
    assert not result.has_errors
    out = proj.planned_investment(result.tables["planned_investment"], PROFILE)
    assert out[["field", "kind", "section", "amount"]].to_dict("records") == [
        {"field": "teaching_rooms_m2", "kind": "facility", "section": "", "amount": 500.0},
        {"field": "key_teachers", "kind": "teacher", "section": "primary", "amount": 2.0}]
    assert proj.intake_forecast(result.tables["intake"]).to_dict("records") == [
        {"school_code": "5001000001", "section": "primary", "year": 2026, "students": 95.0}]
    assert proj.planned_investment(None, PROFILE) is None and proj.intake_forecast(None) is None


def test_read_history_and_contract_columns(tmp_path):
    from analysis.data import files

    hist = steady_county(years=(2023, 2024, 2025))
    folders = {}
    for y in hist.years:
        folders[y] = tmp_path / str(y)
        files.write_csv(hist.schools[y], folders[y] / "schools.csv")
        files.write_csv(hist.teachers[y], folders[y] / "teachers.csv")
        files.write_csv(hist.classes[y], folders[y] / "classes.csv")
        files.write_csv(hist.school_indicators[y], folders[y] / "school_indicators.csv")
    files.write_csv(pd.DataFrame({"indicator": ["R4"], "scope": ["全部"], "year": [2026], "target_share": [1.0]}),
                 folders[2024] / "targets.csv")
    def load_history(name):  # ctx.load_history over these folders
        return {y: files.read_csv(f / f"{name}.csv") for y, f in folders.items() if (f / f"{name}.csv").exists()}

    read = proj.read_history(load_history)
    assert read.years == [2023, 2024, 2025] and read.targets_year == 2024
    assert read.schools[2025]["school_code"].tolist() == ["1001", "1002", "2001", "3001"]
    frame = proj.project(read, PROFILE).frame()
    assert list(frame.columns) == proj.PROJECTION_COLUMNS
    assert set(frame["level"]) == {"county", "school"}
    assert set(frame.loc[frame["year"] > 2025, "status"]) <= {"on_track", "at_risk", "off_track", ""}
    (folders[2023] / "teachers.csv").unlink()
    with pytest.raises(FileNotFoundError, match="2023 年缺少 teachers"):
        proj.read_history(load_history)


def test_county_items_are_projected_and_school_value_copies_are_not():
    hist = steady_county()
    for k, y in enumerate(hist.years):
        hist.items[y] = pd.DataFrame({
            "item_id": ["Q1", "G11_rotation", "CV_primary_R1", "G3", "V1"],
            "area": ["quality", "guarantee", "resource_cv", "guarantee", "veto"],
            "name_zh": ["巩固率", "交流轮岗比例", "小学R1差异系数", "音乐美术教室", "以考试方式招生"],
            "value": [str(0.93 + 0.01 * k), "12%", "0.2", "3", "否"],
            "threshold": ["0.95", "0.1", "0.5", "0", "否"],
            "comparator": [">=", ">=", "<=", "<=", "="],
        })
    rows = proj.project(hist, PROFILE).frame()
    items = rows[(rows["level"] == "county") & (rows["section"] == "")]
    # no CV copy, no G3 count, no yes/no item; G3–G5 shares come from the schools (G5 past years only)
    assert set(items["indicator"]) == {"Q1", "G11_rotation", "G3_share", "G4_share", "G5_share"}
    assert items.loc[items["indicator"] == "G5_share", "year"].max() == 2025
    q1 = items[items["indicator"] == "Q1"].set_index("year")
    # +0.01 a year from 0.97: 0.98, 0.99, then 1.00; a rate (values and threshold within 0–1) never exceeds 1
    assert q1.loc[[2026, 2027, 2028], "value"].tolist() == pytest.approx([0.98, 0.99, 1.0])
    assert (q1.loc[[2026, 2027, 2028], "high"] <= 1).all()
    assert q1.loc[2025, "status"] == "observed" and q1.loc[2024, "value"] == pytest.approx(0.96)
    assert (q1.loc[[2026, 2027, 2028], "status"] == "on_track").all()
    rot = items[items["indicator"] == "G11_rotation"].set_index("year")
    assert rot.loc[2028, "value"] == pytest.approx(0.12) and rot.loc[2028, "low"] == rot.loc[2028, "high"]


# ------------------------------------------------------------------------------------------------ same numbers
# The projection computes on whole columns what a plain groupby or loop would give; these pin the equality down.


def irregular_county() -> proj.History:
    """steady_county with irregular stock changes, so that replicates differ and bands have width."""
    hist = steady_county()
    for k, y in enumerate(hist.years):
        hist.schools[y].loc[0, "equipment_value_yuan"] = [1.6e6, 1.6e6, 1.9e6, 1.9e6, 2.0e6][k]
        hist.schools[y].loc[3, "teaching_rooms_m2"] = [2900.0, 2600.0, 2750.0, 2500.0, 2650.0][k]
        hist.teachers[y].loc[1, "key_teachers"] = [3.0, 2.6, 3.4, 2.9, 3.1][k]
        hist.school_indicators[y] = evaluate(hist.schools[y], hist.teachers[y], PROFILE)[0]
    return hist


def test_stacked_rows_decode_to_their_school_year_and_scenario():
    from analysis.evaluate.projection.scenario import _decode

    codes, years, n_scenarios = pd.Series(["7", "1002", "50012345678"]), [2026, 2027], 3
    # the stacked table's rows go year by year, scenario by scenario, school by school
    row = {(c, y, s): (h * n_scenarios + s) * len(codes) + i for h, y in enumerate(years)
           for s in range(n_scenarios) for i, c in enumerate(codes)}
    picked = [("50012345678", 2027, 2), ("7", 2026, 0), ("1002", 2026, 1), ("7", 2027, 0)]  # any order, any subset
    frame = pd.DataFrame({"school_code": [row[p] for p in picked], "x": range(4)})
    out = _decode(frame, codes, years, n_scenarios)
    assert list(map(tuple, out[["school_code", "year", "scenario"]].values.tolist())) == picked
    assert out["x"].tolist() == [0, 1, 2, 3]


def test_school_band_equals_a_groupby_of_the_long_school_rows():
    from analysis.evaluate.projection.scenario import _band, _school_band

    result = proj.project(irregular_county(), PROFILE)
    settings = proj.method_settings(PROFILE)
    keys = ["school_code", "section", "indicator", "year"]
    fast = _school_band(result.replicates, PROFILE, settings).sort_values(keys).reset_index(drop=True)
    long = proj.school_rows(result.replicates, PROFILE, extra=("scenario",))
    plain = _band(long, keys, ["value"], settings).sort_values(keys).reset_index(drop=True)
    assert (fast["value_high"] > fast["value_low"]).any()
    pd.testing.assert_frame_equal(fast[plain.columns], plain, check_exact=True, check_dtype=False,
                                  check_categorical=False)


def test_milestone_status_follows_each_series_reach_year_and_base_value():
    hist = irregular_county()
    for k, y in enumerate(hist.years):  # R4: 1001 reaches the standard in 2026, 2001 falls ever further below
        hist.schools[y].loc[0, "teaching_rooms_m2"] = 2000.0 + 150 * k  # 2600 m² / 600 in 2025, 2750 in 2026
        hist.schools[y].loc[2, "teaching_rooms_m2"] = 3300.0 - 300 * k
        hist.school_indicators[y] = evaluate(hist.schools[y], hist.teachers[y], PROFILE)[0]
    result = proj.project(hist, PROFILE)
    status = proj.milestone_status(result)
    rows = result.rows[(result.rows["comparator"] != "") & result.rows["threshold"].notna()
                       & (result.rows["year"] >= result.base_year)]
    keys = ["level", "school_code", "section", "indicator"]
    per_series = dict(tuple(status.groupby(keys, sort=False)))
    for key, part in rows.groupby(keys, sort=False):
        part = part.sort_values("year")
        at = [m["year"] for m in result.milestones if m["year"] in set(part["year"])]
        if not at:  # observed only (G5_share): no milestone rows
            assert key not in per_series
            continue
        mine = per_series.pop(key)
        expected = proj.reach_year(part["year"], part["value"], part["threshold"].iloc[-1],
                                   part["comparator"].iloc[-1], 1e-9 if key[0] == "school" else 0.0)
        assert mine["milestone_year"].tolist() == at
        assert np.array_equal(mine["reach_year"].to_numpy(), np.full(len(mine), expected), equal_nan=True)
        assert (mine["base_value"] == part.loc[part["year"] == result.base_year, "value"].iloc[0]).all()
    assert not per_series and {2025.0, 2026.0} <= set(status["reach_year"])
    assert status["reach_year"].isna().any()


def test_target_shares_equal_a_groupby_per_school_and_replicate():
    rng = np.random.default_rng(7)
    kinds = ["primary_school", "nine_year_school", "teaching_point"]
    schools = pd.DataFrame({"school_code": [f"{i}" for i in range(40)], "school_type": rng.choice(kinds, 40),
                            "urban_rural": rng.choice(["urban", "town", "rural"], 40)})
    sections = schools.loc[schools.index.repeat(np.where(schools["school_type"] == "nine_year_school", 2, 1))]
    values = pd.concat([sections.assign(scenario=b) for b in range(6)], ignore_index=True)
    values["R4"], values["R4_std"] = rng.normal(4.6, 0.3, len(values)), 4.5
    values["R5"], values["R5_std"] = rng.normal(7.8, 0.5, len(values)), 7.5
    for scope in proj.SCOPES:
        for inds in (["R4"], ["R4", "R5"]):
            inside = proj.scope_mask(values, scope)
            met = values.loc[inside].assign(met=np.logical_and.reduce(
                [values.loc[inside, i] >= values.loc[inside, f"{i}_std"] for i in inds]))
            per_school = met.groupby(["school_code", "scenario"], sort=False)["met"].all().groupby("scenario")
            fast = proj.compliant_share(values, inds, scope, by=("scenario",)).set_index("scenario")
            assert fast["share"].tolist() == per_school.mean().reindex(fast.index).tolist()
            assert fast["n_schools"].tolist() == per_school.size().reindex(fast.index).tolist()
            one = proj.compliant_share(values[values["scenario"] == 0], inds, scope).iloc[0]
            assert one["share"] == fast.loc[0, "share"] and one["n_schools"] == fast.loc[0, "n_schools"]


def test_county_measures_of_several_years_at_once_equal_year_by_year():
    hist = irregular_county()
    both = pd.concat([si.assign(year=y) for y, si in hist.school_indicators.items()], ignore_index=True)
    at_once = proj.county_measures(both, PROFILE, by=("year",)).set_index(["year", "section", "indicator"])
    for y, si in hist.school_indicators.items():
        alone = proj.county_measures(si, PROFILE).set_index(["section", "indicator"])
        pd.testing.assert_frame_equal(at_once.loc[y].loc[alone.index], alone, check_exact=True)
