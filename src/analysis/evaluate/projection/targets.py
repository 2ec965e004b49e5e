"""The county's annual targets (县定年度目标): scopes, compliant shares, the comparison with the targets and
the series behind the target chart."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.data.columns import TABLES
from analysis.evaluate.indicators import indicator_ids
from analysis.evaluate.projection.history import SCHOOL_RULES, History, school_rule_flags
from analysis.evaluate.projection.method import method_settings
from analysis.evaluate.projection.scenario import Projection, band_status
from analysis.standards.compare import REL_TOL, meets
from analysis.standards.status import (
    MET,
    NOT_MET,
    TARGET_ZH,
)

# Scope labels of a county's target table (003_1c8462c5537f038e.txt) → which evaluated school-sections count.
SCOPES = {
    "全部": "所有参评学校（学段）",
    "乡镇法人学校": "镇区、乡村学校，不含教学点（乡镇义务教育法人学校）",
    "城区学校": "城区学校",
    "50人以上教学点": "在校生50人及以上、参评的教学点",
}
_SCOPE_ALIASES = {"": "全部", "全县": "全部", "中小学": "全部", "all": "全部", "乡镇义务教育法人学校": "乡镇法人学校",
                  "城区中小学": "城区学校", "教学点": "50人以上教学点"}


def canonical_scope(scope: str) -> str:
    """The :data:`SCOPES` label a county's spelling of a target scope stands for (全县 → 全部)."""
    return _SCOPE_ALIASES.get(str(scope).strip(), str(scope).strip())


def scope_mask(values: pd.DataFrame, scope: str) -> pd.Series:
    """Evaluated school-sections inside a target scope (mapping documented in :data:`SCOPES`)."""
    scope = canonical_scope(scope)
    tp = values["school_type"] == "teaching_point"
    if scope == "全部":
        return pd.Series(True, index=values.index)
    if scope == "乡镇法人学校":
        return values["urban_rural"].isin(["town", "rural"]) & ~tp
    if scope == "城区学校":
        return values["urban_rural"] == "urban"
    if scope == "50人以上教学点":
        return tp  # teaching points below 50 pupils are excluded from evaluation already
    raise ValueError(f"{TABLES['targets'].title}: unknown scope {scope!r}; expected one of {list(SCOPES)}")


def target_indicators(text: str) -> list[str]:
    """``R4+R5`` / ``R4、R5`` → [R4, R5] (a school counts when it meets all of them)."""
    return [p.strip().upper() for p in re.split(r"[+＋、,，/和;；\s]+", str(text)) if p.strip()]


@dataclass
class _Schools:
    """An evaluated frame (school-sections, or rule flags with one row per school) with its schools, its ``by``
    groups (replicates), and its scopes and tests worked out once for every share asked of it: doing that per
    share took longer than the comparison itself."""

    frame: pd.DataFrame
    school: np.ndarray  # per row: its school (school_code within the by group)
    first: np.ndarray   # per school: its first row
    group: np.ndarray   # per school: its by group
    n_groups: int
    memo: dict = field(default_factory=dict)

    def inside(self, scope: str) -> np.ndarray:
        return _cached(self.memo, ("scope", scope), lambda: scope_mask(self.frame, scope).to_numpy())

    def meets(self, indicator: str) -> np.ndarray:
        """Rows whose ``indicator`` reaches its standard."""
        return _cached(self.memo, ("meets", indicator), lambda: meets(
            self.frame[indicator].to_numpy(), self.frame[f"{indicator}_std"].to_numpy(), ">="))

    def flag(self, rule: str) -> np.ndarray:
        """A G3/G4/G5 flag as floats (1 met, 0 not, NaN unknown)."""
        return _cached(self.memo, ("flag", rule), lambda: self.frame[rule].to_numpy(dtype=float))


def _schools(frame: pd.DataFrame, by: tuple[str, ...] = ()) -> _Schools:
    school = frame.groupby(["school_code", *by], sort=False).ngroup().to_numpy()
    first = np.unique(school, return_index=True)[1]
    if not by:
        return _Schools(frame, school, first, np.zeros(len(first), dtype=np.intp), 1)
    group = frame.iloc[first].groupby(list(by), sort=False).ngroup().to_numpy()
    return _Schools(frame, school, first, group, int(group.max()) + 1 if len(group) else 0)


