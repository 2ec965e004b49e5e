"""Trends and projections to the milestone years (趋势分析与达标预测).

A county must know before the inspectors come whether it will pass. This module turns the processed outputs of
every past year into a panel (面板数据) and projects enrollment, resource stocks, indicators, CVs, compliant-school
shares and numeric county items to the milestone years of the profile (``milestones``, e.g. 2026 市级/省级评估,
2027 国家认定, 2028 所有学校达标; 000_7663589297cde400.txt, 003_1c8462c5537f038e.txt).

Method (每一步都可由审核人员复算)
------------------------------------
* **Schools across years (学校跨年匹配)** by ``school_code``. A school missing in later years is *closed* (撤并/停办);
  one that appears later is *opened* (新开办). A closed school whose pupils reappear in one school of the same
  township the next year (that school gains at least ``merge_min_share`` of the closed school's students) is listed
  as *merged into* it (并入); the merge year is a structural break for the receiving school and its change that
  year is left out of its trends (a merge is not a trend).
* **Enrollment (在校生预测)**, per school and section, from ``classes.csv`` (students by grade):
  cohort progression (年级递进) ``grade g+1 in year t+1 = grade g in year t × rate_g``. The school's rate is
  pooled over the observed year pairs and shrunk towards the county rate where the school is small:
  ``rate = (Σ next-grade pupils + k·county_rate) / (Σ pupils + k)`` with ``k = shrinkage_students``. Entrants to
  the first grade (grade 1, 7, 10) = county entrants × the school's mean share of them; county entrants follow
  their mean annual growth rate (on ``log(1 + n)``). A school's own intake trend is deliberately not used: a few
  years of small, noisy counts extrapolate to zero or explode within five years. The price: a school whose share
  is steadily rising or falling is held at its mean share (the band, which draws single years' shares, shows part
  of that). An intake file replaces the entrants it gives. The section total is scaled to the school table: ``students_t = students_Y × Σgrades_t /
  Σgrades_Y``. Without grade data for a school-section: its student count follows its own growth rate.
  Projected headcounts are whole pupils (rounded) before indicators are computed.
* **Resource stocks (资源存量)**: every facility stock of the school table (areas, equipment value in yuan,
  multimedia rooms) and every teacher count of the teacher table follow their own trend = the mean annual
  change over the last ``trend_window_years`` years, anchored on the current year's value, never below 0. Where a
  planned-investment file gives amounts for a school and field, the plan replaces the trend for that field.
* **Guarantee rules per school (G3, G4, G5)**: the compliant-school shares ``G3_share`` (music/art rooms),
  ``G4_share`` (school size) and ``G5_share`` (class size, past years only) use the step-04 checks of
  :mod:`analysis.guarantee`; in projected years classes follow the pupils at the school's current mean class size
  and room counts and areas follow their trend.
* **Indicators (指标)**: for each future year the projected school table and teacher table go through exactly the
  same code as the current year (``analysis.indicators.evaluate``: exclusions, 1:1.1 splits, value = stock × per /
  students, 6-of-7 rule) and ``analysis.variation.cv_table``. CVs and compliant shares are therefore computed
  from projected school values, never extrapolated themselves.
* **Uncertainty (不确定性区间)**: a bootstrap over years. Each replicate draws, for every future year, one observed
  year pair (with replacement) and applies *that year's* changes to every school at once (stocks, intake, grade
  transition rates), so county-wide shocks move all schools together. ``replicates`` replicates with a fixed
  ``seed`` (deterministic); ``low``/``high`` are the ``band`` percentiles of the replicates. The central value is
  the trend itself (no resampling).
* **Status (达标预测状态)** of a projected value against its threshold: ``on_track`` (预计达标) when the whole band
  is on the passing side, ``off_track`` (预计不达标) when the whole band fails, else ``at_risk`` (存在风险).
  ``reach_year``: first year from which the central projection passes through the end of the horizon.

All method settings are in :data:`METHOD` (method choices of this project, not policy; no seed sets them) and a
profile may override any of them under a ``projection:`` key. Fewer than ``min_history_years`` observed years:
observed rows only, no projection (a trend from one or two changes would be false precision).

Optional raw inputs (可选输入, in ``data/raw/<county>/<year>/`` like every other sheet: .xlsx/.xls/.csv, Chinese
headers or English ids; read, cleaned and validated in step 01 by ``analysis.cleaning``, tables
``planned_investment`` and ``intake`` of ``analysis.columns``; ``analysis templates`` writes empty ones)
-------------------------------------------------------------------------------------------------------------------
``规划投入`` / ``planned_investment``: ``school_code`` (学校标识码), ``section`` (学段, 小学/初中; required for
teacher fields, ignored for facility fields, which are school-wide and split by the usual student weights),
``year`` (年份), ``field`` (项目: a stock id such as ``teaching_rooms_m2``, ``sports_area_m2``,
``equipment_value_yuan`` (元, not 万元), ``multimedia_classrooms``, ``land_area_m2``, ``teachers_above_degree``,
``key_teachers``, ``pe_teachers``, ``music_teachers``, ``art_teachers``, ``teachers``, or its Chinese header),
``amount`` (数量: added in that year; negative = removed).

``招生预测`` / ``intake`` (e.g. from births 出生人口): ``school_code``, ``section``, ``year``, ``students`` (新生数:
entrants to the section's first grade that year). Replaces the intake trend for the rows given.

Output ``projection.csv`` (contract): ``level`` (county|school), ``school_code`` (empty for county rows),
``section`` (primary|junior; empty for county-wide items), ``indicator``, ``year``, ``value``, ``low``, ``high``,
``threshold``, ``status`` (``observed`` for past years; on_track/at_risk/off_track for projected rows with a
threshold; empty otherwise). Indicator names:

* school rows: ``R1``…``R7`` (and extra indicators; threshold = the school's standard), ``school_pass`` (1 = meets
  the 6-of-7 rule; threshold 1), ``students``;
* county rows: ``R1``… (enrollment-weighted mean; threshold = standard, informational, no status), ``R1_cv``…
  (CV; threshold = limit), ``R1_share``… (share of school-sections meeting the standard), ``school_pass_share``
  (share meeting the 6-of-7 rule; threshold 1 = 校校达标 every school), ``students``, ``n_schools``;
  section empty: ``G3_share``, ``G4_share``, ``G5_share`` (threshold 1) and county items by ``item_id``
  (numeric values only; threshold and comparator from ``items.csv``).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.config import SECTION_ZH
from analysis.data.columns import PLANNED_TEACHER_STOCKS
from analysis.evaluate.indicators import REL_TOL, STUDENT_COLUMNS, evaluate, indicator_ids, indicator_spec
from analysis.evaluate.variation import cv_table
from analysis.standards import COMPARATORS

PROJECTION_COLUMNS = ["level", "school_code", "section", "indicator", "year", "value", "low", "high", "threshold",
                      "status"]
# Method choices (not policy). A profile may override any key under ``projection:``.
METHOD: dict = {
    "min_history_years": 3,      # fewer observed years → no projection
    "trend_window_years": 5,     # trends use the changes within the last 5 observed years
    "replicates": 200,           # bootstrap replicates
    "seed": 20260101,            # fixed → identical bands on every run
    "band": (0.10, 0.90),        # percentiles shown as the band and used for the status
    "shrinkage_students": 60,    # k of the transition-rate shrinkage (pupils)
    "merge_min_share": 0.5,      # a receiving school must gain ≥ 50% of a closed school's pupils to call it a merge
}
TEACHER_FIELDS = PLANNED_TEACHER_STOCKS
SECTIONS = ("primary", "junior")
STATUS_ZH = {"on_track": "预计达标", "at_risk": "存在风险", "off_track": "预计不达标", "observed": "实际值", "": ""}
CHANGE_ZH = {"continuing": "持续办学", "opened": "新开办", "closed": "停办/撤销", "merged": "并入他校",
             "opened_closed": "期间新开办后停办", "intermittent": "部分年份缺报"}
COMPARE = {**COMPARATORS, "==": operator.eq, "=": operator.eq}  # item rows also compare yes/no answers
SEP = "|"  # joins school code, year and scenario into a temporary key (codes are digits)


def method_settings(profile: dict) -> dict:
    """:data:`METHOD` with the profile's ``projection:`` overrides."""
    out = dict(METHOD)
    out.update(profile.get("projection") or {})
    return out


