"""Property tests (hypothesis): CV invariants, compliance monotone in resources, split shares, and validation that
never raises anything but its own error type whatever the cells hold. Examples are kept small (< 20 s)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rawfactory import base_schools, base_teachers, make_county

from analysis.data.cleaning import MAX_MAGNITUDE, InputError, clean_folder, parse_number
from analysis.evaluate.indicators import (
    indicator_ids,
    indicator_spec,
    indicator_values,
    school_compliance,
    section_shares,
)
from analysis.evaluate.variation import WeightedCV, cv_table, weighted_cv
from analysis.standards import available_profiles, load_profile

FAST = settings(max_examples=40, deadline=None)
SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

values = st.floats(min_value=0.01, max_value=1e4, allow_nan=False, allow_infinity=False)
students = st.integers(min_value=1, max_value=5000)


@st.composite
def section_data(draw, min_size: int = 1, max_size: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Indicator values and pupil counts (weights) of the schools of one section."""
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    x = np.array(draw(st.lists(values, min_size=n, max_size=n)))
    w = np.array(draw(st.lists(students, min_size=n, max_size=n)), dtype=float)
    return x, w


# ---- 差异系数 (weighted CV) ----------------------------------------------------------------------------------------

@FAST
@given(section_data(), st.floats(min_value=1e-3, max_value=1e3))
def test_cv_unchanged_by_scaling_values_or_weights(data, factor):
    x, w = data
    cv = weighted_cv(x, w)
    assert weighted_cv(x * factor, w) == pytest.approx(cv, rel=1e-9, abs=1e-12)
    assert weighted_cv(x, w * factor) == pytest.approx(cv, rel=1e-9, abs=1e-12)


@FAST
@given(section_data(), st.randoms(use_true_random=False))
def test_cv_unchanged_by_permuting_schools(data, rnd):
    x, w = data
    order = list(range(len(x)))
    rnd.shuffle(order)
    assert weighted_cv(x[order], w[order]) == pytest.approx(weighted_cv(x, w), rel=1e-9, abs=1e-12)


@FAST
@given(section_data(), students)
def test_equal_weights_give_the_population_cv(data, n):
    x, _ = data
    assert weighted_cv(x, np.full(len(x), float(n))) == pytest.approx(np.std(x) / np.mean(x), rel=1e-9, abs=1e-12)


@FAST
@given(values, students)
def test_one_school_has_cv_zero(x, n):
    assert weighted_cv([x], [n]) == 0.0


@FAST
@given(section_data(min_size=2), st.floats(min_value=0.0, max_value=1.0))
def test_cv_with_fixed_weights_is_weighted_cv_to_the_bit(data, t):
    # the planner's bisections rely on it: the same value, not a close one
    x, w = data
    cv = WeightedCV(w)
    for point in (x, np.maximum(x, float(np.median(x))), x + t * (x.max() - x), np.full(len(x), x[0])):
        assert cv(point) == weighted_cv(point, w)
    for bad in (np.zeros(len(x)), np.where(np.arange(len(x)) == 0, np.nan, x)):  # a mean of 0, a missing value
        with pytest.raises(ValueError):
            cv(bad)


@FAST
@given(section_data(min_size=2), section_data(min_size=1))
def test_cv_table_agrees_with_weighted_cv_per_section(primary, junior):
    """The vectorised table gives each section the CV of its own schools, whatever the other section holds."""
    profile = load_profile("national")
    ids = indicator_ids(profile)
    rows = []
    for section, (x, w) in (("primary", primary), ("junior", junior)):
        for k in range(len(x)):
            rows.append({"school_code": f"{section}{k}", "section": section, "students": w[k],
                         **{ind: x[k] * (j + 1) for j, ind in enumerate(ids)}})
    table = cv_table(pd.DataFrame(rows), profile)
    for section, (x, w) in (("primary", primary), ("junior", junior)):
        got = table[table["section"] == section]
        assert got["cv"].to_numpy() == pytest.approx([weighted_cv(x, w)] * len(ids), rel=1e-9, abs=1e-12)
        assert (got["n_schools"] == len(x)).all()
    assert (table.loc[table["n_schools"] == 1, "cv"] == 0).all()  # one school: exactly 0, with its note
    assert table.loc[table["n_schools"] == 1, "note"].str.contains("少于2所").all()


# ---- 校校达标 (school compliance) is monotone in resources -----------------------------------------------------------

