"""Social recognition: rate definition, Wilson intervals, comparators and warnings."""

import math

import pandas as pd
import pytest
from scipy.stats import binomtest

from analysis.evaluate import recognition
from analysis.report import charts
from analysis.standards import load_profile
from analysis.standards import status as st

NATIONAL = load_profile("national")


def survey(spec: dict[str, list[list[str]]]) -> pd.DataFrame:
    """Long survey from {group: [answers of respondent 1, answers of respondent 2, ...]}."""
    rows, k = [], 0
    for group, respondents in spec.items():
        for answers in respondents:
            k += 1
            for q, a in enumerate(answers, 1):
                rows.append({"respondent_id": f"R{k:03d}", "respondent_type": group, "school_code": "",
                             "township": "", "question": f"题{q}", "answer": a})
    return pd.DataFrame(rows)


def test_wilson_closed_form_and_known_values():
    z = 1.959963984540054
    # zero successes: upper bound = z² / (n + z²)
    low, high = recognition.wilson_interval(0, 10)
    assert low == 0 and high == pytest.approx(z * z / (10 + z * z), rel=1e-12)
    # 85 of 100 by hand: centre (0.85 + z²/200) / (1 + z²/100), half-width z√(0.85·0.15/100 + z²/40000) / (1 + z²/100)
    centre = (0.85 + z * z / 200) / (1 + z * z / 100)
    half = z * math.sqrt(0.85 * 0.15 / 100 + z * z / 40000) / (1 + z * z / 100)
    assert recognition.wilson_interval(85, 100) == pytest.approx((centre - half, centre + half), rel=1e-12)
    assert recognition.wilson_interval(85, 100) == pytest.approx((0.7672, 0.9069), abs=5e-5)


@pytest.mark.parametrize(("x", "n", "conf"), [(3479, 3930, 0.95), (7, 12, 0.95), (40, 41, 0.9), (1, 2, 0.99)])
def test_wilson_matches_scipy(x, n, conf):
    ci = binomtest(x, n).proportion_ci(confidence_level=conf, method="wilson")
    assert recognition.wilson_interval(x, n, conf) == pytest.approx((ci.low, ci.high), rel=1e-10)


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError):
        recognition.wilson_interval(0, 0)
    with pytest.raises(ValueError):
        recognition.wilson_interval(11, 10)


def test_rate_is_favourable_over_valid_answers_overall_and_per_group():
    data = survey({"家长": [["满意", "不满意", "基本满意"], ["非常满意", "", "5"]],
                   "教师": [["4", "3", "非常不满意"]]})
    table = recognition.recognition_table(data, NATIONAL).set_index("group")
    # valid answers: 3 + 2 + 3 = 8 (one empty); favourable: 满意, 基本满意, 非常满意, 5, 4 = 5
    assert table.loc["全部", "answers"] == 8 and table.loc["全部", "favourable"] == 5
    assert table.loc["全部", "rate"] == 5 / 8 and table.loc["全部", "respondents"] == 3
    assert table.loc["家长", "rate"] == 4 / 5 and table.loc["教师", "rate"] == 1 / 3
    assert table.loc["全部", "ci_low"] == pytest.approx(recognition.wilson_interval(5, 8)[0])


def test_numeric_answers_read_back_as_floats_count():
    data = survey({"学生": [["5", "4", "2"]]})
    data["answer"] = data["answer"].astype(float)  # a CSV of digits comes back as 5.0, 4.0, 2.0
    table = recognition.recognition_table(data, NATIONAL)
    assert table.loc[0, "favourable"] == 2 and table.loc[0, "answers"] == 3


@pytest.mark.parametrize(("profile", "favourable", "status"), [
    ("national", 85, st.PASS), ("national", 84, st.FAIL), ("xiushan", 85, st.FAIL), ("xiushan", 86, st.PASS)])
def test_threshold_comparator_differs_by_profile(profile, favourable, status):
    answers = ["满意"] * favourable + ["不满意"] * (100 - favourable)
    data = survey({"家长": [answers]})
    prof = load_profile(profile)
    row = recognition.s1_row(recognition.recognition_table(data, prof), prof)
    assert row["value"] == favourable / 100 and row["status"] == status
    assert row["comparator"] == (">=" if profile == "national" else ">")


def test_warnings_for_small_samples_missing_and_unknown_groups():
    data = survey({"家长": [["满意"]] * 3, "外来人员": [["满意"]]})
    table = recognition.recognition_table(data, NATIONAL)
    warnings = recognition.recognition_warnings(table)
    assert any("少于最低样本量 400" in w for w in warnings)
    assert any(w.startswith("人大代表：缺少该类调查对象") for w in warnings)
    assert any(w.startswith("外来人员：调查对象不在评估口径") for w in warnings)
    row = recognition.s1_row(table, NATIONAL)
    assert row["status"] == st.PASS and "注意" in row["note"] and "置信区间（Wilson）" in row["note"]


def test_no_survey_is_missing():
    row = recognition.s1_row(None, NATIONAL)
    assert row["status"] == st.MISSING and row["passed"] is False


def test_chart_draws_groups_with_a_perfect_rate():
    from analysis.report.plotting import setup_plotting

    setup_plotting()
    data = survey({"家长": [["满意"] * 6] * 8, "教师": [["满意", "不满意"]] * 4})
    table = recognition.recognition_table(data, NATIONAL)
    fig = charts.recognition_chart(table, NATIONAL)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["教师", "家长", "全部"]  # groups without answers left out
