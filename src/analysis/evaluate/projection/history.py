"""History and panel (历史数据与面板): the observed years read once, schools across years, per-school
panels, county measures and the per-school guarantee rules (G3/G4/G5) of each observed year."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.evaluate.indicators import STUDENT_COLUMNS, indicator_ids, indicator_spec
from analysis.evaluate.projection.method import CHANGE_ZH, TEACHER_FIELDS
from analysis.evaluate.variation import cv_table
from analysis.standards.compare import COMPARATORS, EQUALITY, meets
from analysis.standards.status import (
    OBSERVED,
)


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
    long = pd.concat(frames, ignore_index=True)  # years in order, so each school's years are sorted
    by_code = long.groupby("school_code", sort=True)
    first, last = by_code["year"].min(), by_code["year"].max()
    # name, type and township as reported in the school's last year (its first row there)
    latest = long[long["year"].to_numpy() == long["school_code"].map(last).to_numpy()].drop_duplicates(
        "school_code").set_index("school_code").reindex(first.index)
    position = pd.Series(range(len(years)), index=years)
    span = (position[last].to_numpy() - position[first].to_numpy()) + 1
    opened, closed = (first > years[0]).to_numpy(), (last < years[-1]).to_numpy()
    out = pd.DataFrame({
        "school_code": first.index, "school_name": latest["school_name"].to_numpy(),
        "school_type": latest["school_type"].to_numpy(), "township": latest["township"].to_numpy(),
        "first_year": first.to_numpy(), "last_year": last.to_numpy(),
        "years_present": long["year"].astype(str).groupby(long["school_code"], sort=True).agg(",".join).to_numpy(),
        "status": np.select([opened & closed, opened, closed, by_code.size().to_numpy() < span],
                            ["opened_closed", "opened", "closed", "intermittent"], "continuing"),
        "merged_into": "", "merge_year": np.nan, "note": ""})
    by_year = {y: long[long["year"] == y].set_index("school_code") for y in years}
    for i in out.index[out["status"].isin(["closed", "opened_closed"])]:
        r = out.loc[i]
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
            part["met"] = meets(part["value"], part["threshold"], ">=")
            frames.append(part)
    return pd.concat(frames, ignore_index=True)


def county_measures(values: pd.DataFrame, profile: dict, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """County-level measures of evaluated school-sections (one year, or one row group per ``by`` key):

    weighted mean (``R1``…), CV (``R1_cv``…), share meeting the standard (``R1_share``…), share meeting the 6-of-7
    rule (``school_pass_share``, threshold 1 = every school), ``students`` and ``n_schools``. Rows: per indicator
    its means and CVs, then the shares, the rule, students and schools; built on whole columns (the bootstrap
    replicates are thousands of groups).
    """
    keys = [*by, "section"]
    ids = indicator_ids(profile)
    cv = cv_table(values, profile, by=by)
    standards = pd.DataFrame([(i, s, float(indicator_spec(profile, i)[s])) for i in ids
                              for s in cv["section"].unique()], columns=["indicator", "section", "standard"])
    cv = cv.merge(standards, on=["indicator", "section"], how="left")
    means = cv[keys].assign(indicator=cv["indicator"], value=cv["weighted_mean"], threshold=cv["standard"],
                            comparator="", _block=cv["indicator"].map({i: 2 * k for k, i in enumerate(ids)}))
    cvs = cv[keys].assign(indicator=cv["indicator"] + "_cv", value=cv["cv"], threshold=cv["limit"],
                          comparator=cv["comparator"], _block=means["_block"] + 1)
    per_indicator = pd.concat([means, cvs], ignore_index=True).sort_values("_block", kind="stable")
    met = pd.DataFrame({**{f"{i}_share": meets(values[i], values[f"{i}_std"], ">=") for i in ids},
                        "school_pass_share": values["school_pass"].astype(float)})
    grouped = met.groupby([values[k] for k in keys], sort=False)
    shares = grouped.mean().reset_index().melt(id_vars=keys, var_name="indicator", value_name="value")
    is_rule = shares["indicator"] == "school_pass_share"
    shares = shares.assign(threshold=np.where(is_rule, 1.0, np.nan), comparator=np.where(is_rule, ">=", ""))
    counts = values.groupby(keys, sort=False)["students"]
    frames = [per_indicator.drop(columns="_block"), shares,
              counts.sum().reset_index(name="value").assign(indicator="students", threshold=np.nan, comparator=""),
              counts.size().reset_index(name="value").assign(indicator="n_schools", threshold=np.nan,
                                                             comparator="")]
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
        part["comparator"] = part["comparator"].str.strip().where(part["comparator"].str.strip().isin([*COMPARATORS, *EQUALITY]), "")
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
    index = pd.Index(out["school_code"])

    def by_school(values: pd.Series, codes: pd.Series) -> np.ndarray:  # the flags of ``out``'s schools
        return pd.Series(values.to_numpy(), index=codes.to_numpy()).reindex(index).to_numpy(dtype=float)

    if all(c in schools for c in _RULE_COLUMNS["G3"]):
        rooms = guarantee.music_art_rooms(schools, profile, reasons=False)
        if len(rooms):
            out["G3"] = by_school(rooms["passed"].where(rooms["status"] != guarantee.MISSING), rooms["school_code"])
    sizes = guarantee.school_size(schools, profile, reasons=False)
    if len(sizes):
        out["G4"] = by_school(sizes["passed"], sizes["school_code"])
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


def observed_rows(history: History, profile: dict, flags: dict[int, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Past years in the long projection layout (status ``observed``, no band). ``flags``: the
    :func:`school_rule_flags` of each year when already at hand."""
    # every year at once (row order does not matter: the caller sorts the rows; sums per year are unchanged)
    values = pd.concat([si.assign(year=y) for y, si in sorted(history.school_indicators.items())],
                       ignore_index=True)
    frames = [school_rows(values, profile),
              county_measures(values, profile, by=("year",)).assign(level="county", school_code="", school_name="")]
    for y in sorted(history.school_indicators):
        rules = (flags or {}).get(y)
        if rules is None:
            rules = school_rule_flags(history.schools[y], history.classes.get(y), profile)
        frames.append(rule_shares(rules, profile).assign(year=y, level="county", school_code="", school_name=""))
    items = item_panel(history.items)
    if len(items):
        frames.append(items.assign(level="county", school_code="", school_name="", section="",
                                   indicator=items["item_id"]).drop(columns=["item_id", "name_zh"]))
    out = pd.concat(frames, ignore_index=True)
    out["low"], out["high"], out["status"], out["kind"] = np.nan, np.nan, OBSERVED, "observed"
    return out


def school_rows(values: pd.DataFrame, profile: dict, extra: tuple[str, ...] = ()) -> pd.DataFrame:
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
