"""Enrollment (在校生预测): grade counts, shrunk transition rates, cohort and intake paths per school."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.evaluate.indicators import STUDENT_COLUMNS
from analysis.evaluate.projection.history import History
from analysis.evaluate.projection.trend import breaks_mask, trend_paths, trend_window


@dataclass
class Paths:
    """Projected series: key columns, central (K × H) and replicates (B × K × H) for ``years``."""

    keys: pd.DataFrame
    years: list[int]
    central: np.ndarray
    reps: np.ndarray

    def central_frame(self, name: str = "value") -> pd.DataFrame:
        k, h = self.central.shape
        out = self.keys.iloc[np.repeat(np.arange(k), h)].reset_index(drop=True)
        out["year"] = np.tile(self.years, k)
        out[name] = self.central.reshape(-1)
        return out


def grade_counts(classes_by_year: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Students by year, school, section and grade (年级学生数) from the class tables."""
    frames = [c.assign(year=y) for y, c in sorted(classes_by_year.items())]
    if not frames:
        return pd.DataFrame(columns=["year", "school_code", "section", "grade", "students"])
    gc = pd.concat(frames, ignore_index=True)
    gc["students"] = gc["students"].astype(float)
    return gc.groupby(["year", "school_code", "section", "grade"], as_index=False)["students"].sum()


def transition_rates(gc: pd.DataFrame, section: str, years: list[int], breaks: set[tuple[str, int]], k: float
                     ) -> dict:
    """Grade transition rates (升级率) of one section over the year pairs of ``years``.

    For each consecutive-year pair and grade g (not the last grade) the county rate is Σ pupils in g+1 next year
    / Σ pupils in g, over schools with class data in both years and no merge in between. A school's pooled
    rate is shrunk to the county rate: ``(num + k·county) / (den + k)``. Returns arrays indexed by school code.
    """
    part = gc[gc["section"] == section]
    grades = sorted(part["grade"].astype(int).unique())
    wide = {}
    for y in years:
        py = part[part["year"] == y]
        wide[y] = (py.groupby(["school_code", "grade"])["students"].sum().unstack("grade")
                   .reindex(columns=grades).fillna(0.0) if len(py)
                   else pd.DataFrame(columns=grades, index=pd.Index([], name="school_code"), dtype=float))
    pairs = list(zip(years[:-1], years[1:], strict=True))
    nums, dens = [], []
    for t1, t2 in pairs:
        if t2 - t1 != 1 or len(grades) < 2:
            nums.append(None)
            dens.append(None)
            continue
        both = [c for c in wide[t1].index.intersection(wide[t2].index) if (c, t2) not in breaks]
        dens.append(wide[t1].loc[both, grades[:-1]])
        nums.append(wide[t2].loc[both, grades[1:]].set_axis(grades[:-1], axis=1))
    valid = [j for j, d in enumerate(dens) if d is not None]
    return {"grades": grades, "wide": wide, "pairs": pairs, "nums": nums, "dens": dens, "valid": valid, "k": k}


def _rate_arrays(tr: dict, schools: list[str]) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """(central I × G-1, per pair P × I × G-1, table of pooled rates) for ``schools``."""
    g = tr["grades"][:-1]
    n_pairs, k = len(tr["pairs"]), tr["k"]
    zero = pd.DataFrame(0.0, index=schools, columns=g)
    num_all = sum((tr["nums"][j].sum() for j in tr["valid"]), pd.Series(0.0, index=g))
    den_all = sum((tr["dens"][j].sum() for j in tr["valid"]), pd.Series(0.0, index=g))
    county = (num_all / den_all.where(den_all > 0)).fillna(1.0)  # no pupils anywhere: the cohort moves up intact
    num_s = sum((tr["nums"][j].reindex(schools).fillna(0) for j in tr["valid"]), zero)
    den_s = sum((tr["dens"][j].reindex(schools).fillna(0) for j in tr["valid"]), zero)
    central = ((num_s + k * county) / (den_s + k)).to_numpy()
    per_pair = np.repeat(central[None], max(n_pairs, 1), axis=0)
    for j in tr["valid"]:
        n_j, d_j = tr["nums"][j], tr["dens"][j]
        county_j = (n_j.sum() / d_j.sum().where(d_j.sum() > 0)).fillna(county)
        per_pair[j] = ((n_j.reindex(schools).fillna(0) + k * county_j) / (d_j.reindex(schools).fillna(0) + k)
                       ).to_numpy()
    table = pd.DataFrame({"school_code": np.repeat(schools, len(g)), "grade": np.tile(g, len(schools)),
                          "pupils": den_s.to_numpy().reshape(-1), "next_grade": num_s.to_numpy().reshape(-1),
                          "county_rate": np.tile(county.to_numpy(), len(schools)),
                          "rate": central.reshape(-1)})
    return central, per_pair, table


