"""The county's annual targets (县定年度目标): scopes, compliant shares, the comparison with the targets and
the series behind the target chart."""

from __future__ import annotations

import re

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


def compliant_share(values: pd.DataFrame, indicators: list[str], scope: str, by: tuple[str, ...] = ()
                    ) -> pd.DataFrame:
    """Share of schools in ``scope`` meeting every indicator in ``indicators`` (达标学校比例): a school with two
    evaluated sections (九年一贯制) counts once and meets when each of its sections does."""
    mask = scope_mask(values, scope).to_numpy()
    met = np.ones(int(mask.sum()), dtype=bool)
    for ind in indicators:
        met &= meets(values[ind].to_numpy()[mask], values[f"{ind}_std"].to_numpy()[mask], ">=")
    # 003 counts schools ("达标学校比例"), for the observed and central share as for every replicate
    frame = values.loc[mask, ["school_code", *by]].assign(met=met).groupby(
        ["school_code", *by], sort=False, as_index=False)["met"].all().drop(columns="school_code")
    if by:
        g = frame.groupby(list(by), sort=False)["met"]
        return g.mean().reset_index(name="share").merge(g.size().reset_index(name="n_schools"), on=list(by))
    return pd.DataFrame({"share": [frame["met"].mean() if len(frame) else np.nan], "n_schools": [len(frame)]})


def _rule_share(flags: pd.DataFrame, rules: list[str], scope: str, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Share of schools in ``scope`` meeting every per-school rule in ``rules`` (G3/G4/G5 flags)."""
    part = flags[scope_mask(flags, scope)]
    part = part[part[rules].notna().all(axis=1)]
    met = (part[rules] == 1).all(axis=1)
    frame = part[list(by)].assign(met=met.to_numpy())
    if by:
        g = frame.groupby(list(by), sort=False)["met"]
        return g.mean().reset_index(name="share").merge(g.size().reset_index(name="n_schools"), on=list(by))
    return pd.DataFrame({"share": [met.mean() if len(met) else np.nan], "n_schools": [len(met)]})


def _year_rows(cache: dict, name: str, frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """The rows of ``year`` of a projected frame, cut once per comparison (the replicates are large)."""
    if (name, year) not in cache:
        cache[(name, year)] = frame[frame["year"] == year]
    return cache[(name, year)]


def _target_share(inds: list[str], scope: str, year: int, history: History, result: Projection, profile: dict,
                  cache: dict) -> dict:
    """kind, share, low, high, n_schools, note of one (indicator set, scope, year); ``cache`` keeps what the
    rows of one comparison share (rule flags per year, per-year slices of the projection)."""
    resources, rules = set(indicator_ids(profile)), set(SCHOOL_RULES)
    lo, hi = method_settings(profile)["band"]
    out = {"kind": "", "share": np.nan, "low": np.nan, "high": np.nan, "n_schools": np.nan, "note": ""}
    if set(inds) <= resources:
        if year in history.school_indicators:
            s = compliant_share(history.school_indicators[year], inds, scope).iloc[0]
            return out | {"kind": "observed", "share": s["share"], "n_schools": s["n_schools"]}
        if result.central is not None and year in result.years:
            c = compliant_share(_year_rows(cache, "central", result.central, year), inds, scope).iloc[0]
            r = compliant_share(_year_rows(cache, "replicates", result.replicates, year), inds, scope,
                                by=("scenario",))["share"]
            return out | {"kind": "projected", "share": c["share"], "n_schools": c["n_schools"],
                          "low": min(r.quantile(lo), c["share"]), "high": max(r.quantile(hi), c["share"])}
        return out | {"note": "该年份既无实际数据也不在预测范围内"}
    if set(inds) <= rules:
        if year in history.schools:
            if ("flags", year) not in cache:
                cache[("flags", year)] = school_rule_flags(history.schools[year], history.classes.get(year), profile)
            s = _rule_share(cache[("flags", year)], inds, scope).iloc[0]
            if not s["n_schools"]:
                return out | {"note": f"{'、'.join(inds)}缺少逐校数据，无法计算"}
            return out | {"kind": "observed", "share": s["share"], "n_schools": s["n_schools"]}
        if result.rule_flags is not None and year in result.years:
            if "G5" in inds:
                return out | {"note": "G5班额取决于分班，本步骤不预测；见第04步"}
            f = _year_rows(cache, "rule_flags", result.rule_flags, year)
            c = _rule_share(f[f["scenario"] == -1], inds, scope).iloc[0]
            if not c["n_schools"]:
                return out | {"note": f"{'、'.join(inds)}缺少逐校数据，无法预测"}
            r = _rule_share(f[f["scenario"] >= 0], inds, scope, by=("scenario",))["share"]
            return out | {"kind": "projected", "share": c["share"], "n_schools": c["n_schools"],
                          "low": min(r.quantile(lo), c["share"]), "high": max(r.quantile(hi), c["share"])}
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
