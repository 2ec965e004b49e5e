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
from analysis.report.format import COMPARATOR_ZH
from analysis.report.plotting import COLOURS, fixed_layout
from analysis.standards.status import light_of

PASS, FAIL, NEUTRAL = "#2e7d32", "#c62828", "#90a4ae"


def _fitted(fig: Figure) -> Figure:
    """``fig`` with every label fitted inside it (tight layout, measured once here) and marked as laid out, so that
    its PNG is drawn once: tight_layout leaves a placeholder layout engine behind, for which matplotlib draws the
    whole figure once more before drawing it (the heat maps label ~100 schools)."""
    fig.tight_layout()
    fig.set_layout_engine(None)
    return fixed_layout(fig)


def _sections(frame: pd.DataFrame) -> list[str]:
    """Sections of ``frame`` in school order (小学 before 初中), unknown ones last."""
    present = list(dict.fromkeys(frame["section"].astype(str)))
    return sorted(present, key=lambda s: (list(SECTION_ZH).index(s) if s in SECTION_ZH else len(SECTION_ZH), s))


def _section_panels(n_sections: int, n_rows: int) -> tuple[Figure, np.ndarray]:
    """One horizontal-bar panel per section, stacked: a narrow figure whose labels stay legible when the image
    is scaled down to a phone's width (side by side they would shrink to half)."""
    fig = Figure(figsize=(5.0, max(n_sections, 1) * (0.27 * n_rows + 0.75) + 0.45))
    axes = fig.subplots(max(n_sections, 1), 1, squeeze=False)[:, 0]
    return fig, axes


def _indicator_labels(ids: list[str], profile: dict | None) -> list[str]:
    if not profile:
        return ids
    return [f"{i} {indicator_spec(profile, i).get('short', '')}".strip() for i in ids]


def rule_label(profile: dict) -> str:
    """校校达标（6+1）: the school rule named by its counts (at least ``min_met`` of the resource indicators)."""
    total, least = len(profile["resources"]), int(profile["school_rule"]["min_met"])
    return f"校校达标（{least}+{total - least}）"


def _share_text(percent: float, met: int, total: int) -> str:
    """``99%（199/200）``: never "100%" unless every school meets it (199/200 would round up)."""
    if np.isnan(percent):
        return "—"
    shown = min(round(percent), 99) if met < total else round(percent)
    return f"{shown}%（{met}/{total}）"


def compliance_bar(summary: pd.DataFrame, profile: dict, school_indicators: pd.DataFrame | None = None) -> Figure:
    """Share of school-sections meeting each indicator's standard (达标学校比例), per section, every bar labelled
    with its share and count; with ``school_indicators`` also the share passing the school rule (校校达标).

    An indicator below 100% is amber (one missed indicator is allowed per school), the school rule red."""
    ids = [i for i in indicator_ids(profile) if (summary["indicator"] == i).any()]
    rule = school_indicators is not None and "school_pass" in school_indicators
    names = _indicator_labels(ids, profile) + ([rule_label(profile)] if rule else [])
    sections = _sections(summary)
    fig, axes = _section_panels(len(sections), len(names))
    y = np.arange(len(names))
    for ax, section in zip(axes, sections, strict=False):
        part = summary[summary["section"].astype(str) == section].set_index("indicator")
        shares = [float(part.at[i, "share_met"]) if i in part.index else np.nan for i in ids]
        counts = [(int(part.at[i, "n_met"]), int(part.at[i, "n_schools"])) if i in part.index else (0, 0)
                  for i in ids]
        colours = [COLOURS["pass"] if s >= 1 else COLOURS["at_risk"] for s in shares]
        if rule:
            schools = school_indicators[school_indicators["section"].astype(str) == section]
            passed = int(schools["school_pass"].map(lambda v: light_of(v) == "pass").sum())
            shares.append(passed / len(schools) if len(schools) else np.nan)
            counts.append((passed, len(schools)))
            colours.append(COLOURS["pass"] if passed == len(schools) else COLOURS["fail"])
        values = np.array(shares, dtype=float) * 100
        bars = ax.barh(y, np.nan_to_num(values), color=colours, height=0.62)
        if rule:
            bars[-1].set_hatch("//")
            bars[-1].set_edgecolor("white")
            ax.axhline(len(ids) - 0.5, color=COLOURS["threshold"], lw=0.6, ls=":")
        ax.bar_label(bars, labels=[_share_text(v, m, n) for v, (m, n) in zip(values, counts, strict=True)],
                     fontsize=8, padding=2)
        n_schools = int(part["n_schools"].max()) if len(part) else 0
        ax.set_title(f"{SECTION_ZH.get(section, section)}（{n_schools} 所）", fontsize=10)
        ax.set_xlim(0, 150)  # room for the "100%（12/12）" labels right of a full bar
        ax.set_xticks([0, 50, 100], ["0", "50%", "100%"])
        ax.tick_params(labelsize=8)
        ax.set_yticks(y, names, fontsize=8)
        ax.invert_yaxis()  # R1 on top, the school rule last
    fig.suptitle("各指标达标学校比例（绿色为全部学校达标）", fontsize=11)
    return _fitted(fig)


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
    return _fitted(fig)


