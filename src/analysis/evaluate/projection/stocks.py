"""Resource stocks (资源存量预测): trend paths of each school's stocks, or the county's planned investment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.evaluate.projection.enrollment import Paths
from analysis.evaluate.projection.trend import breaks_mask, trend_paths, trend_window


def project_stocks(frames_by_year: dict[int, pd.DataFrame], key: list[str], fields: list[str], keys: pd.DataFrame,
                   years: list[int], draws: np.ndarray, settings: dict, breaks: set[tuple[str, int]] = frozenset(),
                   plan: pd.DataFrame | None = None) -> dict[str, Paths]:
    """Trend paths of each stock field for the rows ``keys`` (school, or school and section); a plan replaces the
    trend of the (row, field) pairs it names: value_t = value_Y + Σ planned amounts of years ≤ t."""
    window = trend_window(sorted(frames_by_year), settings)
    base = window[-1]
    idx = pd.MultiIndex.from_frame(keys[key]) if len(key) > 1 else pd.Index(keys[key[0]])
    codes = keys["school_code"].tolist()
    indexed = {y: frames_by_year[y].set_index(key) for y in window}  # once, not once per field
    out = {}
    for f in fields:
        series = pd.DataFrame({y: indexed[y][f].astype(float) if f in indexed[y] else np.nan
                               for y in window}).reindex(idx)
        central, reps = trend_paths(series.to_numpy(), window, draws, breaks_mask(codes, window, breaks))
        central, reps = np.maximum(central, 0), np.maximum(reps, 0)  # a stock is never negative
        if plan is not None:
            rows = plan[plan["field"] == f]
            last = series[base].to_numpy()
            for k_vals, grp in rows.groupby(key, sort=False):
                k_vals = k_vals if isinstance(k_vals, tuple) else (k_vals,)
                label = k_vals if len(key) > 1 else k_vals[0]
                if label not in idx:
                    continue
                i = idx.get_loc(label)
                add = np.array([grp.loc[(grp["year"] > base) & (grp["year"] <= y), "amount"].sum() for y in years])
                central[i] = reps[:, i] = np.maximum(np.nan_to_num(last[i]) + add, 0)
        out[f] = Paths(keys, list(years), central, reps)
    return out
