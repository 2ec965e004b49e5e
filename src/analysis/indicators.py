"""Resource-allocation indicators R1–R7 (资源配置7项指标) per school and section, and school compliance (校校达标).

Steps, each a pure function on DataFrames:

1. :func:`school_sections` — which schools count (参评学校) and the split of combined schools into sections
   (九年一贯制 1:1.1, 完全中学 1:1.2, 十二年一贯制 1:1.1:1.32; 000_7663589297cde400.txt 附件2 备注4).
   Facility stocks are shared by weighted students; teachers come from the section-level teacher rows.
2. :func:`indicator_values` — value = stock × per / students (per = 100 for "每百名学生").
3. :func:`school_compliance` — at least ``min_met`` (6) of 7 reach the standard and every missed one reaches at
   least ``floor_ratio`` (85%) of it (000 附件2 备注1; 002 附件 备注).

All thresholds come from the standards profile (``analysis.standards``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.standards import load_profile

SECTIONS = ("primary", "junior")
STUDENT_COLUMNS = {"primary": "students_primary", "junior": "students_junior", "senior": "students_senior"}
TEACHER_STOCKS = ("teachers", "teachers_above_degree", "key_teachers", "pe_music_art_teachers")
# Binary floating point can put an exact quotient such as 21×100/500 a hair off 4.2; this relative tolerance
# only absorbs that representation error (1e-9 is far below any published precision). It is not rounding.
REL_TOL = 1e-9

REASON_EXCLUDED = {
    "special_ed_school": "特殊教育学校不参加7项指标评估（000_7663589297cde400.txt 附件2 备注）",
    "vocational_school": "职业学校不参加7项指标评估（000_7663589297cde400.txt 附件2 备注）",
}


def section_shares(
    primary_students: float,
    junior_students: float,
    senior_students: float = 0,
    weights: dict[str, float] | None = None,
) -> tuple[float, float, float]:
    """Shares of a combined school's facilities by section (学段拆分比例), weighted by students.

    Weights primary : junior : senior = 1 : 1.1 : 1.32 by default (national profile ``split_weights``), so a
    nine-year school with A primary and B junior pupils gives primary A/(A+1.1B), junior 1.1B/(A+1.1B).
    Returns ``(primary, junior, senior)`` summing to 1.
    """
    w = weights or load_profile("national")["split_weights"]
    parts = (primary_students * w["primary"], junior_students * w["junior"], senior_students * w["senior"])
    if min(primary_students, junior_students, senior_students) < 0:
        raise ValueError(f"student counts must not be negative: {primary_students, junior_students, senior_students}")
    total = sum(parts)
    if total <= 0:
        raise ValueError("a school with no students has no section shares")
    return tuple(p / total for p in parts)  # type: ignore[return-value]


def indicator_ids(profile: dict) -> list[str]:
    """R1–R7 followed by the profile's extra indicators (e.g. Anhui A1 生均占地面积)."""
    return [*profile["resources"], *profile.get("extra_resources", {})]


def indicator_spec(profile: dict, indicator: str) -> dict:
    return profile["resources"].get(indicator) or profile["extra_resources"][indicator]


def exclusion_reasons(schools: pd.DataFrame, profile: dict) -> pd.Series:
    """Why a school is left out of R1–R7 (不参评原因), empty string when it is evaluated."""
    excl = profile["exclusions"]
    compulsory = schools["students_primary"].fillna(0) + schools["students_junior"].fillna(0)
    reason = pd.Series("", index=schools.index, dtype=object)
    for school_type in excl["school_types"]:
        reason[schools["school_type"] == school_type] = REASON_EXCLUDED.get(school_type, f"{school_type} 不参评")
    small_point = (schools["school_type"] == "teaching_point") & (compulsory < excl["teaching_point_min_students"])
    reason[(reason == "") & small_point] = (
        f"不足{excl['teaching_point_min_students']}人的教学点不参评（000_7663589297cde400.txt 附件2 备注）"
    )
    if not excl.get("include_private", True) and "ownership" in schools:
        reason[(reason == "") & (schools["ownership"] == "private")] = "按本省口径民办学校不参评"
    reason[(reason == "") & (compulsory <= 0)] = "无义务教育阶段在校生"
    return reason


