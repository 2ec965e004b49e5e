"""Charts of the projection step (趋势与预测图表): county trends with bands, one school's indicators, the county's
annual targets and the numeric county items. Call ``analysis.report.plotting.setup_plotting()`` first.

The data behind them (rows, labels, target series) comes from :mod:`analysis.evaluate.projection`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullLocator

from analysis.config import SECTION_ZH
from analysis.evaluate.indicators import indicator_ids, indicator_spec
from analysis.evaluate.projection import SCOPES, Projection, canonical_scope
from analysis.report.plotting import fixed_layout, year_axis

# Small multiples use a fixed grid (inches) instead of the constrained-layout solver: the solver measured every
# tick label of every panel again at each draw and took most of the time of these charts (20 panels: ~5 s).
_TICKS_W, _TITLE_H, _TICKS_H = 0.55, 0.32, 0.3  # room for y tick labels, a panel title, x tick labels (in)
_MILESTONE = {"color": "#9e9e9e", "lw": 0.8, "ls": ":"}
_Y_BINS = 5  # intervals of a panel's value axis (matplotlib's default for this height was up to 9)
_STEPS = [1, 2, 2.5, 5, 10]  # matplotlib's default tick steps


def _panel_grid(n: int, ncol: int, width: float, height: float, top: float, bottom: float
                ) -> tuple[Figure, list[Axes]]:
    """``n`` panels in rows of ``ncol``, each ``width × height`` inches (labels included), ``top`` / ``bottom``
    inches for the figure title and legend. Only the ``n`` panels are made: an empty cell costs as much."""
    ncol = max(min(ncol, n), 1)
    nrow = int(np.ceil(max(n, 1) / ncol))
    fig_w, fig_h = width * ncol, height * nrow + top + bottom
    axes_w, axes_h = width - _TICKS_W, height - _TITLE_H - _TICKS_H
    fig = fixed_layout(Figure(figsize=(fig_w, fig_h)))
    grid = fig.add_gridspec(nrow, ncol, left=_TICKS_W / fig_w, right=1 - 0.05 / fig_w,
                            top=1 - (top + _TITLE_H) / fig_h, bottom=(bottom + _TICKS_H) / fig_h,
                            wspace=_TICKS_W / axes_w, hspace=(_TITLE_H + _TICKS_H) / axes_h)
    return fig, [fig.add_subplot(grid[k // ncol, k % ncol]) for k in range(max(n, 1))]


class _ViewLocator(MaxNLocator):
    """MaxNLocator without the locations outside the view: matplotlib makes a tick (a handful of artists) for
    every location, drawn or not; these are exactly the ones it draws (same tolerance as matplotlib's own)."""

    def tick_values(self, vmin: float, vmax: float) -> np.ndarray:
        locs = super().tick_values(vmin, vmax)
        lo, hi = min(vmin, vmax), max(vmin, vmax)
        slack = (hi - lo) * 1e-10
        return locs[(locs >= lo - slack) & (locs <= hi + slack)]


def _panel_ticks(axes: list[Axes], ncol: int) -> None:
    """Panels over the same years show the years once, under the lowest panel of each column, and at most
    ``_Y_BINS`` steps of their own scale, as plain numbers: ticks were the larger part of drawing these charts
    (each is a handful of artists, its label a text layout), and the default packed up to ten labels into a
    panel's height."""
    for k, ax in enumerate(axes):
        ax.yaxis.set_major_locator(_ViewLocator(nbins=_Y_BINS, steps=_STEPS))
        ax.ticklabel_format(axis="y", style="plain", useOffset=False)  # no offset text above the panel
        ax.xaxis.set_major_locator(NullLocator() if k + ncol < len(axes) else _ViewLocator(
            nbins="auto", steps=_STEPS, integer=True))  # matplotlib's default ticks, whole years
        # no axis labels: placing the empty ones spares measuring every tick label again at each draw
        ax.xaxis.set_label_coords(0.5, 0)
        ax.yaxis.set_label_coords(0, 0.5)


def _panel_title(ax: Axes, text: str) -> None:
    """The panel's title, placed right above it: left to itself matplotlib measures every tick of the panel
    (making ticks of its own) to find what sits above the axes, which here is nothing (see _panel_ticks)."""
    ax.set_title(text, fontsize=9, y=1.0)


def _milestone_lines(ax: Axes, years, milestones: list[dict]) -> None:
    """The year axis over ``years`` and the milestones (a single year of data keeps a sane axis), dotted lines
    (one collection per panel rather than a line each)."""
    marks = year_axis(ax, years, [int(m["year"]) for m in milestones])
    if marks:
        ax.add_collection(LineCollection([[(y, 0), (y, 1)] for y in marks], transform=ax.get_xaxis_transform(),
                                         colors=_MILESTONE["color"], linewidths=_MILESTONE["lw"],
                                         linestyles=_MILESTONE["ls"]), autolim=False)


def _linked(observed: np.ndarray, projected: np.ndarray) -> np.ndarray:
    """The points of the dashed projection: the last observed one (where the solid line ends) and the projected
    ones (rows sorted by year)."""
    last = np.flatnonzero(observed)[-1] if observed.any() else -1
    return projected | (np.arange(len(observed)) == last)


def trend_figure(rows: pd.DataFrame, panels: list[tuple[str, str]], milestones: list[dict], title: str,
                 labels: dict[str, str] | None = None, percent: bool = False, ncol: int = 4):
    """Small multiples of county rows, one per ``(section, indicator)``: observed line, projected central line with
    its band, the threshold (red) and the milestone years (dotted); the years under the lowest panel of each
    column."""
    fig, axes = _panel_grid(len(panels), ncol, 3.1, 2.5, top=0.5, bottom=0.35)
    scale = 100 if percent else 1
    wanted = rows["indicator"].isin({ind for _, ind in panels}) & (rows["level"] == "county")
    county = rows.loc[wanted, ["section", "indicator", "year", "value", "low", "high", "threshold", "kind"]]
    by_panel = {key: part for key, part in county.sort_values("year", kind="stable").groupby(
        ["section", "indicator"], sort=False)}  # one pass, not one per panel
    years = county["year"]
    for ax, (section, ind) in zip(axes, panels, strict=False):
        part = by_panel.get((section, ind), county.iloc[0:0])
        year, value = part["year"].to_numpy(), part["value"].to_numpy() * scale
        obs = (part["kind"] == "observed").to_numpy()
        pro = (part["kind"] == "projected").to_numpy()
        ax.plot(year[obs], value[obs], "o-", color="#1565c0", lw=1.5, ms=3, label="实际")
        if pro.any():
            link = _linked(obs, pro)
            ax.plot(year[link], value[link], "o--", color="#ef6c00", lw=1.2, ms=3, label="预测（趋势）")
            ax.fill_between(year[pro], part["low"].to_numpy()[pro] * scale, part["high"].to_numpy()[pro] * scale,
                            color="#ef6c00", alpha=0.2, lw=0, label="预测区间")
        thr = part["threshold"].dropna()
        if len(thr):
            ax.axhline(thr.iloc[-1] * scale, color="#c62828", lw=1, label="标准/限值")
        _milestone_lines(ax, years, milestones)
        sec = SECTION_ZH.get(section, "全县")
        _panel_title(ax, f"{sec} {(labels or {}).get(ind, ind)}")
        ax.tick_params(labelsize=7)
    _panel_ticks(axes, min(ncol, len(axes)))
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=4, fontsize=8, frameon=False)
    marks = "、".join(f"{m['year']}{m.get('zh', '')}" for m in milestones)
    fig.suptitle(title + (f"\n（点线为时间节点：{marks}）" if marks else ""), fontsize=10,
                 y=1 - 0.05 / fig.get_figheight(), va="top")
    return fig