@st.composite
def school_stocks(draw) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """A profile, school-sections with pupils and stocks, and non-negative additions to those stocks."""
    profile = draw(st.sampled_from(available_profiles()))
    spec = load_profile(profile)
    stocks = sorted({indicator_spec(spec, ind)["numerator"] for ind in indicator_ids(spec)})
    n = draw(st.integers(min_value=1, max_value=6))
    amount = st.floats(min_value=0, max_value=5e4, allow_nan=False)
    frame = pd.DataFrame({"section": draw(st.lists(st.sampled_from(["primary", "junior"]), min_size=n, max_size=n)),
                          "students": draw(st.lists(students, min_size=n, max_size=n)),
                          "founded_year": draw(st.lists(st.integers(1950, 2024), min_size=n, max_size=n)),
                          **{s: draw(st.lists(amount, min_size=n, max_size=n)) for s in stocks}})
    more = pd.DataFrame({s: draw(st.lists(amount, min_size=n, max_size=n)) for s in stocks})
    return profile, frame, more


@FAST
@given(school_stocks())
def test_more_resources_never_turn_a_passing_school_failing(data):
    name, frame, more = data
    profile = load_profile(name)
    before = school_compliance(indicator_values(frame, profile), profile)
    richer = frame.copy()
    for column in more:
        richer[column] = frame[column] + more[column]
    after = school_compliance(indicator_values(richer, profile), profile)
    assert (after["n_met"] >= before["n_met"]).all()
    assert not (before["school_pass"] & ~after["school_pass"]).any()


# ---- 学段拆分 (split shares) ---------------------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=10_000)


@FAST
@given(counts, counts, counts, st.sampled_from(available_profiles()))
def test_split_shares_sum_to_one(primary, junior, senior, name):
    if primary + junior + senior == 0:
        with pytest.raises(ValueError):
            section_shares(primary, junior, senior, load_profile(name)["split_weights"])
        return
    shares = section_shares(primary, junior, senior, load_profile(name)["split_weights"])
    assert math.fsum(shares) == pytest.approx(1.0, abs=1e-12)
    assert all(0 <= s <= 1 for s in shares)
    assert [s > 0 for s in shares] == [primary > 0, junior > 0, senior > 0]


# ---- validation only ever raises its own error ---------------------------------------------------------------------

_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)
cell_values = st.one_of(
    st.none(), _text, st.booleans(), st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.datetimes(min_value=dt.datetime(1900, 1, 1)),
    st.sampled_from(["85%", "１２，３４５", "1e308", "-inf", "NaN", "=SUM(A1:A3)", "+cmd", "@SUM(1)", "—", "约300",
                     "0500100001", " ", "合计", "是", "小学", "初中", "城区", "幼儿园"]),
)


@FAST
@given(st.one_of(cell_values, _text))
def test_parse_number_returns_a_bounded_number_or_raises_value_error(value):
    try:
        number = parse_number(value)
    except ValueError:
        return
    assert number is None or (math.isfinite(number) and abs(number) <= MAX_MAGNITUDE)


@SLOW
@given(st.dictionaries(st.sampled_from(["学校标识码", "学校名称", "办学类型", "城乡分类", "小学在校生数", "初中在校生数",
                                        "教学及辅助用房面积", "体育运动场（馆）面积", "教学仪器设备资产值", "建校年份"]),
                       cell_values, min_size=1, max_size=4),
       st.dictionaries(st.sampled_from(["学校标识码", "学段", "专任教师数", "高于规定学历教师数", "体育专任教师数"]),
                       cell_values, max_size=2),
       st.integers(min_value=0, max_value=2))
def test_validation_raises_only_its_own_error(tmp_path_factory, school_cells, teacher_cells, which):
    """Whatever a few cells hold, clean_folder returns its issue table (or raises InputError), nothing else."""
    folder = tmp_path_factory.mktemp("random")
    schools, teachers = base_schools(), base_teachers()
    schools[which].update(school_cells)
    teachers[which].update(teacher_cells)
    make_county(folder, schools=schools, teachers=teachers)
    try:
        result = clean_folder(folder)
    except InputError as exc:
        assert (exc.issues["severity"] == "error").any()
        return
    assert list(result.issues.columns) == ["file", "sheet", "row", "column", "value", "expected", "severity", "rule"]
    assert result.issues["severity"].isin(["error", "warning"]).all()
