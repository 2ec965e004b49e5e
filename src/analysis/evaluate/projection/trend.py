"""Trends with a bootstrap band (趋势与自助抽样): year-pair draws and per-series trend paths."""

from __future__ import annotations

import numpy as np


def trend_window(history_years: list[int], settings: dict) -> list[int]:
    base = history_years[-1]
    return [y for y in history_years if y > base - settings["trend_window_years"]]


def draw_pairs(n_pairs: int, horizon: int, settings: dict) -> np.ndarray:
    """Bootstrap over years: for each replicate and future year, the index of an observed year pair."""
    rng = np.random.default_rng(settings["seed"])
    return rng.integers(0, n_pairs, size=(settings["replicates"], horizon))


def trend_paths(values: np.ndarray, years: list[int], draws: np.ndarray, breaks: np.ndarray | None = None,
                growth: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Trend projection of K series observed in ``years`` (K × len(years), NaN = not observed).

    Central: ``last + h × mean annual change`` for h = 1…H; replicate b: ``last + Σ_{m≤h} change[pair b,m]``
    (a missing change takes the series' mean change). ``breaks`` (K × pairs, True = structural break) drops a
    change. Returns ``(central K×H, replicates B×K×H)``; callers floor stocks at 0.

    ``growth=True`` (pupil counts): the same on ``log(1 + x)``, i.e. the mean annual *growth rate*, so a shrinking
    intake decays geometrically instead of reaching zero on a straight line; zeros are allowed.
    """
    values = np.asarray(values, dtype=float)
    if growth:
        central, reps = trend_paths(np.log1p(np.maximum(values, 0)), years, draws, breaks)
        return np.maximum(np.expm1(central), 0), np.maximum(np.expm1(reps), 0)
    gaps = np.diff(np.asarray(years, dtype=float))
    delta = np.diff(values, axis=1) / gaps
    if breaks is not None:
        delta = np.where(breaks, np.nan, delta)
    observed = ~np.isnan(delta)
    n = observed.sum(axis=1)
    slope = np.where(n > 0, np.where(observed, delta, 0).sum(axis=1) / np.maximum(n, 1), 0.0)
    filled = np.where(observed, delta, slope[:, None])
    last = values[:, -1]
    horizon = draws.shape[1]
    steps = np.arange(1, horizon + 1)
    central = last[:, None] + slope[:, None] * steps[None, :]
    reps = last[None, :, None] + np.cumsum(filled[:, draws], axis=2).transpose(1, 0, 2)
    return central, reps


def breaks_mask(codes: list[str], years: list[int], breaks: set[tuple[str, int]]) -> np.ndarray:
    return np.array([[(c, y) in breaks for y in years[1:]] for c in codes], dtype=bool).reshape(len(codes),
                                                                                              len(years) - 1)