def school_trend_figure(rows: pd.DataFrame, school_code: str, section: str, profile: dict,
                        milestones: list[dict]):
    """One school-section: every indicator as value ÷ standard, observed and projected with bands."""
    part = rows[(rows["level"] == "school") & (rows["school_code"] == school_code) & (rows["section"] == section)]
    ids = indicator_ids(profile)
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.subplots()
    for ind in ids:
        p = part[part["indicator"] == ind].sort_values("year")
        obs, pro = p[p["kind"] == "observed"], p[p["kind"] == "projected"]
        line = ax.plot(obs["year"], obs["value"] / obs["threshold"], "o-", ms=3, lw=1.2,
                       label=f"{ind}{indicator_spec(profile, ind)['short']}")
        if len(pro):
            link = pd.concat([obs.tail(1), pro])
            ax.plot(link["year"], link["value"] / link["threshold"], "o--", ms=3, lw=1.1, color=line[0].get_color())
            ax.fill_between(pro["year"], pro["low"] / pro["threshold"], pro["high"] / pro["threshold"],
                            color=line[0].get_color(), alpha=0.12, lw=0)
    ax.axhline(1, color="#c62828", lw=1)
    _milestone_lines(ax, part["year"], milestones)
    name = part["school_name"].dropna()
    ax.set_title(f"{name.iloc[0] if len(name) else school_code}（{SECTION_ZH.get(section, section)}）"
                 "各指标与标准之比（实线实际，虚线预测，阴影为区间）")
    ax.set_ylabel("指标值 ÷ 标准")
    ax.legend(fontsize=7, ncol=4, frameon=False)
    return fig