def method_table(settings: dict) -> pd.DataFrame:
    """The method settings in Chinese, for the notebook (方法参数)."""
    lo, hi = settings["band"]
    rows = {"最少历史年数": settings["min_history_years"], "趋势窗口（年）": settings["trend_window_years"],
            "模拟次数": settings["replicates"], "随机种子": settings["seed"], "区间分位数": f"{lo:.0%}—{hi:.0%}",
            "升级率收缩系数 k（人）": settings["shrinkage_students"],
            "认定并入的最低学生转移比例": f"{settings['merge_min_share']:.0%}"}
    return pd.DataFrame({"参数": list(rows), "取值": [str(v) for v in rows.values()]})


# ----------------------------------------------------------------------------------------------- reading (edge)


@dataclass
class History:
    """Processed outputs of the observed years (历年数据), oldest first; the last year is the base year."""

    years: list[int]
    schools: dict[int, pd.DataFrame]
    teachers: dict[int, pd.DataFrame]
    school_indicators: dict[int, pd.DataFrame]
    classes: dict[int, pd.DataFrame] = field(default_factory=dict)
    items: dict[int, pd.DataFrame] = field(default_factory=dict)
    targets: pd.DataFrame | None = None
    targets_year: int | None = None

    @property
    def base_year(self) -> int:
        return self.years[-1]


def read_history(load_history: Callable[[str], dict[int, pd.DataFrame]]) -> History:
    """The observed years: ``schools``, ``teachers``, ``school_indicators`` (required in every year that has
    school indicators), ``classes`` and ``items`` (optional), and the latest year's ``targets``.

    ``load_history(name)`` gives ``{year: frame}`` of every year up to the evaluation year (``ctx.load_history``)."""
    frames = {name: load_history(name) for name in ("schools", "teachers", "school_indicators", "classes", "items",
                                                     "targets")}
    years = sorted(frames["school_indicators"])
    if not years:
        raise ValueError("没有任何年份的逐校指标（school_indicators）；请先运行步骤 01–02")
    for name in ("schools", "teachers"):
        absent = [y for y in years if y not in frames[name]]
        if absent:
            raise FileNotFoundError(f"{'、'.join(map(str, absent))} 年缺少 {name}；请先运行步骤 01（趋势分析需要各年处理结果）")
    pick = lambda name: {y: frames[name][y] for y in years if y in frames[name]}  # noqa: E731
    hist = History(years=years, schools=pick("schools"), teachers=pick("teachers"),
                   school_indicators=pick("school_indicators"), classes=pick("classes"), items=pick("items"))
    for y in reversed(years):
        if y in frames["targets"]:
            hist.targets, hist.targets_year = frames["targets"][y], y
            break
    return hist


def planned_fields(profile: dict) -> dict[str, str]:
    """Stock fields a planned-investment row may name: id → kind (``facility`` or ``teacher``)."""
    out = {f: "facility" for f in profile["split_fields"]}
    out.update({f: "teacher" for f in TEACHER_FIELDS})
    return out


def planned_investment(plan: pd.DataFrame | None, profile: dict) -> pd.DataFrame | None:
    """The cleaned 规划投入 table (``planned_investment.csv`` from step 01) → school_code, section, year, field,
    kind, amount; None when the county supplied none.

    Reading and validation (file, row and column of every bad cell; a teacher stock without a section) happen in
    ``analysis.cleaning`` like every other input. Facility stocks are for the whole school (section "").
    """
    if plan is None:
        return None
    kinds = planned_fields(profile)
    unknown = ~plan["field"].isin(list(kinds))
    if unknown.any():
        row = plan[unknown].iloc[0]
        raise ValueError(f"规划投入 row {row.get('source_row', '?')}: {row['field']!r} is not a stock of profile "
                         f"{profile['name']} — expected one of {sorted(kinds)}")
    out = pd.DataFrame({"school_code": plan["school_code"].astype(str),
                        "section": plan["section"].fillna("").astype(str), "year": plan["year"].astype(int),
                        "field": plan["field"].astype(str), "amount": plan["amount"].astype(float)})
    out["kind"] = out["field"].map(kinds)
    out.loc[out["kind"] == "facility", "section"] = ""
    return out.reset_index(drop=True)


def intake_forecast(intake: pd.DataFrame | None) -> pd.DataFrame | None:
    """The cleaned 招生预测 table (``intake.csv`` from step 01) → school_code, section, year, students; None if
    the county supplied none."""
    if intake is None:
        return None
    return pd.DataFrame({"school_code": intake["school_code"].astype(str), "section": intake["section"].astype(str),
                         "year": intake["year"].astype(int), "students": intake["students"].astype(float)})


# ------------------------------------------------------------------------------------------ schools across years


def _compulsory_students(schools: pd.DataFrame) -> pd.Series:
    cols = [c for c in STUDENT_COLUMNS.values() if c in schools]
    return schools[cols].fillna(0).sum(axis=1)


def school_changes(schools_by_year: dict[int, pd.DataFrame], merge_min_share: float) -> pd.DataFrame:
    """One row per school code ever seen (学校变动): years present, continuing/opened/closed/merged and the
    receiving school of a merge (see module docstring)."""
    years = sorted(schools_by_year)
    frames = []
    for y in years:
        s = schools_by_year[y]
        part = s[["school_code", "school_name", "school_type"]].copy()
        part["township"] = s.get("township", "")
        part["students"] = _compulsory_students(s)
        part["year"] = y
        frames.append(part)
    long = pd.concat(frames, ignore_index=True)
    rows = []
    for code, part in long.groupby("school_code", sort=True):
        present = sorted(part["year"])
        last = part[part["year"] == present[-1]].iloc[0]
        span = years[years.index(present[0]):years.index(present[-1]) + 1]
        opened, closed = present[0] > years[0], present[-1] < years[-1]
        status = ("opened_closed" if opened and closed else "opened" if opened else "closed" if closed
                  else "intermittent" if len(present) < len(span) else "continuing")
        rows.append({"school_code": code, "school_name": last["school_name"], "school_type": last["school_type"],
                     "township": last["township"], "first_year": present[0], "last_year": present[-1],
                     "years_present": ",".join(map(str, present)), "status": status, "merged_into": "",
                     "merge_year": np.nan, "note": ""})
    out = pd.DataFrame(rows)
    by_year = {y: long[long["year"] == y].set_index("school_code") for y in years}
    for i, r in out.iterrows():
        if r["status"] not in ("closed", "opened_closed"):
            continue
        nxt = years[years.index(r["last_year"]) + 1]
        before, after = by_year[r["last_year"]], by_year[nxt]
        lost = float(before.loc[r["school_code"], "students"])
        both = before.index.intersection(after.index)
        gain = after.loc[both, "students"] - before.loc[both, "students"]
        town = before.loc[r["school_code"], "township"]
        if isinstance(town, str) and town:
            gain = gain[before.loc[both, "township"].fillna("").astype(str) == town]
        gain = gain[gain >= merge_min_share * lost] if lost > 0 else gain.iloc[0:0]
        if len(gain):
            out.loc[i, ["status", "merged_into", "merge_year"]] = ["merged", gain.idxmax(), nxt]
            out.loc[i, "note"] = (f"{nxt}年{after.loc[gain.idxmax(), 'school_name']}学生增加{gain.max():.0f}人"
                                  f"（本校{r['last_year']}年{lost:.0f}人），按并入处理")
        else:
            same_name = after.index[(after["school_name"] == r["school_name"]) & ~after.index.isin(before.index)]
            if len(same_name):
                out.loc[i, "note"] = f"{nxt}年出现同名学校（代码{same_name[0]}），疑似更换学校代码，请核实"
    out["status_zh"] = out["status"].map(CHANGE_ZH)
    return out


