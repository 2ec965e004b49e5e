"""Charts of the indicator, CV, guarantee and recognition steps (指标、差异系数、班额与认可度图表).

Call ``analysis.report.plotting.setup_plotting()`` first. The projection's charts are in
:mod:`analysis.report.charts_projection`.

Figures are built with ``matplotlib.figure.Figure`` (not pyplot) so a notebook shows each one exactly once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from analysis.config import SECTION_ZH
from analysis.evaluate.indicators import indicator_ids, indicator_spec
from analysis.report.plotting import COLOURS

PASS, FAIL, NEUTRAL = "#2e7d32", "#c62828", "#90a4ae"


def compliance_bar(summary: pd.DataFrame, profile: dict) -> Figure:
    """Share of school-sections meeting each indicator's standard (达标学校比例), per section."""
    fig = Figure(figsize=(9, 4))
    axes = fig.subplots(1, summary["section"].nunique(), sharey=True, squeeze=False)[0]
    for ax, (section, part) in zip(axes, summary.groupby("section", sort=False), strict=False):
        labels = [f"{i}\n{indicator_spec(profile, i)['short']}" for i in part["indicator"]]
        bars = ax.bar(labels, part["share_met"] * 100, color=[PASS if s >= 1 else FAIL for s in part["share_met"]])
        ax.bar_label(bars, labels=[f"{v:.0%}" for v in part["share_met"]], fontsize=8)
        ax.set_title(f"{SECTION_ZH[section]}（{part['n_schools'].iloc[0]}所）")
        ax.set_ylim(0, 110)
        ax.tick_params(axis="x", labelsize=7)
    axes[0].set_ylabel("达标学校比例（%）")
    fig.suptitle("各指标达标学校比例")
    fig.tight_layout()
    return fig


def ratio_heatmap(school_indicators: pd.DataFrame, profile: dict, section: str) -> Figure:
    """School × indicator heat map of value ÷ standard (red below 1, green above; capped at 2)."""
    part = school_indicators[school_indicators["section"] == section].sort_values("n_met")
    ids = list(profile["resources"])
    data = np.clip(part[[f"{i}_ratio" for i in ids]].to_numpy(dtype=float), 0, 2)
    height = max(3.0, 0.16 * len(part) + 1)
    fig = Figure(figsize=(7.5, height))
    ax = fig.subplots()
    im = ax.imshow(data, aspect="auto", cmap="RdYlGn", norm=TwoSlopeNorm(vmin=0, vcenter=1, vmax=2))
    ax.set_xticks(range(len(ids)), [f"{i} {indicator_spec(profile, i)['short']}" for i in ids], fontsize=7, rotation=30)
    ax.set_yticks(range(len(part)), part["school_name"], fontsize=max(4, min(7, 400 / max(len(part), 1))))
    fig.colorbar(im, ax=ax, label="指标值 ÷ 标准", shrink=0.6)
    ax.set_title(f"{SECTION_ZH[section]}：各校指标达标程度（按达标项数排序）")
    fig.tight_layout()
    return fig


def cv_bars(cv: pd.DataFrame) -> Figure:
    """Each indicator's CV against its section's limit (差异系数与限值)."""
    fig = Figure(figsize=(9, 3.8))
    axes = fig.subplots(1, cv["section"].nunique(), sharey=True, squeeze=False)[0]
    for ax, (section, part) in zip(axes, cv.groupby("section", sort=False), strict=False):
        bars = ax.bar(part["indicator"], part["cv"], color=[PASS if p else FAIL for p in part["passed"]])
        ax.bar_label(bars, labels=[f"{v:.3f}" for v in part["cv"]], fontsize=8)
        limit = part["limit"].iloc[0]
        ax.axhline(limit, color="black", linestyle="--", linewidth=1)
        ax.text(len(part) - 0.5, limit, f"限值 {limit:.2f}", va="bottom", ha="right", fontsize=8)
        ax.set_title(SECTION_ZH[section])
    axes[0].set_ylabel("差异系数 CV")
    fig.suptitle("各指标校际差异系数")
    fig.tight_layout()
    return fig


