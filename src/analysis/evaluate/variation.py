"""Enrollment-weighted coefficient of variation (校际差异系数) per indicator and section.

For school i of a section with indicator value xᵢ and nᵢ students, N = Σnᵢ:

    mean = Σ nᵢ xᵢ / N
    S    = √( Σ (nᵢ/N) (xᵢ − mean)² )
    CV   = S / mean

Each indicator is judged on its own against the limit (primary ≤ 0.50, junior ≤ 0.45; 000_7663589297cde400.txt
附件2; 003_1c8462c5537f038e.txt writes "低于", strict, in the xiushan profile). The composite (mean of the seven)
is context only: no seed defines it as the rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.config import SECTIONS
from analysis.evaluate.indicators import indicator_ids, indicator_spec, section_codes
from analysis.standards.compare import meets


def _weighted_moments(values, weights, indicator: str = "") -> tuple[float, float, float]:
    x = np.asarray(values, dtype=float)
    n = np.asarray(weights, dtype=float)
    label = f"指标 {indicator}: " if indicator else ""
    if x.shape != n.shape:
        raise ValueError(f"{label}values and weights differ in length ({x.size} vs {n.size})")
    if x.size == 0:
        raise ValueError(f"{label}no schools: the coefficient of variation is undefined")
    if np.isnan(x).any() or np.isnan(n).any():
        raise ValueError(f"{label}missing values or weights: the coefficient of variation is undefined")
    if (n < 0).any():
        raise ValueError(f"{label}negative weights (students)")
    total = n.sum()
    if total <= 0:
        raise ValueError(f"{label}total weight (students) is 0: the coefficient of variation is undefined")
    mean = float((n * x).sum() / total)
    if not np.isfinite(mean) or mean == 0:
        raise ValueError(f"{label}weighted mean is {mean}: the coefficient of variation is undefined (均值为0)")
    if (x == x[0]).all():  # one school, or no spread at all: exactly 0 (Σnx/N can be a hair off x)
        return float(x[0]), 0.0, 0.0
    std = float(np.sqrt(((n / total) * (x - mean) ** 2).sum()))
    return mean, std, std / mean


def weighted_cv(values, weights, indicator: str = "") -> float:
    """差异系数: enrollment-weighted CV = S / mean. A zero or missing mean raises ``ValueError``, never 0."""
    return _weighted_moments(values, weights, indicator)[2]


class WeightedCV:
    """:func:`weighted_cv` of many value vectors with the same weights: bit for bit the same arithmetic, the weights
    checked once (a bisection of the planner or of :func:`analysis.evaluate.planning.cv_floor` calls it thousands
    of times)."""

    def __init__(self, weights, indicator: str = "") -> None:
        self.n = np.asarray(weights, dtype=float)
        self.indicator = indicator
        self.total = self.n.sum()
        self.valid = bool(self.total > 0 and not (self.n < 0).any())  # else weighted_cv raises (NaN total too)
        self.share = self.n / self.total if self.valid else self.n

    def __call__(self, values) -> float:
        x = np.asarray(values, dtype=float)
        if not self.valid or x.shape != self.n.shape:
            return weighted_cv(x, self.n, self.indicator)  # raises, naming the problem
        mean = float((self.n * x).sum() / self.total)
        if not np.isfinite(mean) or mean == 0:  # also a missing value
            return weighted_cv(x, self.n, self.indicator)
        if (x == x[0]).all():
            return 0.0
        return float(np.sqrt((self.share * (x - mean) ** 2).sum())) / mean


def weighted_stats(values, weights, indicator: str = "") -> tuple[float, float, float]:
    """``(weighted_mean, S, CV)`` of :func:`weighted_cv`."""
    return _weighted_moments(values, weights, indicator)


def _section_groups(frame: pd.DataFrame, by: tuple[str, ...]) -> tuple[np.ndarray, pd.DataFrame]:
    """A dense group number per row, ordered by the ``by`` keys (sorted) then section (primary, junior), and the
    group table (``by`` keys, ``section``, ``n_schools``, ``_section`` = position in SECTIONS) in that order."""
    section = section_codes(frame).astype(np.intp)
    if len(by) == 1:  # the common national case (by county): factorising one column is cheaper than groupby
        outer, uniques = pd.factorize(frame[by[0]], sort=True, use_na_sentinel=False)
        keys = pd.DataFrame({by[0]: uniques})
    elif by:
        grouped = frame.groupby(list(by), sort=True, dropna=False)
        outer = grouped.ngroup().to_numpy()
        keys = grouped.size().index.to_frame(index=False)
    else:
        outer, keys = np.zeros(len(frame), dtype=np.intp), pd.DataFrame(index=range(1))
    raw = outer * len(SECTIONS) + section
    counts = np.bincount(raw, minlength=len(keys) * len(SECTIONS))
    present = np.flatnonzero(counts)
    table = keys.iloc[present // len(SECTIONS)].reset_index(drop=True)
    table["section"] = np.array(SECTIONS, dtype=object)[present % len(SECTIONS)]
    table["n_schools"] = counts[present]
    table["_section"] = present % len(SECTIONS)
    return (np.cumsum(counts > 0) - 1)[raw], table


def cv_table(school_indicators: pd.DataFrame, profile: dict, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per (``by`` keys,) section and indicator: weighted_mean, std, cv, limit, passed, n_schools.

    Rows are ordered by the ``by`` keys, section (primary first) and indicator. Vectorised over groups so that a
    national run (thousands of counties, ``by=("county",)``) stays fast. A mean of 0 raises naming the indicator;
    a section with one school gets CV 0 and a note.
    """
    cfg = profile["cv"]
    ids = indicator_ids(profile)
    code, groups = _section_groups(school_indicators, by)
    n = school_indicators["students"].to_numpy(dtype=float)
    total = np.bincount(code, weights=n, minlength=len(groups))
    weight = n / total[code]  # nᵢ / N of the school's own group
    mean, std = np.empty((len(groups), len(ids))), np.empty((len(groups), len(ids)))
    scratch = np.empty(len(n))  # reused for every indicator: no temporaries at national scale
    for k, ind in enumerate(ids):
        x = school_indicators[ind].to_numpy(dtype=float)
        if np.isnan(x).any():
            bad = school_indicators.loc[np.isnan(x), "school_code"].head(5).tolist()
            raise ValueError(f"指标 {ind}: missing values for schools {bad}; the CV is undefined")
        mean[:, k] = np.bincount(code, weights=np.multiply(n, x, out=scratch), minlength=len(groups)) / total
        if (mean[:, k] == 0).any():
            where = groups.loc[mean[:, k] == 0, [*by, "section"]].to_dict("records")
            raise ValueError(f"指标 {ind}: weighted mean is 0 in {where}; the coefficient of variation is undefined")
        np.take(mean[:, k], code, out=scratch)
        np.subtract(x, scratch, out=scratch)
        np.multiply(scratch, scratch, out=scratch)
        std[:, k] = np.sqrt(np.bincount(code, weights=np.multiply(scratch, weight, out=scratch),
                                        minlength=len(groups)))
    std[groups["n_schools"].to_numpy() < 2] = 0.0  # one school: no spread by construction, not rounding noise
    out = groups.iloc[np.repeat(np.arange(len(groups)), len(ids))].reset_index(drop=True)
    out["indicator"] = np.tile(np.array(ids, dtype=object), len(groups))
    out["name_zh"] = np.tile(np.array([indicator_spec(profile, i)["zh"] for i in ids], dtype=object), len(groups))
    out["weighted_mean"] = mean.ravel()
    out["std"] = std.ravel()
    out["cv"] = out["std"].to_numpy() / out["weighted_mean"].to_numpy()
    limits = np.array([float(cfg["limits"][s]) for s in SECTIONS])
    out["limit"] = np.repeat(limits[groups.pop("_section").to_numpy()], len(ids))
    out["comparator"] = cfg["comparator"]
    out["passed"] = meets(out["cv"].to_numpy(), out["limit"].to_numpy(), cfg["comparator"], rel_tol=0)  # no tolerance on a CV
    out["note"] = pd.Categorical.from_codes((out["n_schools"].to_numpy() < 2).astype(np.int8),
                                            categories=["", "参评学校少于2所，差异系数无比较意义"])
    out["core"] = np.tile(np.array([i in profile["resources"] for i in ids]), len(groups))
    cols = [*by, "section", "indicator", "name_zh", "weighted_mean", "std", "cv", "limit", "comparator", "passed",
            "n_schools", "core", "note"]
    return out[cols]


