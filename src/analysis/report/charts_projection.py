"""Charts of the projection step (趋势与预测图表): county trends with bands, one school's indicators, the county's
annual targets and the numeric county items. Call ``analysis.report.plotting.setup_plotting()`` first.

The data behind them (rows, labels, target series) comes from :mod:`analysis.evaluate.projection`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.config import SECTION_ZH
from analysis.evaluate.indicators import indicator_ids, indicator_spec
from analysis.evaluate.projection import SCOPES, Projection, canonical_scope
from analysis.report.plotting import fixed_layout, year_axis

# Small multiples use a fixed grid (inches) instead of the constrained-layout solver: the solver measured every
# tick label of every panel again at each draw and took most of the time of these charts (20 panels: ~5 s).
_TICKS_W, _TITLE_H, _TICKS_H = 0.55, 0.32, 0.3  # room for y tick labels, a panel title, x tick labels (in)


def _panel_grid(nrow: int, ncol: int, width: float, height: float, top: float, bottom: float,
                sharex: bool = False) -> tuple[Figure, np.ndarray]:
    """``nrow × ncol`` panels of ``width × height`` inches each (labels included), ``top`` / ``bottom`` inches
    for the figure title and legend."""
    fig_w, fig_h = width * ncol, height * nrow + top + bottom
    axes_w, axes_h = width - _TICKS_W, height - _TITLE_H - _TICKS_H
    fig = fixed_layout(Figure(figsize=(fig_w, fig_h)))
    axes = fig.subplots(nrow, ncol, squeeze=False, sharex=sharex, gridspec_kw={
        "left": _TICKS_W / fig_w, "right": 1 - 0.05 / fig_w, "top": 1 - (top + _TITLE_H) / fig_h,
        "bottom": (bottom + _TICKS_H) / fig_h, "wspace": _TICKS_W / axes_w,
        "hspace": (_TITLE_H + _TICKS_H) / axes_h})
    return fig, axes.reshape(-1)


def _milestone_lines(ax, years, milestones: list[dict]) -> None:
    """The year axis over ``years`` and the milestones (a single year of data keeps a sane axis), dotted lines."""
    for y in year_axis(ax, years, [int(m["year"]) for m in milestones]):
        ax.axvline(y, color="#9e9e9e", lw=0.8, ls=":")


def trend_figure(rows: pd.DataFrame, panels: list[tuple[str, str]], milestones: list[dict], title: str,
                 labels: dict[str, str] | None = None, percent: bool = False, ncol: int = 4):
    """Small multiples of county rows, one per ``(section, indicator)``: observed line, projected central line with
    its band, the threshold (red) and the milestone years (dotted)."""
    n = max(len(panels), 1)
    ncol = min(ncol, n)
    nrow = int(np.ceil(n / ncol))
    fig, axes = _panel_grid(nrow, ncol, 3.1, 2.5, top=0.5, bottom=0.35)
    scale = 100 if percent else 1
    wanted = rows["indicator"].isin({ind for _, ind in panels}) & (rows["level"] == "county")
    by_panel = dict(tuple(rows[wanted].groupby(["section", "indicator"], sort=False)))  # one pass, not one per panel
    empty = rows.iloc[0:0]
    for ax, (section, ind) in zip(axes, panels, strict=False):
        part = by_panel.get((section, ind), empty).sort_values("year")
        obs = part[part["kind"] == "observed"]
        pro = part[part["kind"] == "projected"]
        ax.plot(obs["year"], obs["value"] * scale, "o-", color="#1565c0", lw=1.5, ms=3, label="实际")
        if len(pro):
            link = pd.concat([obs.tail(1), pro])
            ax.plot(link["year"], link["value"] * scale, "o--", color="#ef6c00", lw=1.2, ms=3, label="预测（趋势）")
            ax.fill_between(pro["year"], pro["low"] * scale, pro["high"] * scale, color="#ef6c00", alpha=0.2,
                            lw=0, label="预测区间")
        thr = part["threshold"].dropna()
        if len(thr):
            ax.axhline(thr.iloc[-1] * scale, color="#c62828", lw=1, label="标准/限值")
        _milestone_lines(ax, rows.loc[wanted, "year"], milestones)
        sec = SECTION_ZH.get(section, "全县")
        ax.set_title(f"{sec} {(labels or {}).get(ind, ind)}", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
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
    ncol = min(4, len(inds))
    nrow = int(np.ceil(len(inds) / ncol))
    fig, axes = _panel_grid(nrow, ncol, 3.2, 2.6, top=0.5, bottom=0.05, sharex=True)
    colors = dict(zip(SCOPES, ("#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00"), strict=True))
    years = (series["year"].min(), series["year"].max())
    for ax, ind in zip(axes, inds, strict=False):
        part = series[series["indicator"] == ind]
        for scope, p in part.groupby("scope", sort=False):
            color = colors.get(canonical_scope(scope), "#455a64")
            obs, pro = p[p["kind"] == "observed"], p[p["kind"] == "projected"]
            ax.plot(obs["year"], obs["share"] * 100, "o-", color=color, ms=3, lw=1.3, label=f"{scope}")
            if len(pro):
                link = pd.concat([obs.tail(1), pro])
                ax.plot(link["year"], link["share"] * 100, "--", color=color, lw=1.1)
                ax.fill_between(pro["year"], pro["low"] * 100, pro["high"] * 100, color=color, alpha=0.15, lw=0)
            t = comparison[(comparison["indicator"] == ind) & (comparison["scope"] == scope)]
            ax.plot(t["year"], t["target_share"] * 100, "x", color=color, ms=8, mew=2)
        ax.set_title(ind, fontsize=9)
        ax.set_xlim(years[0] - 0.3, years[1] + 0.3)
        ax.tick_params(labelsize=7)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=7, frameon=False, loc="lower left")
    for ax in axes[len(inds):]:
        ax.set_visible(False)
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
