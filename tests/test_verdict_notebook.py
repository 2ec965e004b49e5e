"""Notebook 04 runs on a small processed folder, with and without the optional tables, and writes the verdict."""

import json

import pandas as pd
import pytest
from test_guarantee import frame, items, school, teacher
from test_recognition import survey
from test_verdict import GOOD_ITEMS, RESULTS, cv_table, school_indicators

from analysis import config
from analysis.data import files


def _processed(root, full: bool):
    folder = root / "processed" / "demo" / "2025"
    schools = frame(school("1", primary=600), school("2", primary=300, urban_rural="rural"),
                    school("3", school_type="junior_school", primary=0, junior=500, classes_primary=0,
                           classes_junior=10))
    files.write_csv(schools, folder / "schools.csv")
    files.write_csv(pd.DataFrame([teacher("1"), teacher("2"), teacher("3", "junior")]), folder / "teachers.csv")
    files.write_csv(school_indicators({"2": "R2;R6"}), folder / "school_indicators.csv")
    files.write_csv(cv_table(), folder / "cv.csv")
    if full:
        files.write_csv(pd.DataFrame([{"school_code": "1", "section": "primary", "grade": 1, "class_no": 1, "students": 46},
                                   {"school_code": "3", "section": "junior", "grade": 7, "class_no": 1, "students": 48}]),
                     folder / "classes.csv")
        files.write_csv(items(*GOOD_ITEMS), folder / "county_items.csv")
        files.write_csv(survey({"家长": [["满意"] * 6] * 30, "教师": [["5"] * 6] * 10}), folder / "survey.csv")
        files.write_csv(RESULTS, root / "processed" / "demo" / "2024" / "monitoring_results.csv")
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("full", [True, False], ids=["all_tables", "required_only"])
def test_notebook_04_writes_the_verdict(tmp_path, full):
    import papermill as pm

    folder = _processed(tmp_path, full)
    reports = tmp_path / "reports"
    reports.mkdir()
    pm.execute_notebook(str(config.NOTEBOOKS / "04_guarantee_quality.ipynb"), str(tmp_path / "04.ipynb"),
                        parameters={"county": "demo", "year": 2025, "standards_profile": "national",
                                    "raw_dir": str(tmp_path / "raw"), "processed_dir": str(folder),
                                    "reports_dir": str(reports), "processed_root": str(tmp_path / "processed")},
                        kernel_name=config.KERNEL_NAME, progress_bar=False, cwd=str(config.NOTEBOOKS))
    result = json.loads((folder / "verdict.json").read_text(encoding="utf-8"))
    items_csv = files.read_csv(folder / "items.csv").set_index("item_id")
    assert result["verdict"] == "不予认定"
    assert items_csv.loc["R_schools_primary", "status"] == "未达标"
    if full:
        # only the class of 46 and the failing school fail; monitoring comes from the 2024 folder
        failing = [f["item_id"] for f in result["failing_items"]]
        assert failing == ["R_schools_primary", "G5_primary"]
        assert items_csv.loc["Q9_diff", "status"] == "达标" and items_csv.loc["S1", "status"] == "达标"
    else:
        assert {"V1", "S1", "G1", "G5_primary", "Q1", "Q9_level"} <= set(result["missing_items"])
