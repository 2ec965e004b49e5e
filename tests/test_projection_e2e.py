"""Step 05 inside the whole pipeline on the sample county (shared ``sample_run`` session fixture)."""

import numpy as np
import pandas as pd
import pytest

from analysis.data import files
from analysis.evaluate.projection import PROJECTION_COLUMNS
from analysis.standards import load_profile

pytestmark = pytest.mark.slow

# 000 四 (chongqing, the sample county's profile): 2026 市级, 2027 国家, then "接受国家连续3年的复查与动态监测" 2028–2030
MILESTONE_YEARS = {2026, 2027, 2028, 2029, 2030}


def _folder(sample_run, year):
    return sample_run["processed_root"] / "sample" / str(year)


def test_projection_contract_for_the_last_year(sample_run):
    profile = load_profile("chongqing")
    rows = files.read_csv(_folder(sample_run, 2025) / "projection.csv")
    assert list(rows.columns) == PROJECTION_COLUMNS
    assert set(rows["level"]) == {"county", "school"}
    assert {int(m["year"]) for m in profile["milestones"] if m["year"] > 2025} == MILESTONE_YEARS
    assert set(rows["year"]) == set(range(2023, max(MILESTONE_YEARS) + 1))  # conftest.SAMPLE_YEARS
    past, future = rows[rows["year"] <= 2025], rows[rows["year"] > 2025]
    assert (past["status"] == "observed").all() and past["low"].isna().all()
    assert set(future["status"].fillna("")) <= {"on_track", "at_risk", "off_track", ""}
    assert (future["low"] <= future["value"] + 1e-12).all() and (future["value"] <= future["high"] + 1e-12).all()
    cv = future[(future["level"] == "county") & future["indicator"].str.endswith("_cv")]
    assert len(cv) == len(range(2026, max(MILESTONE_YEARS) + 1)) * 2 * len(profile["resources"])  # years × sections
    assert (cv["threshold"] == cv["section"].map(profile["cv"]["limits"])).all()
    assert cv["status"].isin(["on_track", "at_risk", "off_track"]).all()
    # observed county CVs are the step-03 CVs
    observed = files.read_csv(_folder(sample_run, 2025) / "cv.csv")
    got = past[(past["level"] == "county") & (past["year"] == 2025) & past["indicator"].str.endswith("_cv")]
    merged = got.assign(indicator=got["indicator"].str[:-3]).merge(observed, on=["section", "indicator"])
    assert len(merged) == len(observed)
    assert np.allclose(merged["value"], merged["cv"], rtol=1e-12)


def test_short_history_years_have_no_projection(sample_run):
    for year in (2023, 2024):  # fewer than 3 years of history at that point (the run starts in 2023)
        rows = files.read_csv(_folder(sample_run, year) / "projection.csv")
        assert list(rows.columns) == PROJECTION_COLUMNS
        assert (rows["status"] == "observed").all() and rows["year"].max() == year


def test_side_outputs(sample_run):
    folder = _folder(sample_run, 2025)
    # merged_into holds school codes: read as text (files.read_csv keeps only files.STRING_COLUMNS as text)
    changes = pd.read_csv(folder / "school_changes.csv", encoding="utf-8-sig",
                          dtype={"school_code": str, "merged_into": str})
    schools = files.read_csv(folder / "schools.csv")
    merged = changes[changes["status"] == "merged"]
    assert merged["merged_into"].isin(schools["school_code"]).all()  # the sample merges before 2023 (not in the run)
    actions = files.read_csv(folder / "planning.csv")
    assert set(actions["milestone_year"]) == MILESTONE_YEARS
    for _, part in actions.groupby("milestone_year"):
        assert part["priority"].is_monotonic_increasing
    milestones = files.read_csv(folder / "milestones.csv")
    assert set(milestones["milestone_year"]) == MILESTONE_YEARS
    targets = files.read_csv(folder / "targets_comparison.csv")
    assert {"observed", "projected"} <= set(targets["kind"].dropna())
