"""The projection (预测): central and replicate scenarios built from enrollment and stocks, evaluated with
the standards of step 02, and the projected rows with their bands and status (on_track / at_risk / off_track)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.evaluate.indicators import STUDENT_COLUMNS, evaluate, indicator_ids
from analysis.evaluate.milestones import projected as projected_milestones
from analysis.evaluate.projection.enrollment import Paths, project_enrollment
from analysis.evaluate.projection.history import (
    History,
    county_measures,
    item_panel,
    observed_rows,
    rule_shares,
    school_changes,
    school_rows,
    school_rule_flags,
    structural_breaks,
)
from analysis.evaluate.projection.method import (
    PROJECTION_COLUMNS,
    SECTIONS,
    TEACHER_FIELDS,
    method_settings,
)
from analysis.evaluate.projection.stocks import project_stocks
from analysis.evaluate.projection.trend import draw_pairs, trend_paths, trend_window
from analysis.standards.compare import REL_TOL, meets
from analysis.standards.status import AT_RISK, OFF_TRACK, ON_TRACK


@dataclass
class Projection:
    """Everything step 05 computes for one county and base year."""

    base_year: int
    years: list[int]
    milestones: list[dict]
    rows: pd.DataFrame                       # long layout (contract columns + school_name, comparator, kind)
    changes: pd.DataFrame                    # schools across years
    enrollment: Paths | None = None
    rates: pd.DataFrame | None = None
    central: pd.DataFrame | None = None      # evaluated projected school-sections, central scenario
    enrollment_only: pd.DataFrame | None = None  # stocks frozen at the base year, students projected
    replicates: pd.DataFrame | None = None   # evaluated replicates (``scenario`` 0…B-1)
    rule_flags: pd.DataFrame | None = None   # G3/G4 per projected school, year and scenario (central = -1)
    observed_flags: dict[int, pd.DataFrame] = field(default_factory=dict)  # G3/G4/G5 per school, observed years
    # each projected year's schools, worked out once for every target comparison (analysis...projection.targets)
    target_schools: dict = field(default_factory=dict, repr=False)
    notes: list[str] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """``projection.csv`` (contract columns only)."""
        return self.rows[PROJECTION_COLUMNS].reset_index(drop=True)


def future_milestones(profile: dict, base_year: int) -> list[dict]:
    """Milestones to project: dated, assessed, after the base year (past ones: analysis.evaluate.milestones)."""
    return projected_milestones(profile, base_year)


def project(history: History, profile: dict, planned: pd.DataFrame | None = None,
            intake: pd.DataFrame | None = None) -> Projection:
    """Observed panel plus projections to every year up to the last milestone after the base year."""
    settings = method_settings(profile)
    base = history.base_year
    milestones = future_milestones(profile, base)
    years = list(range(base + 1, int(milestones[-1]["year"]) + 1)) if milestones else []
    changes = school_changes(history.schools, settings["merge_min_share"])
    flags = {y: school_rule_flags(history.schools[y], history.classes.get(y), profile) for y in history.years}
    observed = observed_rows(history, profile, flags)
    result = Projection(base, years, milestones, observed, changes, observed_flags=flags)
    window = trend_window(history.years, settings)
    if not years:
        result.notes.append(f"标准配置中没有{base}年以后的时间节点，无需预测。")
    elif len(window) < settings["min_history_years"]:
        result.notes.append(
            f"仅有{len(window)}年数据（{'、'.join(map(str, window))}），预测至少需要{settings['min_history_years']}年"
            "历史数据；本次只列出实际值，不做预测。")
    if result.notes:
        result.rows = _finish(observed)
        return result

    breaks = structural_breaks(changes)
    draws = draw_pairs(len(window) - 1, len(years), settings)
    enrollment, rates = project_enrollment(history, years, draws, settings, breaks, intake)
    schools_y, teachers_y = history.schools[base], history.teachers[base]
    school_keys = schools_y[["school_code"]].reset_index(drop=True)
    # facility stocks of the indicators, plus the music/art rooms of G3 (counts and areas)
    g3_stocks = ("music_rooms", "music_rooms_m2", "art_rooms", "art_rooms_m2")
    facility = [f for f in (*profile["split_fields"], *g3_stocks) if f in schools_y]
    plan_f = planned[planned["kind"] == "facility"] if planned is not None else None
    plan_t = planned[planned["kind"] == "teacher"] if planned is not None else None
    stocks = project_stocks(history.schools, ["school_code"], facility, school_keys, years, draws, settings,
                            breaks, plan_f)
    teacher_keys = teachers_y.loc[teachers_y["section"].isin(SECTIONS)
                                  & teachers_y["school_code"].isin(schools_y["school_code"]),
                                  ["school_code", "section"]].reset_index(drop=True)
    t_fields = [f for f in TEACHER_FIELDS if f in teachers_y]
    t_stocks = project_stocks(history.teachers, ["school_code", "section"], t_fields, teacher_keys, years, draws,
                              settings, breaks, plan_t)

    schools_s, teachers_s = scenario_inputs(schools_y, teachers_y[teachers_y["section"].isin(SECTIONS)],
                                            enrollment, stocks, t_stocks, teacher_keys, years)
    values, _ = evaluate(schools_s, teachers_s, profile)
    codes, n_sc = schools_y["school_code"].astype(str), len(draws) + FIRST_REP
    flags = _decode(school_rule_flags(schools_s, None, profile), codes, years, n_sc)
    flags["scenario"] = np.where(flags["scenario"] == CENTRAL, -1,
                                 np.where(flags["scenario"] == FROZEN, -2, flags["scenario"] - FIRST_REP))
    result.rule_flags = flags
    values = _decode(values, codes, years, n_sc)
    result.enrollment, result.rates = enrollment, rates
    result.central = values[values["scenario"] == CENTRAL].drop(columns="scenario").reset_index(drop=True)
    result.enrollment_only = values[values["scenario"] == FROZEN].drop(columns="scenario").reset_index(drop=True)
    reps = values[values["scenario"] >= FIRST_REP].reset_index(drop=True)
    result.replicates = reps.assign(scenario=reps["scenario"] - FIRST_REP)

    projected = _projected_rows(result, history, profile, settings)
    result.rows = _finish(pd.concat([observed, projected], ignore_index=True))
    return result


CENTRAL, FROZEN, FIRST_REP = 0, 1, 2  # scenario ids in the stacked evaluation


def _decode(frame: pd.DataFrame, codes: pd.Series, years: list[int], n_scenarios: int) -> pd.DataFrame:
    """``school_code`` of ``frame``, a row number of the stacked school table of :func:`scenario_inputs` (rows
    ordered year, scenario, school; ``codes`` the schools), back to the school's code, the year and the scenario."""
    row, k = frame["school_code"].to_numpy(), len(codes)
    return frame.assign(school_code=codes.to_numpy()[row % k], year=np.asarray(years)[row // (k * n_scenarios)],
                        scenario=row // k % n_scenarios)


def scenario_inputs(schools: pd.DataFrame, teachers: pd.DataFrame, enrollment: Paths, stocks: dict[str, Paths],
                    t_stocks: dict[str, Paths], teacher_keys: pd.DataFrame, years: list[int]
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Projected school and teacher tables for every (year, scenario), stacked in (year, scenario, school) order.
    Scenario 0 = central, 1 = stocks frozen at the base year with projected students, 2… = bootstrap replicates.

    ``school_code`` becomes the row number of the school-year-scenario in the stacked school table (a teacher row
    gets its school's): the evaluation matches schools and teachers by it, and :func:`_decode` turns it back into
    code, year and scenario by arithmetic (joined strings took longer to split than to evaluate)."""
    b_n = enrollment.reps.shape[0]
    n_sc = b_n + FIRST_REP
    h_n = len(years)
    sch = schools.reset_index(drop=True)
    k = len(sch)

    def stack(central: np.ndarray, reps: np.ndarray, frozen: np.ndarray) -> np.ndarray:
        # (scenario, row, year) → flattened in (year, scenario, row) order
        return np.concatenate([central[None], frozen[None], reps], axis=0).transpose(2, 0, 1).reshape(-1)

    def expand(base: pd.DataFrame, school: np.ndarray) -> pd.DataFrame:
        out = base.iloc[np.tile(np.arange(len(base)), h_n * n_sc)].reset_index(drop=True)
        out["school_code"] = np.repeat(np.arange(h_n * n_sc) * k, len(base)) + np.tile(school, h_n * n_sc)
        return out

    out_s = expand(sch, np.arange(k))
    for section, col in STUDENT_COLUMNS.items():
        if col not in sch:
            continue
        part = enrollment.keys["section"] == section
        pos = pd.Series(np.arange(part.sum()), index=enrollment.keys.loc[part, "school_code"].to_numpy())
        idx = sch["school_code"].map(pos)
        have = idx.notna().to_numpy()
        cen = np.zeros((k, h_n))
        rep = np.zeros((b_n, k, h_n))
        sel = idx[have].astype(int).to_numpy()
        cen[have] = enrollment.central[part.to_numpy()][sel]
        rep[:, have] = enrollment.reps[:, part.to_numpy()][:, sel]
        out_s[col] = stack(cen, rep, cen)
        classes = col.replace("students_", "classes_")
        if classes in sch:
            # classes follow the pupils at the school's current mean class size (for G3's rooms per 12 classes)
            size = (sch[col].astype(float) / sch[classes].astype(float)).where(sch[classes] > 0)
            per = np.tile(size.to_numpy(), h_n * n_sc)  # rows are ordered (year, scenario, school)
            n = out_s[col].to_numpy(dtype=float)
            out_s[classes] = np.where(np.isnan(per), out_s[classes].astype(float),
                                      np.ceil(n / per * (1 - REL_TOL)))
    for f, p in stocks.items():
        frozen = np.repeat(sch[f].astype(float).to_numpy()[:, None], h_n, axis=1)
        out_s[f] = stack(p.central, p.reps, frozen)
    tch = teacher_keys.merge(teachers, on=["school_code", "section"], how="left")
    school_of = pd.Index(sch["school_code"]).get_indexer(tch["school_code"])
    if (school_of < 0).any():
        raise ValueError("teacher_keys name schools that are not in the school table")
    out_t = expand(tch, school_of)
    for f, p in t_stocks.items():
        frozen = np.repeat(tch[f].astype(float).to_numpy()[:, None], h_n, axis=1)
        out_t[f] = stack(p.central, p.reps, frozen)
    return out_s, out_t


def _band(frame: pd.DataFrame, keys: list[str], value_cols: list[str], settings: dict) -> pd.DataFrame:
    lo, hi = settings["band"]
    g = frame.groupby(keys, sort=False)[value_cols]
    low = g.quantile(lo).add_suffix("_low")
    high = g.quantile(hi).add_suffix("_high")
    return low.join(high).reset_index()


def _school_band(reps: pd.DataFrame, profile: dict, settings: dict) -> pd.DataFrame:
    """The band of every school row (R*, school_pass, students) in the long layout of :func:`_band`, from one
    groupby of the wide replicates on integer group ids (the long rows are a million, with four keys). The
    values of a group keep their order, so pandas' quantiles give the same bits."""
    keys = ["school_code", "section", "year"]
    cols = [*indicator_ids(profile), "school_pass", "students"]
    group = reps.groupby(keys, sort=False, observed=True).ngroup().to_numpy()
    by_group = reps[keys].iloc[np.unique(group, return_index=True)[1]].reset_index(drop=True)  # row g: group g
    # both percentiles from one sort of each group; rows come group by group, each with low then high
    band = reps[cols].astype(float).groupby(group).quantile(list(settings["band"])).to_numpy()
    low, high = band.reshape(len(by_group), 2, len(cols)).transpose(1, 0, 2)
    return pd.concat([by_group.assign(indicator=c, value_low=low[:, k], value_high=high[:, k])
                      for k, c in enumerate(cols)], ignore_index=True)


def _projected_rows(result: Projection, history: History, profile: dict, settings: dict) -> pd.DataFrame:
    central, reps = result.central, result.replicates
    # school rows: central value and replicate band
    rows_c = school_rows(central, profile)
    band = _school_band(reps, profile, settings)
    school = rows_c.merge(band, on=["school_code", "section", "indicator", "year"], how="left")
    # county rows
    county_c = county_measures(central, profile, by=("year",))
    county_r = county_measures(reps, profile, by=("year", "scenario"))
    band_c = _band(county_r, ["year", "section", "indicator"], ["value"], settings)
    county = county_c.merge(band_c, on=["year", "section", "indicator"], how="left").assign(
        level="county", school_code="", school_name="")
    frames = [school, county]
    flags = result.rule_flags
    rules_c = rule_shares(flags[flags["scenario"] == -1], profile, by=("year",))
    if len(rules_c):
        rules_r = rule_shares(flags[flags["scenario"] >= 0], profile, by=("year", "scenario"))
        band_g = _band(rules_r, ["year", "section", "indicator"], ["value"], settings)
        frames.append(rules_c.merge(band_g, on=["year", "section", "indicator"], how="left").assign(
            level="county", school_code="", school_name=""))
    items = _projected_items(history, result.years, settings)
    if items is not None:
        frames.append(items)
    out = pd.concat(frames, ignore_index=True).rename(columns={"value_low": "low", "value_high": "high"})
    # The band always contains the central value (a school right at a threshold can otherwise sit just outside
    # the replicates, which use year-specific rather than pooled rates).
    out["low"] = np.fmin(out["low"], out["value"])
    out["high"] = np.fmax(out["high"], out["value"])
    out["kind"] = "projected"
    out["status"] = band_status(out["low"], out["high"], out["value"], out["threshold"], out["comparator"],
                                np.where(out["level"] == "school", REL_TOL, 0.0))
    return out


def _projected_items(history: History, years: list[int], settings: dict) -> pd.DataFrame | None:
    items = item_panel(history.items)
    window = trend_window(history.years, settings)
    items = items[items["year"].isin(window)]
    if items.empty:
        return None
    wide = items.pivot_table(index="item_id", columns="year", values="value", aggfunc="first").reindex(
        columns=window)
    ok = wide[window[-1]].notna() & (wide.notna().sum(axis=1) >= settings["min_history_years"])
    wide = wide[ok]
    if wide.empty:
        return None
    draws = draw_pairs(len(window) - 1, len(years), settings)
    central, reps = trend_paths(wide.to_numpy(), window, draws)
    central, reps = np.maximum(central, 0), np.maximum(reps, 0)
    last = items[items["year"] == window[-1]].set_index("item_id")
    thr = last["threshold"].reindex(wide.index)
    # rates (all observed values and the threshold within [0, 1]) stay within [0, 1]
    is_rate = ((wide.min(axis=1) >= 0) & (wide.max(axis=1) <= 1) & thr.fillna(0).between(0, 1)).to_numpy()
    central[is_rate] = np.minimum(central[is_rate], 1)
    reps[:, is_rate] = np.minimum(reps[:, is_rate], 1)
    lo, hi = settings["band"]
    keys = pd.DataFrame({"indicator": wide.index})
    p = Paths(keys, years, central, reps)
    out = p.central_frame()
    out["value_low"] = np.quantile(reps, lo, axis=0).reshape(-1)  # renamed with the other frames' bands
    out["value_high"] = np.quantile(reps, hi, axis=0).reshape(-1)
    out["threshold"] = out["indicator"].map(thr)
    out["comparator"] = out["indicator"].map(last["comparator"]).fillna("")
    return out.assign(level="county", school_code="", school_name="", section="")


def _finish(rows: pd.DataFrame) -> pd.DataFrame:
    out = rows.copy()
    for c in ("low", "high"):
        if c not in out:
            out[c] = np.nan
    out["section"] = out["section"].fillna("")
    out["school_code"] = out["school_code"].fillna("")
    out["comparator"] = out["comparator"].fillna("")
    out["status"] = out["status"].fillna("")
    level = out["level"].map({"county": 0, "school": 1})
    sec = out["section"].map({"primary": 0, "junior": 1, "": 2}).fillna(3)
    out = out.assign(_l=level, _s=sec).sort_values(["_l", "_s", "indicator", "school_code", "year"], kind="stable")
    cols = [*PROJECTION_COLUMNS, "school_name", "comparator", "kind"]
    return out[cols].reset_index(drop=True)


def band_status(low, high, value, threshold, comparator, rel_tol=0.0) -> np.ndarray:
    """on_track / at_risk / off_track per row (see module docstring); empty without threshold or comparator.
    A missing band end falls back to the central value."""
    low = pd.Series(np.asarray(low, dtype=float))
    high = pd.Series(np.asarray(high, dtype=float))
    value = pd.Series(np.asarray(value, dtype=float))
    thr = np.asarray(threshold, dtype=float)
    comp = np.broadcast_to(np.asarray(comparator, dtype=object), thr.shape)
    tol = np.broadcast_to(np.asarray(rel_tol, dtype=float), thr.shape)
    lo = low.fillna(value).to_numpy()
    hi = high.fillna(value).to_numpy()
    out = np.full(thr.shape, "", dtype=object)
    for c in set(comp) - {""}:
        m = (comp == c) & ~np.isnan(thr) & ~np.isnan(lo)
        a = meets(lo[m], thr[m], c, tol[m])
        b = meets(hi[m], thr[m], c, tol[m])
        out[m] = np.where(a & b, ON_TRACK, np.where(~a & ~b, OFF_TRACK, AT_RISK))
    return out
