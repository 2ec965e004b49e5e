"""Education-quality items Q1–Q9 and the ANOVA estimate of the between-school difference rate (校际差异率)."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import f_oneway
from test_guarantee import frame, items, school

from analysis.evaluate import guarantee as g
from analysis.evaluate import quality
from analysis.standards import load_profile
from analysis.standards import status as st

NATIONAL = load_profile("national")


# --- Q1 retention, Q2 disabled enrollment -------------------------------------------------------------------------


def test_retention_formula_by_hand():
    # 950 ÷ (1000 + 20 − 40 − 2) = 950 ÷ 978
    assert quality.retention_rate(950, 1000, 20, 40, 2) == pytest.approx(950 / 978)
    with pytest.raises(ValueError, match="positive"):
        quality.retention_rate(10, 5, 0, 5, 0)


@pytest.mark.parametrize(("graduates", "status"), [(950, st.PASS), (949, st.FAIL)])
def test_q1_at_and_below_95_percent(graduates, status):
    # base = 1000 + 30 − 25 − 5 = 1000, so the rate is graduates / 1000
    idx = g.county_item_index(items(("Q1_intake", "1000"), ("Q1_graduates", str(graduates)), ("Q1_transfer_in", "30"),
                                    ("Q1_transfer_out", "25"), ("Q1_deaths", "5")))
    row = quality.q1_row(idx, NATIONAL)
    assert row["value"] == graduates / 1000 and row["status"] == status
    assert f"{graduates} ÷ (1000 + 30 − 25 − 5)" in row["note"]


def test_q1_missing_transfers_are_not_assumed_zero():
    idx = g.county_item_index(items(("Q1_intake", "1000"), ("Q1_graduates", "960")))
    row = quality.q1_row(idx, NATIONAL)
    assert row["status"] == st.MISSING and "Q1_transfer_in" in row["note"]


@pytest.mark.parametrize(("enrolled", "status"), [(95, st.PASS), (94, st.FAIL)])
def test_q2_disabled_enrollment(enrolled, status):
    idx = g.county_item_index(items(("Q2_disabled_enrolled", str(enrolled)), ("Q2_disabled_population", "100")))
    assert quality.q2_row(idx, NATIONAL)["status"] == status


# --- per-school quality items -------------------------------------------------------------------------------------


def test_q3_q4_q6_per_school():
    schools = frame(
        school("1"),
        school("2", has_charter=False),
        school("3", digitized=None),
        school("4", training_budget=0.05 * 700 * 600),            # exactly 5% of the budget
        school("5", training_budget=0.0499 * 700 * 600, moral_rating="合格"),
        school("6", primary=0, junior=0),                         # no compulsory students: out of scope
    )
    q3 = quality.charter_digitised(schools).set_index("school_code")["status"]
    assert q3.to_dict() == {"1": st.PASS, "2": st.FAIL, "3": st.MISSING, "4": st.PASS, "5": st.PASS}
    q4 = quality.training_budget(schools, NATIONAL).set_index("school_code")
    assert q4.loc["4", "status"] == st.PASS and q4.loc["5", "status"] == st.FAIL
    assert q4.loc["1", "share"] == pytest.approx(0.05)
    q6 = quality.moral_rating(schools, NATIONAL).set_index("school_code")["status"]
    assert q6["5"] == st.FAIL and q6["1"] == st.PASS


def test_q4_anhui_uses_the_public_funds_total():
    s = school("1", public_funds_total=100_000.0, public_funds_budget=200_000.0, training_budget=6_000.0)
    assert quality.training_budget(frame(s), NATIONAL).loc[0, "status"] == st.FAIL       # 3% of the budget
    assert quality.training_budget(frame(s), load_profile("anhui")).loc[0, "status"] == st.PASS  # 6% of the total


# --- ANOVA estimate of 校际差异率 ----------------------------------------------------------------------------------


def _scores(groups: dict[str, list[float]], grade: int = 8, subject: str = "数学") -> pd.DataFrame:
    return pd.DataFrame([{"school_code": s, "grade": grade, "subject": subject, "score": v}
                         for s, values in groups.items() for v in values])


def test_anova_hand_computed_case():
    # A = 1,2,3 (mean 2), B = 4,5,6 (mean 5); grand mean 3.5.
    # SSB = 3(1.5²) + 3(1.5²) = 13.5, SSW = 2 + 2 = 4, MSB = 13.5, MSW = 4/4 = 1, F = 13.5
    # n0 = (6 − 18/6)/1 = 3, ICC(1) = (13.5 − 1)/(13.5 + 2·1) = 12.5/15.5, η² = 13.5/17.5
    summary = quality.school_score_summary(_scores({"A": [1, 2, 3], "B": [4, 5, 6]}))
    rates = quality.between_school_rates(summary).iloc[0]
    assert rates["F"] == pytest.approx(13.5)
    assert rates["icc1"] == pytest.approx(12.5 / 15.5) and rates["rate"] == rates["icc1"]
    assert rates["eta2"] == pytest.approx(13.5 / 17.5)
    assert quality.between_school_rates(summary, "eta2").iloc[0]["rate"] == pytest.approx(13.5 / 17.5)


def test_anova_matches_scipy_on_generated_unbalanced_data():
    rng = np.random.default_rng(7)
    effects = rng.normal(0, 20, size=9)
    groups = {f"S{i}": list(500 + e + rng.normal(0, 80, size=int(rng.integers(5, 60)))) for i, e in enumerate(effects)}
    summary = quality.school_score_summary(_scores(groups))
    r = quality.between_school_rates(summary).iloc[0]
    f, _ = f_oneway(*groups.values())
    k = len(groups)
    n = np.array([len(v) for v in groups.values()], dtype=float)
    total = n.sum()
    assert r["F"] == pytest.approx(f, rel=1e-10)
    # η² and ICC(1) follow from F: η² = F(k−1) / (F(k−1) + N − k); ICC(1) = (F − 1) / (F + n0 − 1)
    assert r["eta2"] == pytest.approx(f * (k - 1) / (f * (k - 1) + total - k), rel=1e-10)
    n0 = (total - (n**2).sum() / total) / (k - 1)
    assert r["icc1"] == pytest.approx((f - 1) / (f + n0 - 1), rel=1e-10)
    # η² directly: between sum of squares over total sum of squares
    allv = np.concatenate([np.asarray(v) for v in groups.values()])
    ssb = sum(len(v) * (np.mean(v) - allv.mean()) ** 2 for v in groups.values())
    assert r["eta2"] == pytest.approx(ssb / ((allv - allv.mean()) ** 2).sum(), rel=1e-10)


def test_school_aggregates_give_the_same_rate_as_student_scores():
    rng = np.random.default_rng(3)
    groups = {f"S{i}": list(rng.normal(480 + 15 * i, 70, size=20 + 3 * i)) for i in range(6)}
    from_scores = quality.between_school_rates(quality.school_score_summary(_scores(groups))).iloc[0]
    aggregates = pd.DataFrame([{"school_code": s, "grade": 8, "subject": "数学", "mean": np.mean(v),
                                "variance": np.var(v, ddof=1), "n": len(v)} for s, v in groups.items()])
    from_aggregates = quality.between_school_rates(quality.school_score_summary(aggregates)).iloc[0]
    for key in ("F", "icc1", "eta2"):
        assert from_aggregates[key] == pytest.approx(from_scores[key], rel=1e-10)
    # aggregates with population variances (ddof 0) give the same number when declared as such
    pop = aggregates.assign(variance=[np.var(v) for v in groups.values()])
    declared = quality.between_school_rates(quality.school_score_summary(pop, 0), variance_ddof=0).iloc[0]
    assert declared["icc1"] == pytest.approx(from_scores["icc1"], rel=1e-10)


def test_monitoring_input_errors_are_clear():
    with pytest.raises(ValueError, match="unknown estimate method"):
        quality.between_school_rates(quality.school_score_summary(_scores({"A": [1, 2], "B": [3, 4]})), "icc2")
    bad = pd.DataFrame([{"source_row": 5, "school_code": "A", "grade": 8, "subject": "数学", "score": None}])
    with pytest.raises(ValueError, match=r"rows \[5\]"):
        quality.school_score_summary(bad)
    mixed = pd.concat([_scores({"A": [1, 2]}), pd.DataFrame([{"school_code": "B", "grade": 8, "subject": "数学",
                                                              "mean": 3.0, "variance": 1.0, "n": 2}])])
    with pytest.raises(ValueError, match="mixes"):
        quality.school_score_summary(mixed)
    with pytest.raises(ValueError, match="at least 2 schools"):
        quality.between_school_rates(quality.school_score_summary(_scores({"A": [1, 2, 3]})))


# --- Q9 ---------------------------------------------------------------------------------------------------------


def _results(rows):
    return pd.DataFrame(rows, columns=["source", "year", "grade", "subject", "achievement_level",
                                       "between_school_diff_rate"])


@pytest.mark.parametrize(("rate", "status"), [(0.1499, st.PASS), (0.15, st.FAIL), (0.1501, st.FAIL)])
def test_q9_difference_rate_is_strictly_below(rate, status):
    res = _results([("国家", 2024, 4, "语文", 3, 0.10), ("国家", 2024, 8, "数学", 3, rate)])
    level, diff = quality.q9_rows(res, None, NATIONAL, 2025)
    assert diff["status"] == status and diff["value"] == rate and diff["kind"] == "published"
    assert level["status"] == st.PASS and level["value"] == 3


def test_q9_level_below_three_fails_and_latest_round_counts():
    res = _results([("国家", 2021, 8, "数学", 2, 0.20), ("国家", 2024, 8, "数学", 3, 0.12),
                    ("国家", 2026, 8, "数学", 2, 0.30)])
    level, diff = quality.q9_rows(res, None, NATIONAL, 2025)
    assert level["status"] == st.PASS and "2024年" in level["evidence"]       # the 2026 round is later than 2025
    level, diff = quality.q9_rows(res, None, NATIONAL, 2023)
    assert level["status"] == st.FAIL and diff["status"] == st.FAIL           # 2021 round: level Ⅱ


def test_q9_sources_follow_the_profile():
    res = _results([("市级", 2024, 9, "阅读", 3, 0.1493)])
    level, diff = quality.q9_rows(res, None, NATIONAL, 2024)
    assert level["status"] == st.MISSING and "市级监测结果不计入" in level["note"]
    level, diff = quality.q9_rows(res, None, load_profile("xiushan"), 2024)
    assert diff["status"] == st.PASS and diff["value"] == 0.1493


def test_q9_estimate_is_labelled_and_never_gives_a_level():
    summary = quality.school_score_summary(_scores({"A": [1, 2, 3], "B": [4, 5, 6]}))
    estimates = quality.between_school_rates(summary)
    level, diff = quality.q9_rows(None, estimates, NATIONAL, 2025)
    assert level["status"] == st.MISSING
    assert diff["kind"] == "estimate" and "估算" in diff["name_zh"] and "估算值，非监测中心发布" in diff["note"]
    assert diff["value"] == pytest.approx(12.5 / 15.5) and diff["status"] == st.FAIL
    both_missing = quality.q9_rows(None, None, NATIONAL, 2025)
    assert [r["status"] for r in both_missing] == [st.MISSING, st.MISSING]


def test_monitoring_inputs_take_every_year_and_the_latest_scores():
    results, scores = quality.monitoring_inputs(
        {2021: _results([("国家", 2021, 8, "数学", 3, 0.2)]), 2024: _results([("国家", 2024, 8, "数学", 3, 0.12)])},
        {2024: _scores({"A": [1, 2], "B": [3, 4]})})
    assert results["year"].tolist() == [2021, 2024]
    assert scores["year"].unique().tolist() == [2024] and len(scores) == 4
    est = quality.between_school_rates(quality.school_score_summary(scores))
    comparison = quality.estimate_comparison(est, results, 2024)
    assert comparison.loc[0, "published_rate"] == 0.12 and comparison.loc[0, "label"] == "估算"


def test_quality_items_cover_all_nine():
    out = quality.quality_items(frame(school("1")), None, None, None, NATIONAL, 2025)
    assert list(dict.fromkeys(out["parent_id"])) == [f"Q{i}" for i in range(1, 10)]
    status = out.set_index("item_id")["status"]
    assert status["Q3"] == st.PASS and status["Q5"] == st.MISSING and status["Q9_diff"] == st.MISSING