def project_enrollment(history: History, years: list[int], draws: np.ndarray, settings: dict,
                       breaks: set[tuple[str, int]] = frozenset(), intake: pd.DataFrame | None = None
                       ) -> tuple[Paths, pd.DataFrame]:
    """Students per school and section (primary, junior, senior) for ``years`` (see module docstring).

    Returns ``(paths, rates)``: paths keyed by school_code, section, method (cohort | trend, ``+intake`` when the
    intake file was used) and the pooled transition-rate table of the cohort schools.
    """
    base = history.base_year
    window = trend_window(history.years, settings)
    schools = history.schools[base]
    gc = grade_counts({y: c for y, c in history.classes.items() if y in window})
    h_n, b_n = len(years), draws.shape[0]
    keys, centrals, reps, rate_tables = [], [], [], []
    for section, col in STUDENT_COLUMNS.items():
        if col not in schools:
            continue
        base_n = schools.set_index("school_code")[col].fillna(0).astype(float)
        active = base_n[base_n > 0]
        if active.empty:
            continue
        grades_y = gc[(gc["year"] == base) & (gc["section"] == section)]
        totals = grades_y.groupby("school_code")["students"].sum()
        cohort = [c for c in active.index if totals.get(c, 0) > 0]
        trend = [c for c in active.index if c not in set(cohort)]
        if cohort:
            tr = transition_rates(gc, section, window, breaks, settings["shrinkage_students"])
            c_central, c_reps, table = _cohort_paths(tr, cohort, base, window, draws, years, breaks, intake,
                                                     section)
            scale = (active[cohort] / totals[cohort]).to_numpy()
            centrals.append(c_central * scale[:, None])
            reps.append(c_reps * scale[None, :, None])
            used = set() if intake is None else set(intake.loc[intake["section"] == section, "school_code"])
            keys += [(c, section, "cohort+intake" if c in used else "cohort") for c in cohort]
            rate_tables.append(table.assign(section=section))
        if trend:
            series = pd.DataFrame({y: history.schools[y].set_index("school_code")[col].astype(float)
                                   if col in history.schools[y] else np.nan for y in window}).reindex(trend)
            t_central, t_reps = trend_paths(series.to_numpy(), window, draws,
                                            breaks_mask(trend, window, breaks), growth=True)
            centrals.append(t_central)
            reps.append(t_reps)
            keys += [(c, section, "trend") for c in trend]
    key_frame = pd.DataFrame(keys, columns=["school_code", "section", "method"])
    central = np.vstack(centrals) if centrals else np.zeros((0, h_n))
    rep = np.concatenate(reps, axis=1) if reps else np.zeros((b_n, 0, h_n))
    rates = pd.concat(rate_tables, ignore_index=True) if rate_tables else pd.DataFrame()
    return Paths(key_frame, list(years), np.rint(central), np.rint(rep)), rates


def _cohort_paths(tr: dict, schools: list[str], base: int, window: list[int], draws: np.ndarray,
                  years: list[int], breaks: set, intake: pd.DataFrame | None, section: str):
    r_central, r_pair, table = _rate_arrays(tr, schools)
    v0 = tr["wide"][base].reindex(schools).fillna(0).to_numpy()
    e_central, e_reps, shares = intake_paths(tr, schools, window, draws, breaks)
    table = table.merge(shares, on="school_code", how="left")
    if intake is not None:
        given = intake[intake["section"] == section].set_index(["school_code", "year"])["students"]
        for i, c in enumerate(schools):
            for h, y in enumerate(years):
                if (c, y) in given.index:
                    e_central[i, h] = e_reps[:, i, h] = float(given.loc[(c, y)])
    h_n, b_n = len(years), draws.shape[0]
    central = np.zeros((len(schools), h_n))
    reps = np.zeros((b_n, len(schools), h_n))
    v, vb = v0.copy(), np.repeat(v0[None], b_n, axis=0)
    for h in range(h_n):
        nxt = np.zeros_like(v)
        nxt[:, 1:] = v[:, :-1] * r_central
        nxt[:, 0] = e_central[:, h]
        v = nxt
        nb = np.zeros_like(vb)
        nb[:, :, 1:] = vb[:, :, :-1] * r_pair[draws[:, h]]
        nb[:, :, 0] = e_reps[:, :, h]
        vb = nb
        central[:, h] = v.sum(axis=1)
        reps[:, :, h] = vb.sum(axis=2)
    return central, reps, table


def intake_paths(tr: dict, schools: list[str], window: list[int], draws: np.ndarray, breaks: set
                 ) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Entrants to the section's first grade (起始年级新生) per school: county entrants × the school's share.

    County entrants follow their mean annual growth rate (on ``log(1 + n)``); a school's share is its mean share
    of county entrants over the window (years before a merge into it are left out). A school's own intake trend
    is not used: with a few years of small, noisy counts it extrapolates to zero or explodes. Replicate b takes
    the county change and the school's share of the drawn year. Returns ``(central I×H, replicates B×I×H,
    table of shares)``.
    """
    entry_grade = tr["grades"][0]
    county = np.array([tr["wide"][y][entry_grade].sum() for y in window], dtype=float)
    entry = pd.DataFrame({y: tr["wide"][y][entry_grade] for y in window}).reindex(schools)
    for c, y in breaks:
        if c in entry.index:
            entry.loc[c, [w for w in window if w < y]] = np.nan
    share = entry.to_numpy() / np.where(county > 0, county, np.nan)[None, :]
    seen = ~np.isnan(share)
    mean = np.where(seen.any(axis=1), np.where(seen, share, 0).sum(axis=1) / np.maximum(seen.sum(axis=1), 1), 0.0)
    c_central, c_reps = trend_paths(county[None, :], window, draws, growth=True)
    by_pair = np.where(seen[:, 1:], share[:, 1:], mean[:, None])  # share in the later year of each pair
    central = mean[:, None] * c_central[0][None, :]
    reps = by_pair[:, draws].transpose(1, 0, 2) * c_reps[:, 0, :][:, None, :]
    table = pd.DataFrame({"school_code": schools, "intake_share": mean})
    return central, reps, table