def _teacher_stocks(teachers: pd.DataFrame, codes: pd.Index, section: str) -> dict[str, np.ndarray]:
    """Teacher stocks of one section aligned to ``codes`` (0 where the school has no row for the section)."""
    rows = teachers[teachers["section"] == section]
    pos = codes.get_indexer(rows["school_code"])
    keep = pos >= 0
    out = {}
    for col in TEACHER_STOCKS:
        if col == "pe_music_art_teachers":
            values = rows[["pe_teachers", "music_teachers", "art_teachers"]].fillna(0).sum(axis=1).to_numpy(float)
        else:
            values = rows[col].fillna(0).to_numpy(float)
        acc = np.zeros(len(codes))
        np.add.at(acc, pos[keep], values[keep])  # several rows for one school-section are added up
        out[col] = acc
    return out


def school_sections(
    schools: pd.DataFrame, teachers: pd.DataFrame, profile: dict
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evaluated school-sections with their stocks (参评学校学段及资源存量), and the excluded schools.

    Returns ``(sections, excluded)``. ``sections`` has one row per school and section with students > 0
    (primary rows first, then junior, each in the order of the schools table): students, the facility ``share``
    of the school, facility stocks already multiplied by the share (``profile['split_fields']``) and teacher
    stocks from the section's teacher row (0 when the row is missing; validation reports that case).
    """
    reasons = exclusion_reasons(schools, profile)
    out_mask = (reasons != "").to_numpy()
    excluded = schools.loc[out_mask, ["school_code", "school_name", "school_type"]].copy()
    excluded["students"] = (
        schools.loc[out_mask, ["students_primary", "students_junior"]].fillna(0).sum(axis=1).astype(int)
    )
    excluded["reason"] = reasons[out_mask]
    kept = schools.loc[~out_mask]

    w = profile["split_weights"]
    students = {s: (kept[c].fillna(0).to_numpy(float) if c in kept else np.zeros(len(kept)))
                for s, c in STUDENT_COLUMNS.items()}
    weighted_total = sum(students[s] * w[s] for s in STUDENT_COLUMNS)
    stocks = {}
    for col in profile["split_fields"]:
        stocks[col] = kept[col].to_numpy(float) if col in kept else np.full(len(kept), np.nan)
    if profile.get("teaching_rooms_exclude_indoor_sports"):
        stocks["teaching_rooms_m2"] = stocks["teaching_rooms_m2"] - kept["indoor_sports_rooms_m2"].fillna(0).to_numpy(float)
    codes = pd.Index(kept["school_code"])
    id_cols = [c for c in ("county", "school_code", "school_name", "school_type", "urban_rural", "township",
                           "ownership", "founded_year") if c in kept]
    parts = []
    for section in SECTIONS:
        n = students[section]
        has = n > 0
        part = kept.loc[has, id_cols].reset_index(drop=True)
        part.insert(id_cols.index("school_type") + 1, "section", section)
        part["students"] = n[has].astype(int)
        share = n[has] * w[section] / weighted_total[has]
        part["share"] = share
        for col in profile["split_fields"]:
            part[col] = stocks[col][has] * share
        for col, values in _teacher_stocks(teachers, codes, section).items():
            part[col] = values[has]
        parts.append(part)
    return pd.concat(parts, ignore_index=True), excluded.reset_index(drop=True)


def standards_frame(sections: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """The standard each school-section is held to, per indicator (达标标准), after provincial variants."""
    out = pd.DataFrame(index=sections.index)
    older = profile.get("older_school_standards") or {}
    primary = (sections["section"] == "primary").to_numpy()
    for ind in indicator_ids(profile):
        spec = indicator_spec(profile, ind)
        std = np.where(primary, float(spec["primary"]), float(spec["junior"]))
        if ind in older and "founded_year" in sections:
            is_old = (sections["founded_year"].fillna(older["founded_before"]) < older["founded_before"]).to_numpy()
            std = np.where(is_old, np.where(primary, older[ind]["primary"], older[ind]["junior"]), std)
        out[ind] = std
    return out


def indicator_values(sections: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """Add R1–R7 (and extra indicators): value = stock × per ÷ students (每百名学生 per = 100)."""
    out = sections.copy()
    n = out["students"].astype(float)
    for ind in indicator_ids(profile):
        spec = indicator_spec(profile, ind)
        # Multiply before dividing so integer counts give the correctly rounded quotient (21×100/500 == 4.2).
        out[ind] = out[spec["numerator"]].astype(float) * spec["per"] / n
    return out


def school_compliance(values: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """Add ``R*_std``, ``R*_ratio`` (value ÷ standard), ``n_met``, ``school_pass``, ``missed`` and a ``reason``.

    校校达标: at least ``school_rule.min_met`` of R1–R7 reach the standard and every missed indicator reaches at
    least ``school_rule.floor_ratio`` of it. Extra provincial indicators are reported but not counted.
    """
    rule = profile["school_rule"]
    core = list(profile["resources"])
    std = standards_frame(values, profile)
    new = {}
    met = np.zeros((len(values), len(core)), dtype=bool)
    above_floor = np.zeros_like(met)
    for ind in indicator_ids(profile):
        value, standard = values[ind].to_numpy(float), std[ind].to_numpy(float)
        new[f"{ind}_std"] = standard
        new[f"{ind}_ratio"] = value / standard
        if ind in core:
            j = core.index(ind)
            met[:, j] = value >= standard * (1 - REL_TOL)
            above_floor[:, j] = value >= standard * rule["floor_ratio"] * (1 - REL_TOL)
    n_met = met.sum(axis=1)
    passed = (n_met >= rule["min_met"]) & ~(~met & ~above_floor).any(axis=1)
    ratios = np.column_stack([new[f"{i}_ratio"] for i in core])
    missed_label, reason = _reasons(core, met, above_floor, n_met, passed, ratios, rule, profile)
    out = pd.concat([values, pd.DataFrame(new, index=values.index)], axis=1)
    out["n_met"] = n_met
    out["school_pass"] = passed
    out["missed"] = missed_label
    out["reason"] = reason
    return out


def _pattern_codes(flags: np.ndarray) -> np.ndarray:
    return (flags.astype(np.int64) << np.arange(flags.shape[1])).sum(axis=1)


def _reasons(core, met, above_floor, n_met, passed, ratios, rule, profile) -> tuple[np.ndarray, np.ndarray]:
    """``missed`` labels and one-sentence reasons, built once per pattern of missed indicators (fast at scale)."""
    total = len(core)
    floor_pct = f"{rule['floor_ratio']:.0%}"
    short = [indicator_spec(profile, i)["short"] for i in core]
    # a missed ratio is below 100 %: a lookup table of "xx.x%" strings by tenths of a percent
    tenths = np.clip(np.round(np.nan_to_num(ratios, nan=0.0) * 1000), 0, 1000).astype(np.int64)
    lut = np.array([f"{t / 10:.1f}%" for t in range(1001)], dtype=object)
    missed_code = _pattern_codes(~met)
    low_code = _pattern_codes(~met & ~above_floor)
    missed_label = np.empty(len(met), dtype=object)
    reason = np.empty(len(met), dtype=object)
    for code in np.unique(missed_code):
        rows = np.flatnonzero(missed_code == code)
        missed = [j for j in range(total) if code >> j & 1]
        missed_label[rows] = ";".join(core[j] for j in missed)
        if not missed:
            reason[rows] = f"{total}项指标全部达标"
            continue
        detail = np.full(len(rows), "", dtype=object)
        for k, j in enumerate(missed):
            detail = detail + ("、" if k else "") + f"{core[j]}{short[j]}为标准的" + lut[tenths[rows, j]]
        n_ok = total - len(missed)
        if n_ok < rule["min_met"]:
            reason[rows] = f"仅{n_ok}项达标（少于{rule['min_met']}项）：" + detail + "，不达标"
            continue
        for low in np.unique(low_code[rows]):
            sub = low_code[rows] == low
            if low == 0:
                reason[rows[sub]] = f"{n_ok}项达标，" + detail[sub] + f"，不低于{floor_pct}，达标"
            else:
                names = "、".join(core[j] for j in range(total) if low >> j & 1)
                reason[rows[sub]] = f"{n_ok}项达标，但" + detail[sub] + f"，{names}低于标准的{floor_pct}，不达标"
    return missed_label, reason


def evaluate(schools: pd.DataFrame, teachers: pd.DataFrame, profile: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Whole step: ``(school_indicators, excluded)`` for one county and year."""
    sections, excluded = school_sections(schools, teachers, profile)
    return school_compliance(indicator_values(sections, profile), profile), excluded


def output_columns(profile: dict) -> list[str]:
    """Column order of ``school_indicators.csv`` (the stable contract read by later steps)."""
    ids = indicator_ids(profile)
    head = ["school_code", "school_name", "school_type", "urban_rural", "township", "section", "students", "share"]
    stocks = ["teachers", "teachers_above_degree", "key_teachers", "pe_music_art_teachers", *profile["split_fields"]]
    return [*head, *ids, *(f"{i}_ratio" for i in ids), *(f"{i}_std" for i in ids), "n_met", "school_pass",
            "missed", "reason", *stocks]


def compliance_summary(school_indicators: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """Per section and indicator: school-sections evaluated, meeting the standard, and the share (达标学校比例)."""
    rows = []
    for section, part in school_indicators.groupby("section", sort=False):
        for ind in indicator_ids(profile):
            met = part[ind] >= part[f"{ind}_std"] * (1 - REL_TOL)
            rows.append({"section": section, "indicator": ind, "name_zh": indicator_spec(profile, ind)["zh"],
                         "n_schools": len(part), "n_met": int(met.sum()), "share_met": float(met.mean())})
    return pd.DataFrame(rows)


def standards_table(profile: dict) -> pd.DataFrame:
    """The indicator standards of the profile as a table (指标标准一览)."""
    rows = []
    for ind in indicator_ids(profile):
        spec = indicator_spec(profile, ind)
        rows.append({"指标": ind, "名称": spec["zh"], "单位": spec["unit"], "小学标准（≥）": spec["primary"],
                     "初中标准（≥）": spec["junior"], "计入7项": ind in profile["resources"]})
    return pd.DataFrame(rows)


def pick_example(school_indicators: pd.DataFrame, prefer_type: str = "nine_year_school") -> str:
    """A school to work through by hand: a combined school when there is one (shows the split), else the largest."""
    part = school_indicators[school_indicators["school_type"] == prefer_type]
    pool = part if len(part) else school_indicators
    return str(pool.sort_values(["students", "school_code"], ascending=[False, True]).iloc[0]["school_code"])


def split_example(schools: pd.DataFrame, sections: pd.DataFrame, school_code: str, profile: dict) -> str:
    """Markdown: the section split of one school with its real numbers (学段拆分示例)."""
    s = schools.loc[schools["school_code"] == school_code].iloc[0]
    w = profile["split_weights"]
    a, b, c = (float(s.get(f"students_{x}", 0) or 0) for x in ("primary", "junior", "senior"))
    total = a * w["primary"] + b * w["junior"] + c * w["senior"]
    lines = [f"**{s['school_name']}**（{school_code}）：小学 A = {a:.0f} 人，初中 B = {b:.0f} 人，高中 C = {c:.0f} 人。",
             "",
             f"加权学生数 = A×{w['primary']:g} + B×{w['junior']:g} + C×{w['senior']:g} = {total:,.1f}",
             ""]
    rows = sections[sections["school_code"] == school_code]
    for r in rows.itertuples():
        weight = w[r.section]
        n = a if r.section == "primary" else b
        lines.append(f"- {('小学' if r.section == 'primary' else '初中')}份额 = {n:.0f}×{weight:g} ÷ {total:,.1f} = "
                     f"**{r.share:.4f}**；教学及辅助用房 {s['teaching_rooms_m2']:,.1f} ㎡ × {r.share:.4f} = "
                     f"{r.teaching_rooms_m2:,.1f} ㎡；仪器设备 {s['equipment_value_yuan']:,.0f} 元 × {r.share:.4f} = "
                     f"{r.equipment_value_yuan:,.0f} 元")
    lines.append("")
    lines.append("教师数不拆分：直接取该校各学段的专任教师行。")
    return "\n".join(lines)


def _plain(value: float) -> str:
    """A stock for display in a formula: whole numbers without decimals, split stocks with two."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def worked_example(school_indicators: pd.DataFrame, school_code: str, profile: dict) -> pd.DataFrame:
    """Every indicator of one school worked through: formula with its inputs, value, standard, ratio, met."""
    rows = []
    for r in school_indicators[school_indicators["school_code"] == school_code].itertuples():
        for ind in indicator_ids(profile):
            spec = indicator_spec(profile, ind)
            stock = getattr(r, spec["numerator"])
            per = f" × {spec['per']}" if spec["per"] != 1 else ""
            value, std = getattr(r, ind), getattr(r, f"{ind}_std")
            rows.append({"学段": "小学" if r.section == "primary" else "初中", "指标": ind, "名称": spec["short"],
                         "算式": f"{_plain(stock)}{per} ÷ {r.students} 人", "计算值": value, "标准": std,
                         "达标率": value / std, "达标": bool(value >= std * (1 - REL_TOL))})
    return pd.DataFrame(rows)
