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
    # every year's rows of ``keys`` and the breaks once, not once per field
    by_year = {y: frames_by_year[y].set_index(key).reindex(idx) for y in window}
    mask = breaks_mask(keys["school_code"].tolist(), window, breaks)
    out = {}
    for f in fields:
        series = np.column_stack([by_year[y][f].to_numpy(dtype=float) if f in by_year[y]
                                  else np.full(len(idx), np.nan) for y in window])
        central, reps = trend_paths(series, window, draws, mask)
        central, reps = np.maximum(central, 0), np.maximum(reps, 0)  # a stock is never negative
        if plan is not None:
            rows = plan[plan["field"] == f]
            last = series[:, window.index(base)]
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