def structural_breaks(changes: pd.DataFrame) -> set[tuple[str, int]]:
    """(receiving school, merge year): the change into that year is a merge, not a trend."""
    merged = changes[changes["status"] == "merged"]
    return {(str(c), int(y)) for c, y in zip(merged["merged_into"], merged["merge_year"], strict=True)}


# ------------------------------------------------------------------------------------------------------- panel


def school_panel(school_indicators_by_year: dict[int, pd.DataFrame], profile: dict) -> pd.DataFrame:
    """Long panel per school-section, year and indicator: value, threshold (the school's standard), ratio, met."""
    frames = []
    for y, si in sorted(school_indicators_by_year.items()):
        for ind in indicator_ids(profile):
            part = si[["school_code", "school_name", "school_type", "urban_rural", "section", "students",
                       "school_pass"]].copy()
            part.insert(0, "year", y)
            part["indicator"] = ind
            part["value"] = si[ind].astype(float)
            part["threshold"] = si[f"{ind}_std"].astype(float)
            part["ratio"] = part["value"] / part["threshold"]
            part["met"] = part["value"] >= part["threshold"] * (1 - REL_TOL)
            frames.append(part)
    return pd.concat(frames, ignore_index=True)


def county_measures(values: pd.DataFrame, profile: dict, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """County-level measures of evaluated school-sections (one year, or one row group per ``by`` key):

    weighted mean (``R1``…), CV (``R1_cv``…), share meeting the standard (``R1_share``…), share meeting the 6-of-7
    rule (``school_pass_share``, threshold 1 = every school), ``students`` and ``n_schools``.
    """
    keys = [*by, "section"]
    cv = cv_table(values, profile, by=by)
    frames = []
    for ind in indicator_ids(profile):
        c = cv[cv["indicator"] == ind]
        std = c["section"].map(lambda s, i=ind: float(indicator_spec(profile, i)[s]))
        frames.append(c[keys].assign(indicator=ind, value=c["weighted_mean"], threshold=std, comparator=""))
        frames.append(c[keys].assign(indicator=f"{ind}_cv", value=c["cv"], threshold=c["limit"],
                                     comparator=c["comparator"]))
    g = values.assign(**{f"_{i}": values[i] >= values[f"{i}_std"] * (1 - REL_TOL) for i in indicator_ids(profile)},
                      _pass=values["school_pass"].astype(float))
    grouped = g.groupby(keys, sort=False)
    for ind in indicator_ids(profile):
        share = grouped[f"_{ind}"].mean().reset_index(name="value")
        frames.append(share.assign(indicator=f"{ind}_share", threshold=np.nan, comparator=""))
    frames.append(grouped["_pass"].mean().reset_index(name="value")
                  .assign(indicator="school_pass_share", threshold=1.0, comparator=">="))
    frames.append(grouped["students"].sum().reset_index(name="value")
                  .assign(indicator="students", threshold=np.nan, comparator=""))
    frames.append(grouped.size().reset_index(name="value")
                  .assign(indicator="n_schools", threshold=np.nan, comparator=""))
    out = pd.concat(frames, ignore_index=True)
    out["value"] = out["value"].astype(float)
    return out


def item_panel(items_by_year: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Numeric county items by year (县级指标): item_id, name_zh, year, value, threshold, comparator.

    Items that restate school values are left out: the step-04 copies of the CVs and of the school rule
    (``area`` resource_cv / resource_schools) and the G3/G4 counts. Their projections come from the projected
    schools (``R1_cv``…, ``school_pass_share``, ``G3_share``, ``G4_share``); extrapolating them would extrapolate
    the CV itself.
    """
    from analysis.data.cleaning import parse_number

    def num(v):
        try:
            return parse_number(v)
        except (ValueError, TypeError):
            return None

    frames = []
    for y, items in sorted(items_by_year.items()):
        own = ~items["item_id"].astype(str).isin(["G3", "G4"])
        if "area" in items:
            own &= ~items["area"].fillna("").astype(str).str.startswith("resource")
        items = items[own]
        part = pd.DataFrame({"year": y, "item_id": items["item_id"].astype(str),
                             "name_zh": items.get("name_zh", ""),
                             "value": items["value"].map(num).astype(float),
                             "threshold": items["threshold"].map(num).astype(float) if "threshold" in items
                             else np.nan,
                             "comparator": items["comparator"].fillna("").astype(str) if "comparator" in items
                             else ""})
        # only comparators this module can apply; anything else (e.g. yes/no wording) is shown without status
        part["comparator"] = part["comparator"].str.strip().where(part["comparator"].str.strip().isin(COMPARE), "")
        frames.append(part[part["value"].notna()])
    cols = ["year", "item_id", "name_zh", "value", "threshold", "comparator"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


SCHOOL_RULES = ("G3", "G4", "G5")  # per-school guarantee rules with a compliant-school share (003 targets)
_RULE_COLUMNS = {"G3": ["classes_primary", "classes_junior", "music_rooms", "music_rooms_m2", "music_rooms_m2_basis",
                        "art_rooms", "art_rooms_m2", "art_rooms_m2_basis"],
                 "G4": ["students_primary", "students_junior"]}


def school_rule_flags(schools: pd.DataFrame, classes: pd.DataFrame | None, profile: dict) -> pd.DataFrame:
    """Per school: does it meet G3 (music/art rooms), G4 (school size), G5 (every class within the cap)?

    Uses the step-04 functions of :mod:`analysis.guarantee`. Schools in the R1–R7 scope (teaching points below
    the minimum left out, as in 003's "50人以上教学点"); NaN where the data (or the profile's ``guarantee``
    section) do not allow the check.
    """
    from analysis.evaluate import guarantee

    scope = guarantee.rule_scope(schools, profile, small_points=False) if "guarantee" in profile else (
        _compulsory_students(schools) > 0)
    out = schools.loc[scope, ["school_code", "school_type", "urban_rural"]].copy()
    out["students"] = _compulsory_students(schools)[scope]
    for rule in SCHOOL_RULES:
        out[rule] = np.nan
    if "guarantee" not in profile or out.empty:
        return out.reset_index(drop=True)
    index = out.set_index("school_code").index
    if all(c in schools for c in _RULE_COLUMNS["G3"]):
        rooms = guarantee.music_art_rooms(schools, profile, reasons=False)
        if len(rooms):
            ok = rooms.set_index("school_code")
            out["G3"] = ok["passed"].where(ok["status"] != guarantee.MISSING).reindex(index).to_numpy(dtype=float)
    sizes = guarantee.school_size(schools, profile)
    if len(sizes):
        out["G4"] = sizes.set_index("school_code")["passed"].reindex(index).to_numpy(dtype=float)
    if classes is not None and len(classes):
        sized = guarantee.class_sizes(classes, schools, profile)
        over = sized.groupby("school_code")["oversized"].any()
        out["G5"] = (~over.reindex(index).astype("boolean")).astype(float).to_numpy()
    return out.reset_index(drop=True)


def rule_shares(flags: pd.DataFrame, profile: dict, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """County rows ``G3_share``… : share of schools meeting the rule (threshold 1: every school, 15项均须达到)."""
    frames = []
    for rule in SCHOOL_RULES:
        part = flags[flags[rule].notna()]
        if part.empty:
            continue
        if by:
            share = part.groupby(list(by), sort=False)[rule].mean().reset_index(name="value")
        else:
            share = pd.DataFrame({"value": [part[rule].mean()]})
        frames.append(share.assign(indicator=f"{rule}_share", section="", threshold=1.0, comparator=">="))
    cols = [*by, "section", "indicator", "value", "threshold", "comparator"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def observed_rows(history: History, profile: dict) -> pd.DataFrame:
    """Past years in the long projection layout (status ``observed``, no band)."""
    frames = []
    for y, si in sorted(history.school_indicators.items()):
        frames.append(_school_rows(si.assign(year=y), profile))
        frames.append(county_measures(si, profile).assign(year=y, level="county", school_code="", school_name=""))
        flags = school_rule_flags(history.schools[y], history.classes.get(y), profile)
        frames.append(rule_shares(flags, profile).assign(year=y, level="county", school_code="", school_name=""))
    items = item_panel(history.items)
    if len(items):
        frames.append(items.assign(level="county", school_code="", school_name="", section="",
                                   indicator=items["item_id"]).drop(columns=["item_id", "name_zh"]))
    out = pd.concat(frames, ignore_index=True)
    out["low"], out["high"], out["status"], out["kind"] = np.nan, np.nan, "observed", "observed"
    return out


def _school_rows(values: pd.DataFrame, profile: dict, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """School rows of evaluated frames (with ``year``): R*, school_pass, students."""
    ids = indicator_ids(profile)
    head = ["year", "school_code", "school_name", "section", *extra]
    frames = [values[head].assign(indicator=i, value=values[i].astype(float),
                                  threshold=values[f"{i}_std"].astype(float), comparator=">=") for i in ids]
    frames.append(values[head].assign(indicator="school_pass", value=values["school_pass"].astype(float),
                                      threshold=1.0, comparator=">="))
    frames.append(values[head].assign(indicator="students", value=values["students"].astype(float),
                                      threshold=np.nan, comparator=""))
    return pd.concat(frames, ignore_index=True).assign(level="school")


# ------------------------------------------------------------------------------------------- trend and bootstrap


def _window(history_years: list[int], settings: dict) -> list[int]:
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


def _breaks_mask(codes: list[str], years: list[int], breaks: set[tuple[str, int]]) -> np.ndarray:
    return np.array([[(c, y) in breaks for y in years[1:]] for c in codes], dtype=bool).reshape(len(codes),
                                                                                              len(years) - 1)


# ---------------------------------------------------------------------------------------------------- enrollment


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
        wide[y] = (py.pivot_table(index="school_code", columns="grade", values="students", aggfunc="sum")
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
    window = _window(history.years, settings)
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
                                            _breaks_mask(trend, window, breaks), growth=True)
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


def project_stocks(frames_by_year: dict[int, pd.DataFrame], key: list[str], fields: list[str], keys: pd.DataFrame,
                   years: list[int], draws: np.ndarray, settings: dict, breaks: set[tuple[str, int]] = frozenset(),
                   plan: pd.DataFrame | None = None) -> dict[str, Paths]:
    """Trend paths of each stock field for the rows ``keys`` (school, or school and section); a plan replaces the
    trend of the (row, field) pairs it names: value_t = value_Y + Σ planned amounts of years ≤ t."""
    window = _window(sorted(frames_by_year), settings)
    base = window[-1]
    idx = pd.MultiIndex.from_frame(keys[key]) if len(key) > 1 else pd.Index(keys[key[0]])
    codes = keys["school_code"].tolist()
    out = {}
    for f in fields:
        series = pd.DataFrame({y: frames_by_year[y].set_index(key)[f].astype(float) if f in frames_by_year[y]
                               else np.nan for y in window}).reindex(idx)
        central, reps = trend_paths(series.to_numpy(), window, draws, _breaks_mask(codes, window, breaks))
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


# --------------------------------------------------------------------------------------------- the projection


@dataclass
class Projection:
    """Everything step 05 computes for one county and base year."""

    base_year: int
    years: list[int]
    milestones: list[dict]
    rows: pd.DataFrame                       # long layout (contract columns + school_name, comparator, kind)
    changes: pd.DataFrame                    # schools across years
    enrollment: Paths | None = None
    rates: pd.DataFrame | None = None
    central: pd.DataFrame | None = None      # evaluated projected school-sections, central scenario
    enrollment_only: pd.DataFrame | None = None  # stocks frozen at the base year, students projected
    replicates: pd.DataFrame | None = None   # evaluated replicates (``scenario`` 0…B-1)
    rule_flags: pd.DataFrame | None = None   # G3/G4 per projected school, year and scenario (central = -1)
    notes: list[str] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """``projection.csv`` (contract columns only)."""
        return self.rows[PROJECTION_COLUMNS].reset_index(drop=True)


def future_milestones(profile: dict, base_year: int) -> list[dict]:
    """Milestones to project: dated, assessed, after the base year (past ones: analysis.evaluate.milestones)."""
    from analysis.evaluate.milestones import projected

    return projected(profile, base_year)


def project(history: History, profile: dict, planned: pd.DataFrame | None = None,
            intake: pd.DataFrame | None = None) -> Projection:
    """Observed panel plus projections to every year up to the last milestone after the base year."""
    settings = method_settings(profile)
    base = history.base_year
    milestones = future_milestones(profile, base)
    years = list(range(base + 1, int(milestones[-1]["year"]) + 1)) if milestones else []
    changes = school_changes(history.schools, settings["merge_min_share"])
    observed = observed_rows(history, profile)
    result = Projection(base, years, milestones, observed, changes)
    window = _window(history.years, settings)
    if not years:
        result.notes.append(f"标准配置中没有{base}年以后的时间节点，无需预测。")
    elif len(window) < settings["min_history_years"]:
        result.notes.append(
            f"仅有{len(window)}年数据（{'、'.join(map(str, window))}），预测至少需要{settings['min_history_years']}年"
            "历史数据；本次只列出实际值，不做预测。")
    if result.notes:
        result.rows = _finish(observed)
        return result

    breaks = structural_breaks(changes)
    draws = draw_pairs(len(window) - 1, len(years), settings)
    enrollment, rates = project_enrollment(history, years, draws, settings, breaks, intake)
    schools_y, teachers_y = history.schools[base], history.teachers[base]
    school_keys = schools_y[["school_code"]].reset_index(drop=True)
    # facility stocks of the indicators, plus the music/art rooms of G3 (counts and areas)
    g3_stocks = ("music_rooms", "music_rooms_m2", "art_rooms", "art_rooms_m2")
    facility = [f for f in (*profile["split_fields"], *g3_stocks) if f in schools_y]
    plan_f = planned[planned["kind"] == "facility"] if planned is not None else None
    plan_t = planned[planned["kind"] == "teacher"] if planned is not None else None
    stocks = project_stocks(history.schools, ["school_code"], facility, school_keys, years, draws, settings,
                            breaks, plan_f)
    teacher_keys = teachers_y.loc[teachers_y["section"].isin(SECTIONS)
                                  & teachers_y["school_code"].isin(schools_y["school_code"]),
                                  ["school_code", "section"]].reset_index(drop=True)
    t_fields = [f for f in TEACHER_FIELDS if f in teachers_y]
    t_stocks = project_stocks(history.teachers, ["school_code", "section"], t_fields, teacher_keys, years, draws,
                              settings, breaks, plan_t)

    schools_s, teachers_s = scenario_inputs(schools_y, teachers_y[teachers_y["section"].isin(SECTIONS)],
                                            enrollment, stocks, t_stocks, teacher_keys, years)
    values, _ = evaluate(schools_s, teachers_s, profile)
    result.rule_flags = _decode(school_rule_flags(schools_s, None, profile))
    parts = values["school_code"].str.split(SEP, expand=True)
    values = values.assign(school_code=parts[0], year=parts[1].astype(int), scenario=parts[2].astype(int))
    result.enrollment, result.rates = enrollment, rates
    result.central = values[values["scenario"] == CENTRAL].drop(columns="scenario").reset_index(drop=True)
    result.enrollment_only = values[values["scenario"] == FROZEN].drop(columns="scenario").reset_index(drop=True)
    reps = values[values["scenario"] >= FIRST_REP].reset_index(drop=True)
    result.replicates = reps.assign(scenario=reps["scenario"] - FIRST_REP)

    projected = _projected_rows(result, history, profile, settings)
    result.rows = _finish(pd.concat([observed, projected], ignore_index=True))
    return result


CENTRAL, FROZEN, FIRST_REP = 0, 1, 2  # scenario ids in the stacked evaluation


def _decode(frame: pd.DataFrame) -> pd.DataFrame:
    """``code|year|scenario`` keys back to columns; scenario renumbered: central −1, frozen −2, replicates 0…"""
    parts = frame["school_code"].str.split(SEP, expand=True)
    scen = parts[2].astype(int)
    scen = np.where(scen == CENTRAL, -1, np.where(scen == FROZEN, -2, scen - FIRST_REP))
    return frame.assign(school_code=parts[0], year=parts[1].astype(int), scenario=scen)


def scenario_inputs(schools: pd.DataFrame, teachers: pd.DataFrame, enrollment: Paths, stocks: dict[str, Paths],
                    t_stocks: dict[str, Paths], teacher_keys: pd.DataFrame, years: list[int]
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Projected school and teacher tables for every (year, scenario), stacked; ``school_code`` becomes
    ``code|year|scenario``. Scenario 0 = central, 1 = stocks frozen at the base year with projected students,
    2… = bootstrap replicates."""
    b_n = enrollment.reps.shape[0]
    n_sc = b_n + FIRST_REP
    h_n = len(years)

    def stack(central: np.ndarray, reps: np.ndarray, frozen: np.ndarray) -> np.ndarray:
        # (scenario, row, year) → flattened in (year, scenario, row) order
        return np.concatenate([central[None], frozen[None], reps], axis=0).transpose(2, 0, 1).reshape(-1)

    def expand(base: pd.DataFrame) -> pd.DataFrame:
        k = len(base)
        out = base.iloc[np.tile(np.arange(k), h_n * n_sc)].reset_index(drop=True)
        year = np.repeat(years, n_sc * k)
        scen = np.tile(np.repeat(np.arange(n_sc), k), h_n)
        out["school_code"] = (out["school_code"].astype(str) + SEP + pd.Series(year).astype(str) + SEP
                              + pd.Series(scen).astype(str))
        return out

    sch = schools.reset_index(drop=True)
    if sch["school_code"].astype(str).str.contains(SEP, regex=False).any():
        raise ValueError(f"school codes must not contain {SEP!r}")
    out_s = expand(sch)
    k = len(sch)
    for section, col in STUDENT_COLUMNS.items():
        if col not in sch:
            continue
        part = enrollment.keys["section"] == section
        pos = pd.Series(np.arange(part.sum()), index=enrollment.keys.loc[part, "school_code"].to_numpy())
        idx = sch["school_code"].map(pos)
        have = idx.notna().to_numpy()
        cen = np.zeros((k, h_n))
        rep = np.zeros((b_n, k, h_n))
        sel = idx[have].astype(int).to_numpy()
        cen[have] = enrollment.central[part.to_numpy()][sel]
        rep[:, have] = enrollment.reps[:, part.to_numpy()][:, sel]
        out_s[col] = stack(cen, rep, cen)
        classes = col.replace("students_", "classes_")
        if classes in sch:
            # classes follow the pupils at the school's current mean class size (for G3's rooms per 12 classes)
            size = (sch[col].astype(float) / sch[classes].astype(float)).where(sch[classes] > 0)
            per = np.tile(size.to_numpy(), h_n * n_sc)  # rows are ordered (year, scenario, school)
            n = out_s[col].to_numpy(dtype=float)
            out_s[classes] = np.where(np.isnan(per), out_s[classes].astype(float),
                                      np.ceil(n / per * (1 - REL_TOL)))
    for f, p in stocks.items():
        frozen = np.repeat(sch[f].astype(float).to_numpy()[:, None], h_n, axis=1)
        out_s[f] = stack(p.central, p.reps, frozen)
    tch = teacher_keys.merge(teachers, on=["school_code", "section"], how="left")
    out_t = expand(tch)
    for f, p in t_stocks.items():
        frozen = np.repeat(tch[f].astype(float).to_numpy()[:, None], h_n, axis=1)
        out_t[f] = stack(p.central, p.reps, frozen)
    return out_s, out_t


def _band(frame: pd.DataFrame, keys: list[str], value_cols: list[str], settings: dict) -> pd.DataFrame:
    lo, hi = settings["band"]
    g = frame.groupby(keys, sort=False)[value_cols]
    low = g.quantile(lo).add_suffix("_low")
    high = g.quantile(hi).add_suffix("_high")
    return low.join(high).reset_index()


def _projected_rows(result: Projection, history: History, profile: dict, settings: dict) -> pd.DataFrame:
    central, reps = result.central, result.replicates
    # school rows: central value and replicate band
    rows_c = _school_rows(central, profile)
    reps_long = _school_rows(reps, profile, extra=("scenario",))
    band = _band(reps_long, ["school_code", "section", "indicator", "year"], ["value"], settings)
    school = rows_c.merge(band, on=["school_code", "section", "indicator", "year"], how="left")
    # county rows
    county_c = county_measures(central, profile, by=("year",))
    county_r = county_measures(reps, profile, by=("year", "scenario"))
    band_c = _band(county_r, ["year", "section", "indicator"], ["value"], settings)
    county = county_c.merge(band_c, on=["year", "section", "indicator"], how="left").assign(
        level="county", school_code="", school_name="")
    frames = [school, county]
    flags = result.rule_flags
    rules_c = rule_shares(flags[flags["scenario"] == -1], profile, by=("year",))
    if len(rules_c):
        rules_r = rule_shares(flags[flags["scenario"] >= 0], profile, by=("year", "scenario"))
        band_g = _band(rules_r, ["year", "section", "indicator"], ["value"], settings)
        frames.append(rules_c.merge(band_g, on=["year", "section", "indicator"], how="left").assign(
            level="county", school_code="", school_name=""))
    items = _projected_items(history, result.years, settings)
    if items is not None:
        frames.append(items)
    out = pd.concat(frames, ignore_index=True).rename(columns={"value_low": "low", "value_high": "high"})
    # The band always contains the central value (a school right at a threshold can otherwise sit just outside
    # the replicates, which use year-specific rather than pooled rates).
    out["low"] = np.fmin(out["low"], out["value"])
    out["high"] = np.fmax(out["high"], out["value"])
    out["kind"] = "projected"
    out["status"] = band_status(out["low"], out["high"], out["value"], out["threshold"], out["comparator"],
                                np.where(out["level"] == "school", REL_TOL, 0.0))
    return out


def _projected_items(history: History, years: list[int], settings: dict) -> pd.DataFrame | None:
    items = item_panel(history.items)
    window = _window(history.years, settings)
    items = items[items["year"].isin(window)]
    if items.empty:
        return None
    wide = items.pivot_table(index="item_id", columns="year", values="value", aggfunc="first").reindex(
        columns=window)
    ok = wide[window[-1]].notna() & (wide.notna().sum(axis=1) >= settings["min_history_years"])
    wide = wide[ok]
    if wide.empty:
        return None
    draws = draw_pairs(len(window) - 1, len(years), settings)
    central, reps = trend_paths(wide.to_numpy(), window, draws)
    central, reps = np.maximum(central, 0), np.maximum(reps, 0)
    last = items[items["year"] == window[-1]].set_index("item_id")
    thr = last["threshold"].reindex(wide.index)
    # rates (all observed values and the threshold within [0, 1]) stay within [0, 1]
    is_rate = ((wide.min(axis=1) >= 0) & (wide.max(axis=1) <= 1) & thr.fillna(0).between(0, 1)).to_numpy()
    central[is_rate] = np.minimum(central[is_rate], 1)
    reps[:, is_rate] = np.minimum(reps[:, is_rate], 1)
    lo, hi = settings["band"]
    keys = pd.DataFrame({"indicator": wide.index})
    p = Paths(keys, years, central, reps)
    out = p.central_frame()
    out["value_low"] = np.quantile(reps, lo, axis=0).reshape(-1)  # renamed with the other frames' bands
    out["value_high"] = np.quantile(reps, hi, axis=0).reshape(-1)
    out["threshold"] = out["indicator"].map(thr)
    out["comparator"] = out["indicator"].map(last["comparator"]).fillna("")
    return out.assign(level="county", school_code="", school_name="", section="")


def _finish(rows: pd.DataFrame) -> pd.DataFrame:
    out = rows.copy()
    for c in ("low", "high"):
        if c not in out:
            out[c] = np.nan
    out["section"] = out["section"].fillna("")
    out["school_code"] = out["school_code"].fillna("")
    out["comparator"] = out["comparator"].fillna("")
    out["status"] = out["status"].fillna("")
    level = out["level"].map({"county": 0, "school": 1})
    sec = out["section"].map({"primary": 0, "junior": 1, "": 2}).fillna(3)
    out = out.assign(_l=level, _s=sec).sort_values(["_l", "_s", "indicator", "school_code", "year"], kind="stable")
    cols = [*PROJECTION_COLUMNS, "school_name", "comparator", "kind"]
    return out[cols].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------------ status


def passes(value, threshold, comparator: str, rel_tol=0.0) -> np.ndarray:
    """``value comparator threshold``; ``>=``/``<=`` allow a relative float tolerance (see indicators.REL_TOL)."""
    v = np.asarray(value, dtype=float)
    t = np.asarray(threshold, dtype=float)
    tol = np.abs(t) * np.asarray(rel_tol, dtype=float)
    if comparator == ">=":
        return v >= t - tol
    if comparator == "<=":
        return v <= t + tol
    if comparator in ("==", "="):
        return np.isclose(v, t)
    return COMPARE[comparator](v, t)


def band_status(low, high, value, threshold, comparator, rel_tol=0.0) -> np.ndarray:
    """on_track / at_risk / off_track per row (see module docstring); empty without threshold or comparator.
    A missing band end falls back to the central value."""
    low = pd.Series(np.asarray(low, dtype=float))
    high = pd.Series(np.asarray(high, dtype=float))
    value = pd.Series(np.asarray(value, dtype=float))
    thr = np.asarray(threshold, dtype=float)
    comp = np.broadcast_to(np.asarray(comparator, dtype=object), thr.shape)
    tol = np.broadcast_to(np.asarray(rel_tol, dtype=float), thr.shape)
    lo = low.fillna(value).to_numpy()
    hi = high.fillna(value).to_numpy()
    out = np.full(thr.shape, "", dtype=object)
    for c in set(comp) - {""}:
        m = (comp == c) & ~np.isnan(thr) & ~np.isnan(lo)
        a = passes(lo[m], thr[m], c, tol[m])
        b = passes(hi[m], thr[m], c, tol[m])
        out[m] = np.where(a & b, "on_track", np.where(~a & ~b, "off_track", "at_risk"))
    return out


def reach_year(years, values, threshold: float, comparator: str, rel_tol: float = 0.0) -> float:
    """First year from which ``values`` pass through the last year (NaN when the last year fails)."""
    ok = passes(np.asarray(values, dtype=float), threshold, comparator, rel_tol)
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
    frame["status_zh"] = frame["status"].map(STATUS_ZH)
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


# ----------------------------------------------------------------------------------------------------- targets

# Scope labels of a county's target table (003_1c8462c5537f038e.txt) → which evaluated school-sections count.
SCOPES = {
    "全部": "所有参评学校（学段）",
    "乡镇法人学校": "镇区、乡村学校，不含教学点（乡镇义务教育法人学校）",
    "城区学校": "城区学校",
    "50人以上教学点": "在校生50人及以上、参评的教学点",
}
_SCOPE_ALIASES = {"": "全部", "全县": "全部", "中小学": "全部", "all": "全部", "乡镇义务教育法人学校": "乡镇法人学校",
                  "城区中小学": "城区学校", "教学点": "50人以上教学点"}


def scope_mask(values: pd.DataFrame, scope: str) -> pd.Series:
    """Evaluated school-sections inside a target scope (mapping documented in :data:`SCOPES`)."""
    scope = _SCOPE_ALIASES.get(str(scope).strip(), str(scope).strip())
    tp = values["school_type"] == "teaching_point"
    if scope == "全部":
        return pd.Series(True, index=values.index)
    if scope == "乡镇法人学校":
        return values["urban_rural"].isin(["town", "rural"]) & ~tp
    if scope == "城区学校":
        return values["urban_rural"] == "urban"
    if scope == "50人以上教学点":
        return tp  # teaching points below 50 pupils are excluded from evaluation already
    raise ValueError(f"targets.csv: unknown scope {scope!r}; expected one of {list(SCOPES)}")


def target_indicators(text: str) -> list[str]:
    """``R4+R5`` / ``R4、R5`` → [R4, R5] (a school counts when it meets all of them)."""
    return [p.strip().upper() for p in re.split(r"[+＋、,，/和;；\s]+", str(text)) if p.strip()]


def compliant_share(values: pd.DataFrame, indicators: list[str], scope: str, by: tuple[str, ...] = ()
                    ) -> pd.DataFrame:
    """Share of school-sections in ``scope`` meeting every indicator in ``indicators`` (达标学校比例)."""
    part = values[scope_mask(values, scope)]
    met = np.ones(len(part), dtype=bool)
    for ind in indicators:
        met &= (part[ind] >= part[f"{ind}_std"] * (1 - REL_TOL)).to_numpy()
    # 003 counts schools ("达标学校比例"): a school meets when each of its sections does
    frame = part[["school_code", *by]].assign(met=met).groupby(["school_code", *by], sort=False, as_index=False)[
        "met"].all().drop(columns="school_code")
    if by:
        g = frame.groupby(list(by), sort=False)["met"]
        return g.mean().reset_index(name="share").merge(g.size().reset_index(name="n_schools"), on=list(by))
    return pd.DataFrame({"share": [met.mean() if len(met) else np.nan], "n_schools": [len(met)]})


def _rule_share(flags: pd.DataFrame, rules: list[str], scope: str, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Share of schools in ``scope`` meeting every per-school rule in ``rules`` (G3/G4/G5 flags)."""
    part = flags[scope_mask(flags, scope)]
    part = part[part[rules].notna().all(axis=1)]
    met = (part[rules] == 1).all(axis=1)
    frame = part[list(by)].assign(met=met.to_numpy())
    if by:
        g = frame.groupby(list(by), sort=False)["met"]
        return g.mean().reset_index(name="share").merge(g.size().reset_index(name="n_schools"), on=list(by))
    return pd.DataFrame({"share": [met.mean() if len(met) else np.nan], "n_schools": [len(met)]})


def _target_share(inds: list[str], scope: str, year: int, history: History, result: Projection, profile: dict,
                  _flags: dict) -> dict:
    """kind, share, low, high, n_schools, note of one (indicator set, scope, year)."""
    resources, rules = set(indicator_ids(profile)), set(SCHOOL_RULES)
    lo, hi = method_settings(profile)["band"]
    out = {"kind": "", "share": np.nan, "low": np.nan, "high": np.nan, "n_schools": np.nan, "note": ""}
    if set(inds) <= resources:
        if year in history.school_indicators:
            s = compliant_share(history.school_indicators[year], inds, scope).iloc[0]
            return out | {"kind": "observed", "share": s["share"], "n_schools": s["n_schools"]}
        if result.central is not None and year in result.years:
            c = compliant_share(result.central[result.central["year"] == year], inds, scope).iloc[0]
            r = compliant_share(result.replicates[result.replicates["year"] == year], inds, scope,
                                by=("scenario",))["share"]
            return out | {"kind": "projected", "share": c["share"], "n_schools": c["n_schools"],
                          "low": min(r.quantile(lo), c["share"]), "high": max(r.quantile(hi), c["share"])}
        return out | {"note": "该年份既无实际数据也不在预测范围内"}
    if set(inds) <= rules:
        if year in history.schools:
            if year not in _flags:
                _flags[year] = school_rule_flags(history.schools[year], history.classes.get(year), profile)
            s = _rule_share(_flags[year], inds, scope).iloc[0]
            if not s["n_schools"]:
                return out | {"note": f"{'、'.join(inds)}缺少逐校数据，无法计算"}
            return out | {"kind": "observed", "share": s["share"], "n_schools": s["n_schools"]}
        if result.rule_flags is not None and year in result.years:
            if "G5" in inds:
                return out | {"note": "G5班额取决于分班，本步骤不预测；见第04步"}
            f = result.rule_flags[result.rule_flags["year"] == year]
            c = _rule_share(f[f["scenario"] == -1], inds, scope).iloc[0]
            if not c["n_schools"]:
                return out | {"note": f"{'、'.join(inds)}缺少逐校数据，无法预测"}
            r = _rule_share(f[f["scenario"] >= 0], inds, scope, by=("scenario",))["share"]
            return out | {"kind": "projected", "share": c["share"], "n_schools": c["n_schools"],
                          "low": min(r.quantile(lo), c["share"]), "high": max(r.quantile(hi), c["share"])}
        return out | {"note": "该年份既无实际数据也不在预测范围内"}
    unknown = sorted(set(inds) - resources - rules)
    return out | {"note": f"{'、'.join(unknown) or '混合指标'}不是逐校可计算的指标（资源指标与G3/G4/G5不能组合），"
                          "本步骤不比较"}


def target_comparison(targets: pd.DataFrame | None, history: History, result: Projection, profile: dict
                      ) -> pd.DataFrame:
    """The county's own yearly targets (年度目标) against actual shares (past years) and projected shares.

    Resource indicators (R1–R7, combinations such as ``R4+R5``): share of evaluated school-sections meeting all
    of them. G3/G4/G5: share of schools meeting the step-04 rule (G5 is compared for past years only).
    Observed years: ``met`` / ``not_met``. Projected years: on_track / at_risk / off_track from the band.
    """
    cols = ["indicator", "scope", "year", "target_share", "kind", "share", "low", "high", "n_schools", "status",
            "status_zh", "note"]
    if targets is None or targets.empty:
        return pd.DataFrame(columns=cols)
    flags: dict = {}
    out = []
    if "target_share" in targets:  # counts and wordings (新建1所小学, 基本消除大班额): analysis.evaluate.targets
        targets = targets[pd.to_numeric(targets["target_share"], errors="coerce").notna()]
    for r in targets.itertuples(index=False):
        scope = "" if pd.isna(getattr(r, "scope", "")) else str(r.scope)
        scope_mask(history.school_indicators[history.base_year].head(0), scope)  # validates the label
        row = {"indicator": r.indicator, "scope": scope or "全部", "year": int(r.year),
               "target_share": float(r.target_share)}
        row |= _target_share(target_indicators(r.indicator), scope, int(r.year), history, result, profile, flags)
        if row["kind"] == "observed":
            row["status"] = "met" if passes(row["share"], row["target_share"], ">=", REL_TOL) else "not_met"
        elif row["kind"] == "projected":
            row["status"] = band_status([row["low"]], [row["high"]], [row["share"]], [row["target_share"]],
                                        ">=", REL_TOL)[0]
        else:
            row["status"] = ""
        out.append(row)
    frame = pd.DataFrame(out)
    frame["status_zh"] = frame["status"].map({**STATUS_ZH, "met": "已达成", "not_met": "未达成"}).fillna("")
    return frame[cols]


def enrollment_table(result: Projection, history: History) -> pd.DataFrame:
    """Students per school and section: the base year and every projected year (central), with the method."""
    if result.enrollment is None:
        return pd.DataFrame()
    frame = result.enrollment.central_frame("students")
    wide = frame.pivot_table(index=["school_code", "section", "method"], columns="year", values="students",
                             sort=False).reset_index()
    base = history.schools[result.base_year].set_index("school_code")
    wide.insert(1, "school_name", wide["school_code"].map(base["school_name"]))
    wide.insert(4, result.base_year, [float(base.loc[c, STUDENT_COLUMNS[s]]) for c, s in
                                      zip(wide["school_code"], wide["section"], strict=True)])
    wide["change"] = wide[result.years[-1]] - wide[result.base_year]
    wide.columns = [str(c) for c in wide.columns]
    return wide.sort_values("change", key=abs, ascending=False, kind="stable").reset_index(drop=True)


def school_status_table(status: pd.DataFrame) -> pd.DataFrame:
    """School-sections whose 6-of-7 status is not on track at some milestone (one row each, worst first)."""
    part = status[(status["level"] == "school") & (status["indicator"] == "school_pass")]
    if part.empty:
        return pd.DataFrame()
    wide = part.pivot_table(index=["school_code", "school_name", "section"], columns="milestone_year",
                            values="status_zh", aggfunc="first", sort=False)
    wide.columns = [f"{c}年" for c in wide.columns]
    worst = part.groupby(["school_code", "school_name", "section"], sort=False)["status"].agg(
        lambda s: max(s.map({"on_track": 0, "at_risk": 1, "off_track": 2})))
    wide = wide.join(worst.rename("_worst"))
    wide = wide[wide["_worst"] > 0].sort_values("_worst", ascending=False, kind="stable").drop(columns="_worst")
    out = wide.reset_index().fillna("当年不参评")  # e.g. a teaching point projected below 50 pupils
    out["section"] = out["section"].map(SECTION_ZH)
    return out.rename(columns={"school_code": "学校标识码", "school_name": "学校", "section": "学段"})


# ------------------------------------------------------------------------------------------------------ charts


def _milestone_lines(ax, milestones: list[dict]) -> None:
    for m in milestones:
        ax.axvline(int(m["year"]), color="#9e9e9e", lw=0.8, ls=":")


def trend_figure(rows: pd.DataFrame, panels: list[tuple[str, str]], milestones: list[dict], title: str,
                 labels: dict[str, str] | None = None, percent: bool = False, ncol: int = 4):
    """Small multiples of county rows, one per ``(section, indicator)``: observed line, projected central line with
    its band, the threshold (red) and the milestone years (dotted)."""
    from matplotlib.figure import Figure

    n = max(len(panels), 1)
    ncol = min(ncol, n)
    nrow = int(np.ceil(n / ncol))
    fig = Figure(figsize=(3.1 * ncol, 2.5 * nrow + 0.9), layout="constrained")
    axes = fig.subplots(nrow, ncol, squeeze=False).reshape(-1)
    scale = 100 if percent else 1
    county = rows[rows["level"] == "county"]
    for ax, (section, ind) in zip(axes, panels, strict=False):
        part = county[(county["section"] == section) & (county["indicator"] == ind)].sort_values("year")
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
        _milestone_lines(ax, milestones)
        sec = SECTION_ZH.get(section, "全县")
        ax.set_title(f"{sec} {(labels or {}).get(ind, ind)}", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.xaxis.get_major_locator().set_params(integer=True)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    marks = "、".join(f"{m['year']}{m.get('zh', '')}" for m in milestones)
    fig.suptitle(title + (f"\n（点线为时间节点：{marks}）" if marks else ""), fontsize=10)
    return fig


def indicator_labels(profile: dict) -> dict[str, str]:
    """Short Chinese chart labels for the indicator names of projection rows."""
    out = {"school_pass_share": "“6+1”达标学校比例（%）", "students": "在校生数", "n_schools": "参评学校数",
           "G3_share": "G3音乐美术专用教室 达标学校比例（%）", "G4_share": "G4学校规模 达标学校比例（%）",
           "G5_share": "G5班额 达标学校比例（%）"}
    for i in indicator_ids(profile):
        short = indicator_spec(profile, i)["short"]
        out.update({i: f"{i}{short}", f"{i}_cv": f"{i}{short} 差异系数", f"{i}_share": f"{i}{short} 达标比例（%）"})
    return out


def school_trend_figure(rows: pd.DataFrame, school_code: str, section: str, profile: dict,
                        milestones: list[dict]):
    """One school-section: every indicator as value ÷ standard, observed and projected with bands."""
    from matplotlib.figure import Figure

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
    _milestone_lines(ax, milestones)
    name = part["school_name"].dropna()
    ax.set_title(f"{name.iloc[0] if len(name) else school_code}（{SECTION_ZH.get(section, section)}）"
                 "各指标与标准之比（实线实际，虚线预测，阴影为区间）")
    ax.set_ylabel("指标值 ÷ 标准")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=7, ncol=4, frameon=False)
    return fig


def target_series(targets: pd.DataFrame | None, history: History, result: Projection, profile: dict
                  ) -> pd.DataFrame:
    """Compliant-school share of every (indicator, scope) of the target table in every observed and projected
    year (the context of the targets): indicator, scope, year, kind, share, low, high."""
    cols = ["indicator", "scope", "year", "kind", "share", "low", "high"]
    if targets is None or targets.empty:
        return pd.DataFrame(columns=cols)
    scopes = targets["scope"].fillna("").astype(str) if "scope" in targets else pd.Series("", index=targets.index)
    pairs = dict.fromkeys(zip(targets["indicator"].astype(str), scopes.map(lambda s: s or "全部"), strict=True))
    flags: dict = {}
    rows = []
    for ind, scope in pairs:
        inds = target_indicators(ind)
        for y in [*history.years, *result.years]:
            got = _target_share(inds, scope, y, history, result, profile, flags)
            if got["kind"]:
                rows.append((ind, scope, y, got["kind"], got["share"], got["low"], got["high"]))
    return pd.DataFrame(rows, columns=cols)


def target_figure(series: pd.DataFrame, comparison: pd.DataFrame):
    """One panel per target indicator: compliant share by scope (observed line, projected dashed with band) and
    the county's targets (×). None when no target can be compared."""
    from matplotlib.figure import Figure

    if series.empty:
        return None
    inds = list(dict.fromkeys(series["indicator"]))
    ncol = min(4, len(inds))
    nrow = int(np.ceil(len(inds) / ncol))
    fig = Figure(figsize=(3.2 * ncol, 2.6 * nrow + 0.6), layout="constrained")
    axes = fig.subplots(nrow, ncol, squeeze=False, sharex=True).reshape(-1)
    colors = dict(zip(SCOPES, ("#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00"), strict=True))
    years = (series["year"].min(), series["year"].max())
    for ax, ind in zip(axes, inds, strict=False):
        part = series[series["indicator"] == ind]
        for scope, p in part.groupby("scope", sort=False):
            color = colors.get(_SCOPE_ALIASES.get(scope, scope), "#455a64")
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
    fig.suptitle("县定年度目标：达标学校比例（%）\n实线为实际，虚线与阴影为预测及区间，× 为目标", fontsize=10)
    return fig


def falling_out_figure(result: Projection, falling: pd.DataFrame, profile: dict):
    """Indicator trends of one school-section of ``falling`` (or None): one that also fails with its resource
    trend if any, the largest enrollment growth first."""
    if falling is None or falling.empty:
        return None
    top = falling.sort_values(["fails_central", "change", "school_code"], ascending=[False, False, True],
                              kind="stable").iloc[0]
    return school_trend_figure(result.rows, top["school_code"], top["section"], profile, result.milestones)


def item_labels(history: History, width: int = 12) -> dict[str, str]:
    """``item_id`` → "id short Chinese name" for chart titles (names from ``items.csv``, cut at ``width``)."""
    panel = item_panel(history.items).drop_duplicates("item_id", keep="last")
    return {i: f"{i} {str(n)[:width]}{'…' if len(str(n)) > width else ''}"
            for i, n in zip(panel["item_id"], panel["name_zh"].fillna(""), strict=True)}


def item_figure(rows: pd.DataFrame, milestones: list[dict], labels: dict[str, str] | None = None):
    """Trends of the numeric county items (县级指标) with their thresholds, or None when there are none."""
    items = rows[(rows["level"] == "county") & (rows["section"] == "") & ~rows["indicator"].str.endswith("_share")]
    ids = sorted(items["indicator"].unique())
    if not ids:
        return None
    return trend_figure(rows, [("", i) for i in ids], milestones, "县级指标趋势与预测", labels)
