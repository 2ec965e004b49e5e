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
    """Status of every thresholded indicator at each milestone after the base year, with ``reach_year``."""
    cols = ["level", "school_code", "school_name", "section", "indicator", "milestone_id", "milestone_zh",
            "milestone_year", "base_value", "value", "low", "high", "threshold", "comparator", "status",
            "status_zh", "reach_year"]
    rows = result.rows
    rows = rows[(rows["comparator"] != "") & rows["threshold"].notna() & (rows["year"] >= result.base_year)]
    if rows.empty or not result.years:
        return pd.DataFrame(columns=cols)
    keys = ["level", "school_code", "section", "indicator"]
    out = []
    for key, part in rows.groupby(keys, sort=False):
        part = part.sort_values("year")
        by_year = part.set_index("year")
        tol = REL_TOL if key[0] == "school" else 0.0
        comp = part["comparator"].iloc[-1]
        reach = reach_year(part["year"], part["value"], part["threshold"].iloc[-1], comp, tol)
        base_value = by_year["value"].get(result.base_year, np.nan)
        for m in result.milestones:
            y = int(m["year"])
            if y not in by_year.index:
                continue
            r = by_year.loc[y]
            out.append(dict(zip(keys, key, strict=True), school_name=r["school_name"], milestone_id=m.get("id", ""),
                            milestone_zh=m.get("zh", ""), milestone_year=y, base_value=base_value,
                            value=r["value"], low=r["low"], high=r["high"], threshold=r["threshold"],
                            comparator=comp, status=r["status"], reach_year=reach))
    frame = pd.DataFrame(out)
    if frame.empty:
        return pd.DataFrame(columns=cols)
    frame["status_zh"] = frame["status"].map(PROJECTION_ZH)
    return frame[cols]


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
