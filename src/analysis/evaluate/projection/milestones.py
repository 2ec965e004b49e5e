"""Milestones (时间节点): the status at each milestone, the year a series reaches its threshold, the table
per milestone and the schools falling out of compliance."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.config import SECTION_ZH
from analysis.evaluate.projection.scenario import Projection
from analysis.standards.compare import REL_TOL, meets
from analysis.standards.status import (
    PROJECTION_ZH,
)


def reach_year(years, values, threshold: float, comparator: str, rel_tol: float = 0.0) -> float:
    """First year from which ``values`` pass through the last year (NaN when the last year fails)."""
    ok = meets(np.asarray(values, dtype=float), threshold, comparator, rel_tol)
    if not len(ok) or not ok[-1]:
        return np.nan
    first = len(ok)
    while first > 0 and ok[first - 1]:
        first -= 1
    return float(np.asarray(years)[first])


def milestone_status(result: Projection) -> pd.DataFrame:
    """Status of every thresholded indicator at each milestone after the base year, with ``reach_year``.

    One row per series (level, school, section, indicator) and milestone, series in the order they first appear
    in ``result.rows``; comparator and threshold of a series are those of its last year (as :func:`reach_year`
    is given them). Computed on whole columns: a loop over the series took most of a second.
    """
    cols = ["level", "school_code", "school_name", "section", "indicator", "milestone_id", "milestone_zh",
            "milestone_year", "base_value", "value", "low", "high", "threshold", "comparator", "status",
            "status_zh", "reach_year"]
    rows = result.rows
    rows = rows[(rows["comparator"] != "") & rows["threshold"].notna() & (rows["year"] >= result.base_year)]
    if rows.empty or not result.years:
        return pd.DataFrame(columns=cols)
    keys = ["level", "school_code", "section", "indicator"]
    rows = rows.assign(_series=rows.groupby(keys, sort=False).ngroup()).sort_values(["_series", "year"],
                                                                                   kind="stable")
    by_series = rows.groupby("_series", sort=False)
    comp = by_series["comparator"].transform("last").to_numpy()
    thr = by_series["threshold"].transform("last").to_numpy()
    tol = np.where(rows["level"] == "school", REL_TOL, 0.0)
    ok = np.zeros(len(rows), dtype=bool)
    for c in set(comp):
        m = comp == c
        ok[m] = meets(rows["value"].to_numpy(dtype=float)[m], thr[m], c, tol[m])
    # reach_year: the first year of the run of passing years that lasts to the series' end (NaN if it fails then)
    passes_on = pd.Series(ok, index=rows.index)[::-1].groupby(rows["_series"][::-1]).cummin()
    reach = rows["year"].astype(float).where(passes_on).groupby(rows["_series"]).transform("min")
    base_value = rows["value"].where(rows["year"] == result.base_year).groupby(rows["_series"]).transform("first")
    rows = rows.assign(comparator=comp, reach_year=reach, base_value=base_value)
    years = rows["year"].to_numpy()
    frames = []
    for k, m in enumerate(result.milestones):
        y = int(m["year"])
        part = rows[years == y]
        frames.append(part.assign(_milestone=k, milestone_id=m.get("id", ""), milestone_zh=m.get("zh", ""),
                                  milestone_year=y))
    frame = pd.concat(frames, ignore_index=True).sort_values(["_series", "_milestone"], kind="stable")
    if frame.empty:
        return pd.DataFrame(columns=cols)
    frame["status_zh"] = frame["status"].map(PROJECTION_ZH)
    return frame[cols].reset_index(drop=True)


def milestone_table(status: pd.DataFrame, base_year: int, level: str = "county") -> pd.DataFrame:
    """Wide display table: one row per indicator and section, one status column per milestone year."""
    part = status[status["level"] == level]
    if part.empty:
        return pd.DataFrame()
    wide = part.pivot_table(index=["section", "indicator"], columns="milestone_year", values="status_zh",
                            aggfunc="first", sort=False)
    wide.columns = [f"{c}年" for c in wide.columns]
    reach = part.groupby(["section", "indicator"], sort=False)["reach_year"].first()
    last = int(part["milestone_year"].max())
    wide["预计达标年份"] = reach.map(lambda v: f"至{last}年仍不达标" if pd.isna(v) else "现已达标" if v <= base_year
                                else f"{int(v)}")
    wide = wide.reset_index()
    wide["section"] = wide["section"].map(lambda s: SECTION_ZH.get(s, "全县"))
    return wide.rename(columns={"section": "学段", "indicator": "指标"})


def falling_out(result: Projection, observed: pd.DataFrame) -> pd.DataFrame:
    """School-sections that pass the 6-of-7 rule now but fail at a milestone because enrollment moves.

    ``observed`` = base-year school indicators. The enrollment-only scenario keeps every stock at its base-year
    value and projects only students, so a failure there is caused by enrollment alone.
    """
    cols = ["school_code", "school_name", "section", "milestone_year", "students_base", "students_projected",
            "change", "fails_central", "newly_missed", "reason"]
    if result.enrollment_only is None:
        return pd.DataFrame(columns=cols)
    now = observed[["school_code", "section", "students", "school_pass", "missed"]].rename(
        columns={"students": "students_base", "school_pass": "pass_base", "missed": "missed_base"})
    out = []
    for m in result.milestones:
        y = int(m["year"])
        eo = result.enrollment_only[result.enrollment_only["year"] == y]
        ce = result.central[result.central["year"] == y][["school_code", "section", "school_pass"]]
        f = now.merge(eo, on=["school_code", "section"], how="inner").merge(
            ce.rename(columns={"school_pass": "pass_central"}), on=["school_code", "section"], how="left")
        f = f[f["pass_base"].astype(bool) & ~f["school_pass"].astype(bool)]
        for r in f.itertuples():
            base_missed = set(str(r.missed_base).split(";")) - {"", "nan"}
            new = [i for i in str(r.missed).split(";") if i and i not in base_missed]
            out.append({"school_code": r.school_code, "school_name": r.school_name, "section": r.section,
                        "milestone_year": y, "students_base": r.students_base, "students_projected": r.students,
                        "change": r.students - r.students_base, "fails_central": not bool(r.pass_central) if pd.notna(r.pass_central) else True,
                        "newly_missed": ";".join(new), "reason": r.reason})
    return pd.DataFrame(out, columns=cols)
