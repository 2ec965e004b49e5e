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

from analysis.config import SECTIONS
from analysis.data.columns import SCHOOL_TYPE_ZH
from analysis.standards import load_profile
from analysis.standards.compare import meets
from analysis.standards.sources import citation

STUDENT_COLUMNS = {"primary": "students_primary", "junior": "students_junior", "senior": "students_senior"}
TEACHER_STOCKS = ("teachers", "teachers_above_degree", "key_teachers", "pe_music_art_teachers")
PE_MUSIC_ART = ("pe_teachers", "music_teachers", "art_teachers")
# the teacher-table columns behind each stock (R3 counts PE, music and art teachers together)
TEACHER_COLUMNS = {**{c: (c,) for c in TEACHER_STOCKS[:3]}, "pe_music_art_teachers": PE_MUSIC_ART}

# 评估范围 (000_7663589297cde400.txt 附件2 备注), cited by the document's title in every reason
SCOPE_SOURCE = f"{citation('000')}附件2 备注"
REASON_EXCLUDED = {
    "special_ed_school": f"特殊教育学校不参加7项指标评估（{SCOPE_SOURCE}）",
    "vocational_school": f"职业学校不参加7项指标评估（{SCOPE_SOURCE}）",
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


def _numbers(frame: pd.DataFrame, column: str, missing: float = 0.0) -> np.ndarray:
    """A numeric column as an array (integers stay integers, no copy), missing cells (or an absent column) as
    ``missing``. The array may be a read-only view of ``frame``: never modify it in place."""
    if column not in frame:
        return np.full(len(frame), missing)
    values = frame[column].to_numpy()
    if values.dtype.kind not in "iuf":
        values = frame[column].to_numpy(dtype=float, na_value=np.nan)
    if values.dtype.kind != "f" or np.isnan(missing):
        return values
    gaps = np.isnan(values)
    return np.where(gaps, missing, values) if gaps.any() else values


def _exclusion_codes(schools: pd.DataFrame, profile: dict, compulsory: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Per school the position of its exclusion reason in the returned labels (0 = "" = evaluated).

    Codes instead of strings per school keep this a few array comparisons at national scale.
    """
    excl = profile["exclusions"]
    types = schools["school_type"].to_numpy(dtype=object)
    labels = [""]
    code = np.zeros(len(schools), dtype=np.intp)

    def mark(mask: np.ndarray, label: str) -> None:  # the first reason that applies is the one recorded
        labels.append(label)
        code[(code == 0) & mask] = len(labels) - 1

    for school_type in excl["school_types"]:
        mark(types == school_type,
             REASON_EXCLUDED.get(school_type, f"{SCHOOL_TYPE_ZH.get(school_type, school_type)}不参评"))
    mark((types == "teaching_point") & (compulsory < excl["teaching_point_min_students"]),
         f"不足{excl['teaching_point_min_students']}人的教学点不参评（{SCOPE_SOURCE}）")
    if not excl.get("include_private", True) and "ownership" in schools:
        mark(schools["ownership"].to_numpy(dtype=object) == "private", "按本省口径民办学校不参评")
    mark(compulsory <= 0, "无义务教育阶段在校生")
    return code, labels


def _teacher_stocks(teachers: pd.DataFrame, school_codes: np.ndarray, has_section: dict[str, np.ndarray],
                    rows_by_section: dict[str, np.ndarray], out: dict[str, np.ndarray]) -> None:
    """Write the teacher stocks of the school-section rows into ``out`` (one array per stock, all sections).

    ``rows_by_section[s]`` holds positions in the schools table, sections one after the other as in ``out``;
    ``has_section[s]`` flags the schools with pupils in the section. A school without a teacher row for the
    section gets 0 (validation reports it); several rows for one school-section are added up.
    """
    section_of = teachers["section"].to_numpy(dtype=object)
    code_of = teachers["school_code"].to_numpy(dtype=object)
    counts = {col: _numbers(teachers, col) for parts in TEACHER_COLUMNS.values() for col in parts}
    position, start = None, 0
    for section, rows in rows_by_section.items():
        target = slice(start, start + len(rows))
        start += len(rows)
        mine = np.flatnonzero(section_of == section)
        expected = np.flatnonzero(has_section[section])
        if len(mine) == len(expected) and (code_of[mine] == school_codes[expected]).all():
            school = expected  # the usual export: one row per school with pupils in the section, in school order
        else:
            if position is None:  # otherwise look every teacher row's school up by its code, once
                position = pd.Index(school_codes, dtype=object).get_indexer(code_of)
            school = position[mine]
        slot_of_school = np.full(len(school_codes) + 1, -1)  # the extra last slot catches unknown codes (-1)
        slot_of_school[rows] = np.arange(len(rows))
        slot = slot_of_school[school]
        found = slot >= 0
        mine, slot = mine[found], slot[found]
        one_each = len(slot) == len(rows) and bool((slot[1:] > slot[:-1]).all())  # then slot is 0, 1, 2, …
        for col in TEACHER_STOCKS:
            dest = out[col][target]  # a view: filled in place
            for k, part in enumerate(TEACHER_COLUMNS[col]):
                add = counts[part][mine] if one_each else np.bincount(slot, weights=counts[part][mine],
                                                                      minlength=len(rows))
                if k:
                    dest += add
                else:
                    dest[:] = add


def school_sections(
    schools: pd.DataFrame, teachers: pd.DataFrame, profile: dict
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evaluated school-sections with their stocks (参评学校学段及资源存量), and the excluded schools.

    Returns ``(sections, excluded)``. ``sections`` has one row per school and section with students > 0
    (primary rows first, then junior, each in the order of the schools table): students, the facility ``share``
    of the school, facility stocks already multiplied by the share (``profile['split_fields']``) and teacher
    stocks from the section's teacher row (0 when the row is missing; validation reports that case).
    """
    students = {s: _numbers(schools, c) for s, c in STUDENT_COLUMNS.items()}
    code, labels = _exclusion_codes(schools, profile, students["primary"] + students["junior"])
    out_mask = code > 0
    excluded = schools.loc[out_mask, ["school_code", "school_name", "school_type"]].reset_index(drop=True)
    excluded["students"] = (students["primary"] + students["junior"])[out_mask].astype(int)
    excluded["reason"] = np.array(labels, dtype=object)[code[out_mask]]

    w = profile["split_weights"]
    weighted_total = sum(students[s] * w[s] for s in STUDENT_COLUMNS)
    rows_by_section = {s: np.flatnonzero(~out_mask & (students[s] > 0)) for s in SECTIONS}
    rows = np.concatenate(list(rows_by_section.values()))
    section_idx = np.repeat(np.arange(len(SECTIONS)), [len(r) for r in rows_by_section.values()])
    n = np.concatenate([students[s][r] for s, r in rows_by_section.items()])

    id_cols = [c for c in ("county", "school_code", "school_name", "school_type", "urban_rural", "township",
                           "ownership", "founded_year") if c in schools]
    ids = schools[id_cols].take(rows).reset_index(drop=True)
    ids.insert(id_cols.index("school_type") + 1, "section", pd.Categorical.from_codes(section_idx, SECTIONS))
    ids["students"] = n.astype(int)
    block, col = _float_block(len(rows), ["share", *profile["split_fields"], *TEACHER_STOCKS])
    np.multiply(n, np.array([w[s] for s in SECTIONS])[section_idx], out=col["share"])
    col["share"] /= weighted_total[rows]
    for field in profile["split_fields"]:
        stock = _numbers(schools, field, missing=np.nan)
        if field == "teaching_rooms_m2" and profile.get("teaching_rooms_exclude_indoor_sports"):
            stock = stock - _numbers(schools, "indoor_sports_rooms_m2")
        np.multiply(stock[rows], col["share"], out=col[field])
    has_section = {s: students[s] > 0 for s in SECTIONS}
    _teacher_stocks(teachers, schools["school_code"].to_numpy(dtype=object), has_section, rows_by_section, col)
    return _with_columns(ids, block, list(col)), excluded


def _float_block(n_rows: int, names: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """An empty column-major float block and a writable view per named column.

    Filling columns in place (``out=``) and handing the block to pandas whole avoids a temporary and a copy per
    column, which is most of the cost at national scale.
    """
    block = np.empty((n_rows, len(names)), order="F")
    return block, {name: block[:, k] for k, name in enumerate(names)}


def _with_columns(frame: pd.DataFrame, block: np.ndarray, names: list[str], others: dict | None = None
                  ) -> pd.DataFrame:
    """``frame`` with the float ``block`` (columns ``names``) and ``others`` added, replacing same-named columns."""
    others = others or {}
    parts = [frame.drop(columns=[c for c in [*names, *others] if c in frame]),
             pd.DataFrame(block, columns=names, index=frame.index, copy=False)]
    if others:
        parts.append(pd.DataFrame(others, index=frame.index, copy=False))
    return pd.concat(parts, axis=1)


def section_codes(frame: pd.DataFrame) -> np.ndarray:
    """Position of each row's ``section`` in ``SECTIONS`` (0 primary, 1 junior); an unknown section raises.

    :func:`school_sections` makes ``section`` a categorical over ``SECTIONS`` so this is free; a column read
    back from CSV (plain strings) is compared once per section.
    """
    column = frame["section"]
    if isinstance(column.dtype, pd.CategoricalDtype) and list(column.cat.categories) == list(SECTIONS):
        codes = column.cat.codes.to_numpy()
    else:
        labels = column.to_numpy(dtype=object)
        codes = np.full(len(frame), -1, dtype=np.int8)
        for k, name in enumerate(SECTIONS):
            codes[labels == name] = k
    if (codes < 0).any():
        bad = sorted(set(map(str, column[codes < 0])))
        raise ValueError(f"unknown section(s) {bad}; expected one of {list(SECTIONS)}")
    return codes


def _standards(sections: pd.DataFrame, profile: dict) -> dict[str, np.ndarray]:
    """The standard each school-section is held to, per indicator (达标标准), after provincial variants."""
    older = profile.get("older_school_standards") or {}
    primary = section_codes(sections) == SECTIONS.index("primary")
    is_old = None
    if older and "founded_year" in sections:
        is_old = _numbers(sections, "founded_year", missing=older["founded_before"]) < older["founded_before"]
    out = {}
    for ind in indicator_ids(profile):
        spec = indicator_spec(profile, ind)
        std = np.where(primary, float(spec["primary"]), float(spec["junior"]))
        if ind in older and is_old is not None:
            std = np.where(is_old, np.where(primary, older[ind]["primary"], older[ind]["junior"]), std)
        out[ind] = std
    return out


def indicator_values(sections: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """Add R1–R7 (and extra indicators): value = stock × per ÷ students (每百名学生 per = 100)."""
    n = sections["students"].to_numpy(dtype=float)
    ids = indicator_ids(profile)
    block, col = _float_block(len(sections), ids)
    for ind in ids:
        spec = indicator_spec(profile, ind)
        # Multiply before dividing so integer counts give the correctly rounded quotient (21×100/500 == 4.2).
        np.multiply(sections[spec["numerator"]].to_numpy(dtype=float), spec["per"], out=col[ind])
        col[ind] /= n
    return _with_columns(sections, block, ids)


def school_compliance(values: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """Add ``R*_std``, ``R*_ratio`` (value ÷ standard), ``R*_gap``, ``n_met``, ``school_pass``, ``missed``, ``reason``.

    校校达标: at least ``school_rule.min_met`` of R1–R7 reach the standard and every missed indicator reaches at
    least ``school_rule.floor_ratio`` of it. Extra provincial indicators are reported but not counted.
    ``R*_gap`` is by how much a school falls short, in the indicator's unit (标准 − 计算值; 0 when met);
    ``R*_ratio`` the same in percent of the standard.
    """
    rule = profile["school_rule"]
    core = list(profile["resources"])
    ids = indicator_ids(profile)
    std = _standards(values, profile)
    names = [f"{i}_{kind}" for kind in ("std", "ratio", "gap") for i in ids]
    block, col = _float_block(len(values), names)
    # bit j of missed / low is set when core indicator j is below the standard / below floor_ratio of it
    missed = np.zeros(len(values), dtype=np.int64)
    low = np.zeros(len(values), dtype=np.int64)
    for ind in ids:
        value, standard = values[ind].to_numpy(dtype=float), col[f"{ind}_std"]
        standard[:] = std[ind]
        np.divide(value, standard, out=col[f"{ind}_ratio"])
        ok = meets(value, standard, ">=")
        gap = col[f"{ind}_gap"]
        np.subtract(standard, value, out=gap)
        np.maximum(gap, 0.0, out=gap)
        gap *= ~ok  # 0 when met; a missing value stays missing
        if ind in core:
            j = core.index(ind)
            missed |= (~ok).astype(np.int64) << j
            low |= (~meets(value, standard * rule["floor_ratio"], ">=")).astype(np.int64) << j  # NaN is low
    n_met = len(core) - np.bitwise_count(missed).astype(np.int64)
    labels, reason = _reasons(core, missed, low, rule, profile)
    return _with_columns(values, block, names, {"n_met": n_met, "school_pass": (n_met >= rule["min_met"]) & (low == 0),
                                                "missed": labels, "reason": reason})


def _per_pattern(codes: np.ndarray, label) -> pd.Categorical:
    """``label(code)`` for every row as a categorical column, each label written once per distinct code."""
    counts = np.bincount(codes)
    present = np.flatnonzero(counts)
    labels, position = np.unique(np.array([label(int(c)) for c in present], dtype=object), return_inverse=True)
    return pd.Categorical.from_codes(position[(np.cumsum(counts > 0) - 1)[codes]], categories=labels)


def _reasons(core, missed, low, rule, profile) -> tuple[pd.Categorical, pd.Categorical]:
    """``missed`` labels ("R2;R5") and a one-sentence reason per school-section, from the bit patterns.

    The sentence depends only on which indicators are missed and which of those fall below the floor, so it is
    written once per such pattern; the amounts are in ``R*_ratio`` and ``R*_gap``.
    """
    total = len(core)
    floor_pct = f"{rule['floor_ratio']:.0%}"
    named = [f"{i}{indicator_spec(profile, i)['short']}" for i in core]

    def names(code: int, labels: list[str], sep: str) -> str:
        return sep.join(labels[j] for j in range(total) if code >> j & 1)

    def sentence(code: int) -> str:
        miss, below = code & ((1 << total) - 1), code >> total
        n_ok = total - miss.bit_count()
        if not miss:
            return f"{total}项指标全部达标"
        if n_ok < rule["min_met"]:
            return f"仅{n_ok}项达标（少于{rule['min_met']}项），{names(miss, named, '、')}未达标，不达标"
        if not below:
            return f"{n_ok}项达标，{names(miss, named, '、')}未达标但不低于标准的{floor_pct}，达标"
        if below == miss:
            return f"{n_ok}项达标，但{names(below, named, '、')}低于标准的{floor_pct}，不达标"
        return (f"{n_ok}项达标，{names(miss, named, '、')}未达标，其中{names(below, named, '、')}"
                f"低于标准的{floor_pct}，不达标")

    # below the floor only matters when enough indicators are met: fewer patterns, fewer sentences to write
    enough = total - np.bitwise_count(missed) >= rule["min_met"]
    return (_per_pattern(missed, lambda c: names(c, core, ";")),
            _per_pattern(missed | np.where(enough, low, 0) << total, sentence))


def evaluate(schools: pd.DataFrame, teachers: pd.DataFrame, profile: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Whole step: ``(school_indicators, excluded)`` for one county and year."""
    sections, excluded = school_sections(schools, teachers, profile)
    return school_compliance(indicator_values(sections, profile), profile), excluded


def output_columns(profile: dict) -> list[str]:
    """Column order of ``school_indicators.csv`` (the stable contract read by later steps)."""
    ids = indicator_ids(profile)
    head = ["school_code", "school_name", "school_type", "urban_rural", "township", "section", "students", "share"]
    stocks = ["teachers", "teachers_above_degree", "key_teachers", "pe_music_art_teachers", *profile["split_fields"]]
    return [*head, *ids, *(f"{i}_ratio" for i in ids), *(f"{i}_std" for i in ids), *(f"{i}_gap" for i in ids),
            "n_met", "school_pass",
            "missed", "reason", *stocks]


def compliance_summary(school_indicators: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """Per section and indicator: school-sections evaluated, meeting the standard, and the share (达标学校比例)."""
    rows = []
    for section, part in school_indicators.groupby("section", sort=False):
        for ind in indicator_ids(profile):
            met = meets(part[ind], part[f"{ind}_std"], ">=")
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
                         "达标率": value / std, "达标": meets(value, std, ">=")})
    return pd.DataFrame(rows)