def cv_bars(cv: pd.DataFrame, profile: dict | None = None) -> Figure:
    """Each indicator's CV against its section's limit (差异系数与限值): one panel per section, every bar labelled
    with its CV (three decimals, as in the tables) and the limit drawn as a labelled line.

    With ``profile`` the limit and comparator come from its ``cv`` block and the bars are named by the
    indicators' short names; without it from the ``limit`` / ``comparator`` columns of ``cv``."""
    present = list(dict.fromkeys(cv["indicator"].astype(str)))
    ids = [i for i in indicator_ids(profile) if i in present] if profile else present
    sections = _sections(cv)
    fig, axes = _section_panels(len(sections), len(ids))
    y = np.arange(len(ids))
    settings = (profile or {}).get("cv", {})
    for ax, section in zip(axes, sections, strict=False):
        part = cv[cv["section"].astype(str) == section].set_index("indicator")
        values = np.array([float(part.at[i, "cv"]) if i in part.index else np.nan for i in ids])
        colours = [NEUTRAL if i not in part.index else PASS if light_of(part.at[i, "passed"]) == "pass" else FAIL
                   for i in ids]
        bars = ax.barh(y, np.nan_to_num(values), color=colours, height=0.62)
        ax.bar_label(bars, labels=["—" if np.isnan(v) else f"{v:.3f}" for v in values], fontsize=8, padding=2)
        limit = float(settings["limits"][section]) if section in settings.get("limits", {}) else float(
            part["limit"].dropna().iloc[0])
        comparator = settings.get("comparator") or (str(part["comparator"].iloc[0]) if "comparator" in part else "<=")
        ax.axvline(limit, color=COLOURS["threshold"], linestyle="--", linewidth=1)
        ax.annotate(f"限值 {COMPARATOR_ZH.get(comparator, comparator)} {limit:.2f}", (limit, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(0, 2), textcoords="offset points", ha="center",
                    va="bottom", fontsize=8, color=COLOURS["threshold"])
        ax.set_xlim(0, max(np.nanmax(values, initial=0), limit) * 1.3)  # room for the value labels
        ax.set_title(SECTION_ZH.get(section, section), fontsize=10, pad=14)  # the limit's label sits above
        ax.tick_params(labelsize=8)
        ax.set_yticks(y, _indicator_labels(ids, profile), fontsize=8)
        ax.invert_yaxis()
    fig.suptitle("各指标校际差异系数（红色为超过限值）", fontsize=11)
    return _fitted(fig)


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
    return _fitted(fig)


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
    return _fitted(fig)


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
    return _fitted(fig)