def _group_shares(schools: _Schools, met: np.ndarray, inside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per ``by`` group: the share of schools meeting (every row of the school inside the scope meets) and the
    number of schools inside the scope (a share of no school is NaN)."""
    rows = np.bincount(schools.school, weights=inside, minlength=len(schools.first))
    short = np.bincount(schools.school, weights=inside & ~met, minlength=len(schools.first))
    counted = rows > 0
    n = np.bincount(schools.group[counted], minlength=schools.n_groups)
    k = np.bincount(schools.group[counted], weights=short[counted] == 0, minlength=schools.n_groups)
    with np.errstate(invalid="ignore"):
        return k / n, n


def _resource_shares(schools: _Schools, indicators: list[str], scope: str) -> tuple[np.ndarray, np.ndarray]:
    met = np.ones(len(schools.frame), dtype=bool)
    for ind in indicators:
        met &= schools.meets(ind)
    return _group_shares(schools, met, schools.inside(scope))


def _rule_shares(schools: _Schools, rules: list[str], scope: str) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`_resource_shares` for G3/G4/G5 flags: a school without a flag for one of ``rules`` is not
    counted."""
    known, met = schools.inside(scope).copy(), np.ones(len(schools.frame), dtype=bool)
    for rule in rules:
        known &= ~np.isnan(schools.flag(rule))
        met &= schools.flag(rule) == 1
    return _group_shares(schools, met, known)


def compliant_share(values: pd.DataFrame, indicators: list[str], scope: str, by: tuple[str, ...] = ()
                    ) -> pd.DataFrame:
    """Share of schools in ``scope`` meeting every indicator in ``indicators`` (达标学校比例): a school with two
    evaluated sections (九年一贯制) counts once and meets when each of its sections does. With ``by``: one row
    per group (e.g. replicate) with a school in scope, otherwise one row."""
    schools = _schools(values, by)
    share, n = _resource_shares(schools, indicators, scope)
    frame = pd.DataFrame({"share": share, "n_schools": n})
    if not by:
        return frame
    groups = values.iloc[schools.first[np.unique(schools.group, return_index=True)[1]]][list(by)]
    return pd.concat([groups.reset_index(drop=True), frame], axis=1)[n > 0].reset_index(drop=True)


def _cached(cache: dict, key: tuple, make: Callable[[], Any]) -> Any:
    """What the rows of one comparison share (per-year slices of the projection, their schools, rule flags)."""
    if key not in cache:
        cache[key] = make()
    return cache[key]


def _target_share(inds: list[str], scope: str, year: int, history: History, result: Projection, profile: dict,
                  cache: dict) -> dict:
    """kind, share, low, high, n_schools, note of one (indicator set, scope, year); ``cache`` keeps what the
    rows of one comparison share of the observed years, ``result.target_schools`` what every comparison shares of
    the projected years (see :func:`_cached`)."""
    resources, rules = set(indicator_ids(profile)), set(SCHOOL_RULES)
    lo, hi = method_settings(profile)["band"]
    out = {"kind": "", "share": np.nan, "low": np.nan, "high": np.nan, "n_schools": np.nan, "note": ""}
    if set(inds) <= resources:
        if year in history.school_indicators:
            observed = _cached(cache, ("observed", year), lambda: _schools(history.school_indicators[year]))
            (share,), (n,) = _resource_shares(observed, inds, scope)
            return out | {"kind": "observed", "share": share, "n_schools": float(n)}
        if result.central is not None and year in result.years:
            central = _cached(result.target_schools, ("central", year), lambda: _schools(
                result.central[result.central["year"] == year]))
            reps = _cached(result.target_schools, ("replicates", year), lambda: _schools(
                result.replicates[result.replicates["year"] == year], by=("scenario",)))
            (share,), (n,) = _resource_shares(central, inds, scope)
            r, n_r = _resource_shares(reps, inds, scope)
            r = pd.Series(r[n_r > 0])
            return out | {"kind": "projected", "share": share, "n_schools": float(n),
                          "low": min(r.quantile(lo), share), "high": max(r.quantile(hi), share)}
        return out | {"note": "该年份既无实际数据也不在预测范围内"}
    if set(inds) <= rules:
        if year in history.schools:
            flags = _cached(cache, ("flags", year), lambda: _schools(
                result.observed_flags[year] if year in result.observed_flags
                else school_rule_flags(history.schools[year], history.classes.get(year), profile)))
            (share,), (n,) = _rule_shares(flags, inds, scope)
            if not n:
                return out | {"note": f"{'、'.join(inds)}缺少逐校数据，无法计算"}
            return out | {"kind": "observed", "share": share, "n_schools": float(n)}
        if result.rule_flags is not None and year in result.years:
            if "G5" in inds:
                return out | {"note": "G5班额取决于分班，本步骤不预测；见第04步"}
            f = _cached(result.target_schools, ("rule_flags", year),
                        lambda: result.rule_flags[result.rule_flags["year"] == year])
            central = _cached(result.target_schools, ("rule_central", year), lambda: _schools(f[f["scenario"] == -1]))
            (share,), (n,) = _rule_shares(central, inds, scope)
            if not n:
                return out | {"note": f"{'、'.join(inds)}缺少逐校数据，无法预测"}
            reps = _cached(result.target_schools, ("rule_replicates", year),
                           lambda: _schools(f[f["scenario"] >= 0], by=("scenario",)))
            r, n_r = _rule_shares(reps, inds, scope)
            r = pd.Series(r[n_r > 0])
            return out | {"kind": "projected", "share": share, "n_schools": float(n),
                          "low": min(r.quantile(lo), share), "high": max(r.quantile(hi), share)}
        return out | {"note": "该年份既无实际数据也不在预测范围内"}
    unknown = sorted(set(inds) - resources - rules)
    return out | {"note": f"{'、'.join(unknown) or '混合指标'}不是逐校可计算的指标（资源指标与G3/G4/G5不能组合），"
                          "本步骤不比较"}


def target_comparison(targets: pd.DataFrame | None, history: History, result: Projection, profile: dict
                      ) -> pd.DataFrame:
    """The county's own yearly targets (年度目标) against actual shares (past years) and projected shares.

    Resource indicators (R1–R7, combinations such as ``R4+R5``): share of evaluated school-sections meeting all
    of them. G3/G4/G5: share of schools meeting the step-04 rule (G5 is compared for past years only).
    Observed years: ``met`` / ``not_met``. Projected years: on_track / at_risk / off_track from the band.
    """
    cols = ["indicator", "scope", "year", "target_share", "kind", "share", "low", "high", "n_schools", "status",
            "status_zh", "note"]
    if targets is None or targets.empty:
        return pd.DataFrame(columns=cols)
    if "target_share" in targets:  # counts and wordings (新建1所小学, 基本消除大班额): analysis.evaluate.targets
        targets = targets[pd.to_numeric(targets["target_share"], errors="coerce").notna()]
    cache: dict = {}
    out = []
    for r in targets.itertuples(index=False):
        scope = "" if pd.isna(getattr(r, "scope", "")) else str(r.scope)
        scope_mask(history.school_indicators[history.base_year].head(0), scope)  # validates the label
        row = {"indicator": r.indicator, "scope": scope or "全部", "year": int(r.year),
               "target_share": float(r.target_share)}
        row |= _target_share(target_indicators(r.indicator), scope, int(r.year), history, result, profile, cache)
        if row["kind"] == "observed":
            row["status"] = MET if meets(row["share"], row["target_share"], ">=") else NOT_MET
        elif row["kind"] == "projected":
            row["status"] = band_status([row["low"]], [row["high"]], [row["share"]], [row["target_share"]],
                                        ">=", REL_TOL)[0]
        else:
            row["status"] = ""
        out.append(row)
    frame = pd.DataFrame(out)
    frame["status_zh"] = frame["status"].map(TARGET_ZH).fillna("")
    return frame[cols]


def target_series(targets: pd.DataFrame | None, history: History, result: Projection, profile: dict
                  ) -> pd.DataFrame:
    """Compliant-school share of every (indicator, scope) of the target table in every observed and projected
    year (the context of the targets): indicator, scope, year, kind, share, low, high."""
    cols = ["indicator", "scope", "year", "kind", "share", "low", "high"]
    if targets is None or targets.empty:
        return pd.DataFrame(columns=cols)
    scopes = targets["scope"].fillna("").astype(str) if "scope" in targets else pd.Series("", index=targets.index)
    pairs = dict.fromkeys(zip(targets["indicator"].astype(str), scopes.map(lambda s: s or "全部"), strict=True))
    cache: dict = {}
    rows = []
    for ind, scope in pairs:
        inds = target_indicators(ind)
        for y in [*history.years, *result.years]:
            got = _target_share(inds, scope, y, history, result, profile, cache)
            if got["kind"]:
                rows.append((ind, scope, y, got["kind"], got["share"], got["low"], got["high"]))
    return pd.DataFrame(rows, columns=cols)