def composite_cv(cv: pd.DataFrame) -> pd.DataFrame:
    """综合差异系数 (context only): plain mean of the core indicators' CVs per section. Not the rule."""
    core = cv[cv["core"]] if "core" in cv else cv
    return core.groupby("section", sort=False, as_index=False)["cv"].mean().rename(columns={"cv": "composite_cv"})


def cv_steps(school_indicators: pd.DataFrame, indicator: str, section: str) -> pd.DataFrame:
    """The CV of one indicator and section worked school by school (逐校演算), schools in their table order.

    Columns: ``school_code``, ``school_name``, ``students`` (nᵢ), ``value`` (xᵢ), ``weight`` (nᵢ/N),
    ``deviation`` (xᵢ − x̄), ``squared`` ((xᵢ − x̄)²), ``contribution`` ((nᵢ/N)(xᵢ − x̄)², the school's part of
    S²) and ``share_of_variance`` (contribution ÷ S², 0 when S = 0). Σ contribution = S²; the CV of the table is
    ``weighted_cv(value, students)``, the cv.csv value.
    """
    part = school_indicators[school_indicators["section"] == section]
    x = part[indicator].to_numpy(dtype=float)
    n = part["students"].to_numpy(dtype=float)
    mean, std, _ = weighted_stats(x, n, indicator)
    out = part[["school_code", "school_name", "students", indicator]].rename(columns={indicator: "value"})
    out = out.reset_index(drop=True)
    out["weight"] = n / n.sum()
    out["deviation"] = x - mean
    out["squared"] = out["deviation"].to_numpy() ** 2
    out["contribution"] = out["weight"].to_numpy() * out["squared"].to_numpy()
    out["share_of_variance"] = out["contribution"] / (std**2) if std > 0 else 0.0
    return out