def distribution_dots(school_indicators: pd.DataFrame, profile: dict, section: str) -> Figure:
    """Each school's value ÷ weighted mean per indicator; dot area ∝ students (what drives the CV)."""
    part = school_indicators[school_indicators["section"] == section]
    ids = indicator_ids(profile)
    fig = Figure(figsize=(9, 4))
    ax = fig.subplots()
    n = part["students"].to_numpy(dtype=float)
    for k, ind in enumerate(ids):
        x = part[ind].to_numpy(dtype=float)
        mean = (n * x).sum() / n.sum()
        jitter = (np.arange(len(x)) % 7 - 3) * 0.04
        ax.scatter(np.full(len(x), k) + jitter, x / mean, s=8 + 60 * n / n.max(), alpha=0.5, color="#1565c0")
    ax.axhline(1, color="black", linewidth=1)
    ax.set_xticks(range(len(ids)), [f"{i}\n{indicator_spec(profile, i)['short']}" for i in ids], fontsize=7)
    ax.set_ylabel("学校指标值 ÷ 县域加权均值")
    ax.set_title(f"{SECTION_ZH[section]}：各校指标相对县域均值的分布（点的大小表示学生数）")
    fig.tight_layout()
    return fig


def class_size_chart(sizes: pd.DataFrame, profile: dict) -> Figure:
    """Histogram of class sizes per section with the cap (班额分布); oversized classes in red."""
    caps = profile["guarantee"]["G5"]["max_class"]
    sections = [s for s in caps if (sizes["section"] == s).any()]
    fig = Figure(figsize=(9, 3.8))
    axes = fig.subplots(1, max(1, len(sections)), sharey=True, squeeze=False)[0]
    for ax, section in zip(axes, sections, strict=False):
        x = sizes.loc[sizes["section"] == section, "students"].to_numpy(dtype=float)
        cap = caps[section]
        bins = np.arange(np.floor(x.min()) - 0.5, np.ceil(x.max()) + 1.5, 1.0)
        counts, edges = np.histogram(x, bins=bins)
        centres = (edges[:-1] + edges[1:]) / 2
        colours = [COLOURS["fail"] if c > cap else COLOURS["pass"] for c in centres]
        ax.bar(centres, counts, width=0.9, color=colours)
        ax.axvline(cap + 0.5, color=COLOURS["threshold"], linestyle="--", linewidth=1)
        ax.text(cap + 0.5, counts.max(), f" 上限 {cap} 人", va="top", fontsize=8)
        over = int((x > cap).sum())
        ax.set_title(f"{'小学' if section == 'primary' else '初中'}：{len(x)} 个班，大班额 {over} 个")
        ax.set_xlabel("班级学生数（人）")
    axes[0].set_ylabel("班级数")
    fig.suptitle("班额分布（红色为超过上限的班级）")
    fig.tight_layout()
    return fig


def recognition_chart(table: pd.DataFrame, profile: dict) -> Figure:
    """Recognition rate per respondent group with its Wilson interval and the threshold (认可度与置信区间)."""
    cfg = profile["recognition"]
    part = table[table["answers"] > 0].iloc[::-1]
    fig = Figure(figsize=(8, 0.45 * len(part) + 1.6))
    ax = fig.subplots()
    y = np.arange(len(part))
    rate = part["rate"].to_numpy(float) * 100
    # clip: at p̂ = 1 the upper bound equals p̂ up to binary rounding, which must not become a negative bar
    low = np.maximum(rate - part["ci_low"].to_numpy(float) * 100, 0)
    high = np.maximum(part["ci_high"].to_numpy(float) * 100 - rate, 0)
    colours = [COLOURS["pass"] if p else COLOURS["fail"] for p in part["passed"].fillna(False)]
    ax.errorbar(rate, y, xerr=[low, high], fmt="none", ecolor=COLOURS["threshold"], capsize=3, linewidth=1)
    ax.scatter(rate, y, color=colours, zorder=3)
    for yi, r, n in zip(y, rate, part["respondents"], strict=True):
        ax.text(r, yi + 0.2, f"{r:.1f}%（{n}份）", fontsize=8, ha="center")
    ax.axvline(cfg["threshold"] * 100, color=COLOURS["threshold"], linestyle="--", linewidth=1)
    ax.set_yticks(y, part["group"])
    ax.set_xlabel(f"认可度（%），误差线为 {cfg['confidence']:.0%} Wilson 置信区间；虚线为标准 {cfg['threshold']:.0%}")
    ax.set_title("社会认可度（分调查对象）")
    fig.tight_layout()
    return fig
