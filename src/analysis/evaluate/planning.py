"""What must change to pass (达标差距与整改清单): per school, section and indicator, in natural units.

For a school-section with ``n`` students (projected at a milestone, or the current year) and an indicator with
standard ``s`` (per ``per`` students), the stock needed is ``s × n / per``; the gap is that minus the stock it has:
teachers to add (人), m² to build, yuan of equipment, multimedia rooms (间). Facility stocks of a combined school are
split by student weights (1 : 1.1), so raising a section's share by ``g`` takes ``g / share`` at school level;
teacher counts are per section.

Priorities of :func:`action_list` (the report's "what to do first"):

1. **学校未达“6+1”规则** — a school-section fails the school rule (at least ``school_rule.min_met`` of R1–R7 and the
   missed one ≥ ``floor_ratio`` of its standard); only the indicators it must fix are in this group (the missed one
   closest to its standard may stay if it reaches the floor).
2. **差异系数预计不达标** — a CV is off track: the schools below the *CV floor* ``f``, the smallest value such that
   raising every school below ``f`` to ``f`` brings the weighted CV within its limit.
3. **差异系数存在风险** — the same for at-risk CVs.
4. **其他未达标单项** — any other indicator below its standard.

One row per school, section and indicator (the highest priority and the larger target win). Responsible
departments come from the profile's ``departments:`` key (seeds: 000_7663589297cde400.txt 附件2,
002_fec0768d769eda13.txt 附件, 004_bc97163581bd74c7.txt 附件2); when missing, the columns stay empty with a note.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.evaluate.indicators import indicator_ids, indicator_spec
from analysis.evaluate.variation import WeightedCV
from analysis.standards.compare import REL_TOL, falls_short, meets
from analysis.standards.departments import departments, departments_note
from analysis.standards.status import AT_RISK, OFF_TRACK, ON_TRACK, PROJECTION_ZH

# Natural unit of each stock, whether it is counted in whole units, and the action in words.
STOCKS = {
    "teachers_above_degree": ("人", True, "增配高于规定学历的专任教师"),
    "key_teachers": ("人", True, "培养或引进县级以上骨干教师"),
    "pe_music_art_teachers": ("人", True, "增配体育、音乐、美术专任教师"),
    "teaching_rooms_m2": ("㎡", False, "新建或改扩建教学及辅助用房"),
    "sports_area_m2": ("㎡", False, "新建或改扩建体育运动场馆"),
    "equipment_value_yuan": ("元", False, "购置教学仪器设备"),
    "multimedia_classrooms": ("间", True, "建设网络多媒体教室"),
    "land_area_m2": ("㎡", False, "增加学校占地面积"),
}
PRIORITY_ZH = {1: "学校未达“6+1”规则", 2: "差异系数预计不达标", 3: "差异系数存在风险", 4: "其他未达标单项"}
ACTION_COLUMNS = ["priority", "priority_zh", "milestone_year", "school_code", "school_name", "section", "indicator",
                  "name_zh", "students", "value", "standard", "target_value", "ratio", "stock_field", "stock",
                  "gap", "unit", "to_add", "share", "school_amount", "action", "lead_department",
                  "cooperating_departments", "basis", "note"]


def stock_gap(target: np.ndarray, students: np.ndarray, stock: np.ndarray, per: float) -> np.ndarray:
    """Stock to add so that stock × per / students reaches ``target`` (0 when already there)."""
    need = np.asarray(target, dtype=float) * np.asarray(students, dtype=float) / per
    return np.maximum(need - np.asarray(stock, dtype=float), 0.0)


def whole_units(gap: np.ndarray) -> np.ndarray:
    """Whole persons or rooms needed: the gap rounded up (a float hair above an integer is not one more)."""
    return np.ceil(np.asarray(gap, dtype=float) * (1 - REL_TOL))


def indicator_gaps(values: pd.DataFrame, profile: dict, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per school-section and indicator below its target (default: its standard ``R*_std``).

    ``targets`` (optional): school_code, section, indicator, target_value, overriding the standard (CV floors).
    """
    frames = []
    split = set(profile["split_fields"])
    for ind in indicator_ids(profile):
        spec = indicator_spec(profile, ind)
        field = spec["numerator"]
        part = values[["school_code", "school_name", "section", "students", "share", ind, f"{ind}_std",
                       field]].rename(columns={ind: "value", f"{ind}_std": "standard", field: "stock"})
        part = part.assign(indicator=ind, name_zh=spec["zh"], stock_field=field, per=float(spec["per"]),
                           target_value=part["standard"])
        if targets is not None:
            t = targets[targets["indicator"] == ind][["school_code", "section", "target_value"]]
            part = part.drop(columns="target_value").merge(t, on=["school_code", "section"], how="inner")
        part = part[falls_short(part["value"], part["target_value"], ">=")]
        if part.empty:
            continue
        unit, countable, action = STOCKS.get(field, ("", False, f"增加{field}"))
        gap = stock_gap(part["target_value"], part["students"], part["stock"], float(spec["per"]))
        part = part.assign(ratio=part["value"] / part["standard"], gap=gap, unit=unit,
                           to_add=whole_units(gap) if countable else np.nan, action=action)
        # a facility stock is shared by sections: the school builds gap / share to lift this section by gap
        part["school_amount"] = part["gap"] / part["share"] if field in split else part["gap"]
        frames.append(part)
    cols = ["school_code", "school_name", "section", "indicator", "name_zh", "students", "value", "standard",
            "target_value", "ratio", "stock_field", "stock", "gap", "unit", "to_add", "share", "school_amount",
            "action"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def required_fixes(values: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """For school-sections failing the 6-of-7 rule: the indicators that must reach the standard (必须整改).

    At most ``len(R) − min_met`` missed indicators may stay, each at least ``floor_ratio`` of its standard; the
    ones closest to their standard are kept, every other missed indicator must be fixed.
    """
    rule = profile["school_rule"]
    core = list(profile["resources"])
    allowed = len(core) - rule["min_met"]
    rows = []
    for r in values[~values["school_pass"].astype(bool)].itertuples(index=False):
        ratios = {i: getattr(r, f"{i}_ratio") for i in core}
        missed = sorted((i for i in core if falls_short(ratios[i], 1, ">=")), key=lambda i: -ratios[i])
        keep = [i for i in missed[:allowed] if meets(ratios[i], rule["floor_ratio"], ">=")]
        rows += [{"school_code": r.school_code, "section": r.section, "indicator": i}
                 for i in missed if i not in keep]
    return pd.DataFrame(rows, columns=["school_code", "section", "indicator"])


def cv_floor(values, weights, limit: float, comparator: str, iterations: int = 60) -> float | None:
    """Smallest floor f such that raising every value below f to f meets ``CV comparator limit``.

    None when the CV already meets it. Scans the observed values from the bottom, then bisects inside the
    segment where the rule starts to hold (a fixed number of halvings, so the result is deterministic).
    """
    x = np.asarray(values, dtype=float)
    cv = WeightedCV(weights)

    def floor_meets(f: float) -> bool:  # a CV is compared without tolerance (as in analysis.evaluate.variation)
        return meets(cv(np.maximum(x, f)), limit, comparator, rel_tol=0)

    if floor_meets(float(x.min())):
        return None
    candidates = np.unique(x)
    hi_i = next((i for i, f in enumerate(candidates) if floor_meets(float(f))), None)
    if hi_i is None:  # only reachable with a limit of 0 and a strict comparator
        return None
    lo, hi = float(candidates[hi_i - 1]), float(candidates[hi_i])
    for _ in range(iterations):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if floor_meets(mid) else (mid, hi)
    return hi


def cv_targets(values: pd.DataFrame, cv_status: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """CV floors as per-school targets for CVs that are not on track (status off_track/at_risk, or passed False).

    ``cv_status``: section, indicator (``R1`` or ``R1_cv``) and ``status`` or ``passed``.
    Returns school_code, section, indicator, target_value, cv_status.
    """
    status = cv_status.copy()
    status["indicator"] = status["indicator"].str.replace(r"_cv$", "", regex=True)
    if "status" not in status:
        status["status"] = np.where(status["passed"].astype(bool), ON_TRACK, OFF_TRACK)
    status = status[status["status"].isin([OFF_TRACK, AT_RISK])]
    cfg = profile["cv"]
    rows = []
    for r in status.itertuples(index=False):
        part = values[values["section"] == r.section]
        if r.indicator not in part or len(part) < 2:
            continue
        f = cv_floor(part[r.indicator], part["students"], float(cfg["limits"][r.section]), cfg["comparator"])
        if f is None:
            continue
        below = part[part[r.indicator] < f]
        rows += [{"school_code": c, "section": r.section, "indicator": r.indicator, "target_value": f,
                  "cv_status": r.status} for c in below["school_code"]]
    return pd.DataFrame(rows, columns=["school_code", "section", "indicator", "target_value", "cv_status"])


def action_list(values: pd.DataFrame, profile: dict, cv_status: pd.DataFrame | None = None,
                milestone_year: int | None = None) -> pd.DataFrame:
    """Prioritised actions (整改清单) for evaluated school-sections ``values`` (school_indicators layout, e.g. the
    central projection at a milestone or the current year), sorted by priority, then ratio to standard."""
    standard = indicator_gaps(values, profile)
    required = required_fixes(values, profile)
    req = set(map(tuple, required[["school_code", "section", "indicator"]].to_numpy()))
    keys = list(zip(standard["school_code"], standard["section"], standard["indicator"], strict=True))
    standard["priority"] = [1 if k in req else 4 for k in keys]
    standard["basis"] = np.where(standard["priority"] == 1, "学校未达“6+1”规则，本项必须达到标准", "本项低于标准")
    frames = [standard]
    if cv_status is not None and len(cv_status):
        targets = cv_targets(values, cv_status, profile)
        if len(targets):
            cv = indicator_gaps(values, profile, targets)
            cv = cv.merge(targets[["school_code", "section", "indicator", "cv_status"]],
                          on=["school_code", "section", "indicator"], how="left")
            cv["priority"] = np.where(cv["cv_status"] == OFF_TRACK, 2, 3)
            cv["basis"] = [f"差异系数{PROJECTION_ZH[s]}：低于{t:.4g}的学校提高到{t:.4g}"
                           for s, t in zip(cv["cv_status"], cv["target_value"], strict=True)]
            frames.append(cv.drop(columns="cv_status"))
    rows = pd.concat(frames, ignore_index=True)
    if rows.empty:
        return pd.DataFrame(columns=ACTION_COLUMNS)
    key = ["school_code", "section", "indicator"]
    # one row per school-section-indicator: the highest priority, the larger target (and so the larger gap)
    best = rows.sort_values(["gap", "priority"], ascending=[False, True], kind="stable").drop_duplicates(key)
    prio = rows.groupby(key, sort=False)["priority"].min()
    basis = rows.sort_values("priority", kind="stable").groupby(key, sort=False)["basis"].agg("；".join)
    best = best.drop(columns=["priority", "basis"]).join(prio, on=key).join(basis, on=key)
    best["priority_zh"] = best["priority"].map(PRIORITY_ZH)
    best["milestone_year"] = milestone_year if milestone_year is not None else np.nan
    units = {i: departments(profile, i) for i in best["indicator"].unique()}
    best["lead_department"] = best["indicator"].map(lambda i: "、".join(units[i][0]))
    best["cooperating_departments"] = best["indicator"].map(lambda i: "、".join(units[i][1]))
    best["note"] = best["indicator"].map(lambda i: departments_note(profile, i))
    best = best.sort_values(["priority", "ratio", "school_code", "section", "indicator"], kind="stable")
    return best[ACTION_COLUMNS].reset_index(drop=True)


def school_summary(actions: pd.DataFrame) -> pd.DataFrame:
    """Per school: the number of actions, the top priority and the indicators to fix (for the report)."""
    if actions.empty:
        return pd.DataFrame(columns=["school_code", "school_name", "section", "priority", "n_actions",
                                     "indicators"])
    g = actions.groupby(["school_code", "school_name", "section"], sort=False)
    out = g.agg(priority=("priority", "min"), n_actions=("indicator", "size"),
                indicators=("indicator", lambda s: "、".join(s))).reset_index()
    return out.sort_values(["priority", "n_actions"], ascending=[True, False], kind="stable").reset_index(drop=True)


def actions_heading(actions: pd.DataFrame, milestones: list[dict], base_year: int, shown: int) -> str:
    """The line above the first action list: the milestone it is computed for — or, without a projection (one
    list from the base year's actual values), that it is the base year's gaps, due by the first milestone ahead.
    A past or current year is never called a milestone ahead (时间节点)."""
    if actions.empty:
        return "没有整改事项。"
    year = int(actions["milestone_year"].min())
    ahead = [m for m in milestones if int(m["year"]) > base_year]
    at = next((m for m in ahead if int(m["year"]) == year), None)
    if at is not None:
        return (f"共 {len(actions)} 条整改事项；以下为第一个时间节点（{year} 年{at.get('zh', '')}，按预测在校生计算）"
                f"的前 {shown} 条。")
    due = f"，须在第一个时间节点（{int(ahead[0]['year'])} 年{ahead[0].get('zh', '')}）前补齐" if ahead else ""
    return (f"共 {len(actions)} 条整改事项，按本学年（{year} 年）实际值计算（历史数据年份不足，未做预测）{due}；"
            f"以下为前 {shown} 条。")


def milestone_actions(result, history, profile: dict) -> pd.DataFrame:
    """Action lists for every milestone of a :class:`analysis.projection.Projection` (central projection and
    projected CV status); without a projection, one list for the base year from the observed values."""
    from analysis.evaluate.projection import county_measures

    frames = []
    if result.central is not None:
        cv_rows = result.rows[(result.rows["level"] == "county") & result.rows["indicator"].str.endswith("_cv")]
        for m in result.milestones:
            y = int(m["year"])
            values = result.central[result.central["year"] == y]
            status = cv_rows[cv_rows["year"] == y][["section", "indicator", "status"]]
            frames.append(action_list(values, profile, status, milestone_year=y))
    else:
        values = history.school_indicators[history.base_year]
        cv = county_measures(values, profile)
        cv = cv[cv["indicator"].str.endswith("_cv")]
        cv = cv.assign(passed=[meets(v, t, c, rel_tol=0) for v, t, c in
                               zip(cv["value"], cv["threshold"], cv["comparator"], strict=True)])
        frames.append(action_list(values, profile, cv[["section", "indicator", "passed"]],
                                  milestone_year=history.base_year))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ACTION_COLUMNS)