def school_cv_shares(school_indicators: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """Every school's part in every CV of its section (对各项差异系数的贡献): one row per section, indicator and
    school with ``value``, ``deviation`` and ``share_of_variance`` of :func:`cv_steps`."""
    parts = [cv_steps(school_indicators, ind, section).assign(section=section, indicator=ind)
             for section in SECTIONS if (school_indicators["section"] == section).any()
             for ind in indicator_ids(profile)]
    cols = ["section", "indicator", "school_code", "value", "deviation", "share_of_variance"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def cv_contributions(school_indicators: pd.DataFrame, indicator: str, section: str) -> pd.DataFrame:
    """Each school's part of S² (对差异系数的贡献) and the CV if that school alone were set to the county mean.

    contribution = (nᵢ/N)(xᵢ − mean)²; share = contribution / S². Setting xᵢ to the mean also moves the mean, so
    the counterfactual CV is recomputed exactly: m' = m + wᵢ(m − xᵢ), S'² = Σwⱼx'ⱼ² − m'².
    """
    out = cv_steps(school_indicators, indicator, section).drop(columns="squared")
    x, w = out["value"].to_numpy(dtype=float), out["weight"].to_numpy()
    mean, _, cv = weighted_stats(x, out["students"].to_numpy(dtype=float), indicator)
    m2 = (w * x * x).sum()
    new_mean = mean + w * (mean - x)
    new_var = np.maximum(m2 - w * x * x + w * mean * mean - new_mean**2, 0.0)
    out["cv_if_at_mean"] = np.sqrt(new_var) / new_mean
    out["cv_change"] = out["cv_if_at_mean"] - cv
    return out.sort_values("contribution", ascending=False, kind="stable").reset_index(drop=True)


def cv_without_top(school_indicators: pd.DataFrame, profile: dict, k: int = 3) -> pd.DataFrame:
    """Sensitivity (敏感性): each indicator's CV with its ``k`` largest contributors left out."""
    rows = []
    for section in ("primary", "junior"):
        part = school_indicators[school_indicators["section"] == section]
        if len(part) <= k:
            continue
        for ind in indicator_ids(profile):
            contrib = cv_contributions(school_indicators, ind, section)
            top = contrib["school_code"].head(k).tolist()
            rest = part[~part["school_code"].isin(top)]
            rows.append({"section": section, "indicator": ind,
                         "cv": weighted_cv(part[ind], part["students"], ind),
                         "cv_without_top": weighted_cv(rest[ind], rest["students"], ind),
                         "top_schools": "、".join(contrib["school_name"].head(k))})
    return pd.DataFrame(rows)


def worked_cv(school_indicators: pd.DataFrame, indicator: str, section: str) -> pd.DataFrame:
    """The CV of one indicator worked through school by school, with a 合计 row (auditors redo it by hand).

    Columns: nᵢ, xᵢ, nᵢxᵢ, (xᵢ − mean)², (nᵢ/N)(xᵢ − mean)². Totals give N, Σnx, S² — CV = √S² ÷ (Σnx ÷ N).
    """
    part = school_indicators[school_indicators["section"] == section]
    mean, std, cv = weighted_stats(part[indicator], part["students"], indicator)
    n = part["students"].astype(float)
    x = part[indicator].astype(float)
    table = pd.DataFrame({
        "学校标识码": part["school_code"], "学校名称": part["school_name"], "学生数 nᵢ": n, "指标值 xᵢ": x,
        "nᵢ·xᵢ": n * x, "(xᵢ−均值)²": (x - mean) ** 2, "(nᵢ/N)(xᵢ−均值)²": (n / n.sum()) * (x - mean) ** 2,
    })
    total = {"学校标识码": "合计", "学校名称": f"均值={mean:.6g}；S={std:.6g}；CV={cv:.6g}", "学生数 nᵢ": n.sum(),
             "指标值 xᵢ": float("nan"), "nᵢ·xᵢ": (n * x).sum(), "(xᵢ−均值)²": float("nan"),
             "(nᵢ/N)(xᵢ−均值)²": table["(nᵢ/N)(xᵢ−均值)²"].sum()}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def top_contributors(school_indicators: pd.DataFrame, profile: dict, k: int = 3) -> pd.DataFrame:
    """For every section and indicator, the ``k`` schools contributing most to S² (差异主要来源学校)."""
    rows = []
    for section in ("primary", "junior"):
        if not (school_indicators["section"] == section).any():
            continue
        for ind in indicator_ids(profile):
            contrib = cv_contributions(school_indicators, ind, section).head(k)
            for rank, r in enumerate(contrib.itertuples(), 1):
                rows.append({"section": section, "indicator": ind, "rank": rank, "school_code": r.school_code,
                             "school_name": r.school_name, "students": r.students, "value": r.value,
                             "share_of_variance": r.share_of_variance, "cv_if_at_mean": r.cv_if_at_mean})
    return pd.DataFrame(rows)
