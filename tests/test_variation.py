"""The enrollment-weighted CV against hand-computed cases."""

import numpy as np
import pandas as pd
import pytest

from analysis.evaluate.variation import (
    composite_cv,
    cv_contributions,
    cv_table,
    cv_without_top,
    weighted_cv,
    weighted_stats,
    worked_cv,
)
from analysis.standards import load_profile

P = load_profile("national")


def test_equal_weights_is_population_cv():
    x = np.array([3.0, 4.5, 6.0, 9.5])
    assert weighted_cv(x, [7, 7, 7, 7]) == pytest.approx(x.std(ddof=0) / x.mean())


def test_hand_computed_weighted_case():
    # n = (100, 300), x = (2, 6): N = 400, mean = (200 + 1800)/400 = 5,
    # S² = 0.25×9 + 0.75×1 = 3, CV = √3 / 5
    mean, s, cv = weighted_stats([2, 6], [100, 300])
    assert mean == 5 and s == pytest.approx(np.sqrt(3)) and cv == pytest.approx(np.sqrt(3) / 5)


def test_scaling_values_leaves_cv_unchanged():
    x, n = np.array([1.2, 3.4, 0.7, 2.2]), np.array([120, 40, 300, 85])
    assert weighted_cv(x * 1000, n) == pytest.approx(weighted_cv(x, n))
    assert weighted_cv(x, n * 3) == pytest.approx(weighted_cv(x, n))  # and scaling the weights


def test_one_school_is_zero():
    assert weighted_cv([4.2], [350]) == 0


def test_zero_or_missing_mean_is_an_error_naming_the_indicator():
    with pytest.raises(ValueError, match="R7"):
        weighted_cv([0, 0], [10, 20], indicator="R7")
    with pytest.raises(ValueError, match="R2"):
        weighted_cv([1, np.nan], [10, 20], indicator="R2")
    with pytest.raises(ValueError):
        weighted_cv([], [])


def _frame():
    return pd.DataFrame({
        "school_code": list("abcde"), "school_name": ["甲", "乙", "丙", "丁", "戊"],
        "section": ["primary", "primary", "primary", "junior", "junior"],
        "students": [100, 300, 600, 400, 400],
        **{f"R{k}": [k * 1.0, k * 2.0, k * 4.0, k * 1.0, k * 3.0] for k in range(1, 8)},
    })


def test_cv_table_by_section_against_limits():
    cv = cv_table(_frame(), P)
    assert len(cv) == 14 and set(cv["section"]) == {"primary", "junior"}
    prim = cv[(cv["section"] == "primary") & (cv["indicator"] == "R1")].iloc[0]
    assert prim["cv"] == pytest.approx(weighted_cv([1, 2, 4], [100, 300, 600]))
    assert prim["limit"] == 0.50 and prim["passed"] == (prim["cv"] <= 0.50) and prim["n_schools"] == 3
    jun = cv[(cv["section"] == "junior") & (cv["indicator"] == "R3")].iloc[0]
    assert jun["cv"] == pytest.approx(0.5) and jun["limit"] == 0.45 and not jun["passed"]


def test_strict_comparator_profile():
    frame = _frame()
    frame.loc[frame["section"] == "primary", "R1"] = [1.0, 1.0, 1.0]
    exactly = cv_table(frame, P)
    # with values (1,3) and equal weights junior CV is 0.5: ≤ 0.45 fails either way; check the comparator flag
    assert set(exactly["comparator"]) == {"<="}
    assert set(cv_table(frame, load_profile("xiushan"))["comparator"]) == {"<"}


def test_cv_at_limit_passes_with_le_and_fails_with_lt():
    frame = pd.DataFrame({"school_code": ["a", "b"], "school_name": ["甲", "乙"], "section": ["primary"] * 2,
                          "students": [100, 100], **{f"R{k}": [1.0, 3.0] for k in range(1, 8)}})
    # equal weights, x = (1, 3): mean 2, S 1, CV 0.5 exactly
    assert cv_table(frame, P)["passed"].all()
    assert not cv_table(frame, load_profile("xiushan"))["passed"].any()


def test_zero_mean_in_table_names_indicator():
    frame = _frame()
    frame["R5"] = 0.0
    with pytest.raises(ValueError, match="R5"):
        cv_table(frame, P)


def test_grouped_by_county_equals_separate_runs():
    a, b = _frame().assign(county="A"), _frame().assign(county="B")
    b["R2"] = b["R2"] * [1, 5, 1, 2, 1]
    both = cv_table(pd.concat([a, b]), P, by=("county",))
    alone = cv_table(b, P)
    got = both[both["county"] == "B"].reset_index(drop=True)
    assert np.allclose(got["cv"], alone["cv"], rtol=1e-12)


def test_contributions_sum_to_variance_and_counterfactual_is_exact():
    frame = _frame()
    contrib = cv_contributions(frame, "R1", "primary")
    mean, s, cv = weighted_stats([1, 2, 4], [100, 300, 600])
    assert contrib["contribution"].sum() == pytest.approx(s**2)
    assert contrib["share_of_variance"].sum() == pytest.approx(1)
    # school 丙 (x = 4) set to the mean 2.9: recompute directly
    direct = weighted_cv([1, 2, mean], [100, 300, 600])
    assert contrib.set_index("school_code").loc["c", "cv_if_at_mean"] == pytest.approx(direct)


def test_worked_cv_totals_match():
    table = worked_cv(_frame(), "R1", "primary")
    total = table.iloc[-1]
    assert total["学生数 nᵢ"] == 1000 and total["nᵢ·xᵢ"] == pytest.approx(100 * 1 + 300 * 2 + 600 * 4)
    mean, s, cv = weighted_stats([1, 2, 4], [100, 300, 600])
    assert total["(nᵢ/N)(xᵢ−均值)²"] == pytest.approx(s**2)


def test_sensitivity_and_composite():
    frame = pd.concat([_frame()] * 2, ignore_index=True)
    frame["school_code"] = [f"s{i}" for i in range(len(frame))]
    sens = cv_without_top(frame, P, k=1)
    row = sens[(sens["section"] == "primary") & (sens["indicator"] == "R1")].iloc[0]
    top = cv_contributions(frame, "R1", "primary").iloc[0]["school_code"]
    rest = frame[(frame["section"] == "primary") & (frame["school_code"] != top)]
    assert row["cv_without_top"] == pytest.approx(weighted_cv(rest["R1"], rest["students"]))
    comp = composite_cv(cv_table(frame, P))
    assert set(comp.columns) == {"section", "composite_cv"}