def target_figure(series: pd.DataFrame, comparison: pd.DataFrame):
    """One panel per target indicator: compliant share by scope (observed line, projected dashed with band) and
    the county's targets (×). None when no target can be compared."""
    if series.empty:
        return None
    inds = list(dict.fromkeys(series["indicator"]))
    fig, axes = _panel_grid(len(inds), 4, 3.2, 2.6, top=0.5, bottom=0.05)
    colors = dict(zip(SCOPES, ("#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00"), strict=True))
    years = (series["year"].min(), series["year"].max())
    targets = dict(tuple(comparison.groupby(["indicator", "scope"], sort=False)[["year", "target_share"]]))
    lines = dict(tuple(series.groupby(["indicator", "scope"], sort=False)))  # one pass, not one per panel
    for ax, ind in zip(axes, inds, strict=False):
        for scope in dict.fromkeys(s for i, s in lines if i == ind):
            p = lines[(ind, scope)]
            color = colors.get(canonical_scope(scope), "#455a64")
            year, share = p["year"].to_numpy(), p["share"].to_numpy() * 100
            obs, pro = (p["kind"] == "observed").to_numpy(), (p["kind"] == "projected").to_numpy()
            ax.plot(year[obs], share[obs], "o-", color=color, ms=3, lw=1.3, label=f"{scope}")
            if pro.any():
                link = _linked(obs, pro)
                ax.plot(year[link], share[link], "--", color=color, lw=1.1)
                ax.fill_between(year[pro], p["low"].to_numpy()[pro] * 100, p["high"].to_numpy()[pro] * 100,
                                color=color, alpha=0.15, lw=0)
            t = targets.get((ind, scope))
            if t is not None:
                ax.plot(t["year"], t["target_share"] * 100, "x", color=color, ms=8, mew=2)
        _panel_title(ax, ind)
        ax.set_xlim(years[0] - 0.3, years[1] + 0.3)
        ax.tick_params(labelsize=7)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=7, frameon=False, loc="lower left")
    _panel_ticks(axes, min(4, len(axes)))
    fig.suptitle("县定年度目标：达标学校比例（%）\n实线为实际，虚线与阴影为预测及区间，× 为目标", fontsize=10,
                 y=1 - 0.05 / fig.get_figheight(), va="top")
    return fig


def falling_out_figure(result: Projection, falling: pd.DataFrame, profile: dict):
    """Indicator trends of one school-section of ``falling`` (or None): one that also fails with its resource
    trend if any, the largest enrollment growth first."""
    if falling is None or falling.empty:
        return None
    top = falling.sort_values(["fails_central", "change", "school_code"], ascending=[False, False, True],
                              kind="stable").iloc[0]
    return school_trend_figure(result.rows, top["school_code"], top["section"], profile, result.milestones)


def item_figure(rows: pd.DataFrame, milestones: list[dict], labels: dict[str, str] | None = None):
    """Trends of the numeric county items (县级指标) with their thresholds, or None when there are none."""
    items = rows[(rows["level"] == "county") & (rows["section"] == "") & ~rows["indicator"].str.endswith("_share")]
    ids = sorted(items["indicator"].unique())
    if not ids:
        return None
    return trend_figure(rows, [("", i) for i in ids], milestones, "县级指标趋势与预测", labels)
