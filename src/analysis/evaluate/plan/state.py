"""The county as the plan must fix it (整改对象): the tables of a milestone year, oversized schools restructured.

A :class:`State` holds the schools, teachers and classes tables of one target year in the layout of the cleaned
inputs, so that the evaluation code of steps 02–04 (:mod:`analysis.evaluate.indicators`,
:mod:`analysis.evaluate.variation`, :mod:`analysis.evaluate.guarantee`) judges it unchanged:

- students of each school-section are the projected (central) enrollment of the milestone year (step 05);
  every class of the school-section grows or shrinks in the same proportion;
- resources stay at this year's level plus the county's planned investment (规划投入) due by that year; no trend
  is extrapolated, so the plan never counts on resources nobody has decided to provide;
- a school above the G4 size cap is restructured first, with the cheaper available G4 lever: a split into
  independent schools (资源按学生比例划分) or a new school taking the excess students (built empty: its teachers,
  rooms and equipment are then bought with the other levers at their unit costs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.config import SECTIONS
from analysis.evaluate import guarantee
from analysis.evaluate.indicators import STUDENT_COLUMNS, indicator_spec
from analysis.evaluate.plan.costs import Lever
from analysis.standards.compare import meets

FACILITY_COLUMNS = ("land_area_m2", "teaching_rooms_m2", "indoor_sports_rooms_m2", "sports_area_m2",
                    "equipment_value", "equipment_value_yuan", "multimedia_classrooms")
TEACHER_COUNTS = ("teachers", "teachers_above_degree", "key_teachers", "pe_teachers", "music_teachers",
                  "art_teachers", "certified_teachers", "trained_360h", "rotation_eligible")
CLASS_COLUMNS = {"primary": "classes_primary", "junior": "classes_junior"}


class PlanInfeasible(ValueError):
    """No plan meets the target with the available levers and budget; the message names the binding constraint."""


@dataclass
class State:
    """The tables of one target year, and the fixed G4 actions already taken to get there."""

    year: int
    label: str
    schools: pd.DataFrame
    teachers: pd.DataFrame
    classes: pd.DataFrame | None
    actions: list[dict] = field(default_factory=list)  # G4 restructuring: fixed lever quantities
    min_teachers: dict[tuple[str, str], int] = field(default_factory=dict)  # new schools: teachers they need


def _scale_classes(classes: pd.DataFrame | None, ratio: dict[tuple[str, str], float]) -> pd.DataFrame | None:
    if classes is None or not ratio:
        return classes
    out = classes.copy()
    keys = list(zip(out["school_code"].astype(str), out["section"], strict=True))
    factor = np.array([ratio.get(k, 1.0) for k in keys])
    out["students"] = np.round(out["students"].to_numpy(dtype=float) * factor).astype(int)
    return out


def milestone_state(schools: pd.DataFrame, teachers: pd.DataFrame, classes: pd.DataFrame | None,
                    enrollment: pd.DataFrame | None, planned: pd.DataFrame | None, year: int, label: str
                    ) -> State:
    """The tables at target ``year``: projected students (``enrollment_projection`` of step 05, columns per year),
    this year's resources plus the planned investment (``projection.planned_investment`` rows) due by ``year``."""
    s = schools.copy()
    s["school_code"] = s["school_code"].astype(str)
    t = teachers.copy()
    t["school_code"] = t["school_code"].astype(str)
    c = None if classes is None else classes.assign(school_code=classes["school_code"].astype(str))
    ratio: dict[tuple[str, str], float] = {}
    if enrollment is not None and str(year) in enrollment.columns:
        proj = dict(zip(zip(enrollment["school_code"].astype(str), enrollment["section"], strict=True),
                        enrollment[str(year)], strict=True))  # (school, section) → projected students
        for section in SECTIONS:
            col = STUDENT_COLUMNS[section]
            keys = list(zip(s["school_code"], [section] * len(s), strict=True))
            new = np.array([proj.get(k, np.nan) for k in keys], dtype=float)
            old = s[col].to_numpy(dtype=float)
            has = ~np.isnan(new) & (old > 0)
            ratio.update({k: n / o for k, n, o, h in zip(keys, new, old, has, strict=True) if h})
            s[col] = np.where(has, np.round(np.nan_to_num(new)), old).astype(int)
    c = _scale_classes(c, ratio)
    if planned is not None and len(planned):
        due = planned[planned["year"] <= year]
        for r in due.itertuples(index=False):
            if r.kind == "facility":
                s.loc[s["school_code"] == r.school_code, r.field] += r.amount
            else:
                mask = (t["school_code"] == r.school_code) & (t["section"] == r.section)
                t.loc[mask, r.field] += r.amount
    return State(year, label, s.reset_index(drop=True), t.reset_index(drop=True), c)


# ------------------------------------------------------------------------------------------ G4 restructuring


def _share_ints(total: float, parts: list[float]) -> list[int]:
    """``total`` (a count) divided in proportion to ``parts`` in whole units (largest remainder, stable)."""
    total = int(round(total))
    weights = np.asarray(parts, dtype=float)
    if total <= 0 or weights.sum() <= 0:
        return [0] * len(parts)
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(int)
    for k in np.argsort(-(raw - out), kind="stable")[: total - out.sum()]:
        out[k] += 1
    return out.tolist()


def _standard_cost(students: dict[str, float], profile: dict, levers: dict[str, Lever]) -> float:
    """Rough cost of equipping empty premises for ``students`` to every R standard (to compare G4 options)."""
    lever_of = {"teachers_above_degree": "hire_teacher", "key_teachers": "train_key_teacher",
                "pe_music_art_teachers": "hire_pe_music_art", "teaching_rooms_m2": "build_teaching_rooms",
                "sports_area_m2": "build_sports_area", "equipment_value_yuan": "buy_equipment",
                "multimedia_classrooms": "multimedia_classroom"}
    total = 0.0
    for ind in profile["resources"]:
        spec = indicator_spec(profile, ind)
        lever = levers.get(lever_of.get(spec["numerator"], ""))
        price = lever.unit_cost if lever is not None and lever.available else 0.0
        total += sum(spec[sec] * n / spec["per"] for sec, n in students.items()) * price
    return total


def restructure_oversized(state: State, profile: dict, levers: dict[str, Lever],
                          chosen: dict[str, str] | None = None) -> State:
    """Split, or divert students of, every school above its G4 cap (cheaper available lever first).

    ``chosen`` (school code → ``split_school`` / ``new_school``, e.g. from a county's own plan) restructures just
    those schools with that lever. Raises :class:`PlanInfeasible` naming the school when neither lever is
    available (no teacher, room or budget can bring a school's enrollment under the cap)."""
    sizes = guarantee.school_size(state.schools, profile)
    over = sizes[~sizes["passed"].astype(bool)]
    if chosen is not None:
        over = sizes[sizes["school_code"].astype(str).isin(list(chosen))]
    if over.empty:
        return state
    schools, teachers, classes = state.schools.copy(), state.teachers.copy(), state.classes
    actions, min_teachers = list(state.actions), dict(state.min_teachers)
    split, new = levers.get("split_school"), levers.get("new_school")
    for r in over.itertuples(index=False):
        code, n, cap = str(r.school_code), float(r.students), float(r.cap)
        row = schools[schools["school_code"] == code].iloc[0]
        by_section = {sec: float(row[STUDENT_COLUMNS[sec]]) for sec in SECTIONS if row[STUDENT_COLUMNS[sec]] > 0}
        moved = {sec: v * (n - cap) / n for sec, v in by_section.items()}
        options = {}
        if split is not None and split.available:
            options["split_school"] = split.unit_cost
        if new is not None and new.available:
            options["new_school"] = new.unit_cost + _standard_cost(moved, profile, levers)
        if not options and chosen is None:
            raise PlanInfeasible(
                f"学校“{row['school_name']}”（{code}）{state.year}年义务教育阶段预计 {n:.0f} 人，超过规模上限 {cap:.0f} 人"
                f"（G4）：增加教师、校舍或设备都不能使学校规模达标，必须拆分学校或新建学校分流，但成本单价表中"
                f"“{split.zh if split else '拆分学校'}”与“{new.zh if new else '新建学校'}”均未提供单价（不采用）")
        choice = chosen[code] if chosen is not None else min(options, key=options.get)
        parts = max(2, math.ceil(n / cap)) if choice == "split_school" else 2
        if choice == "split_school":
            schools, teachers, classes, codes = _split(schools, teachers, classes, code, parts)
            note = f"义务教育阶段{n:.0f}人＞{cap:.0f}人，拆分为{parts}所独立学校（{'、'.join(codes)}），资源按学生比例划分"
        else:
            schools, teachers, classes, new_code, need = _divert(schools, teachers, classes, code, moved)
            min_teachers.update(need)
            note = f"义务教育阶段{n:.0f}人＞{cap:.0f}人，新建学校（{new_code}）分流{n - cap:.0f}人"
        actions.append({"school_code": code, "school_name": row["school_name"], "section": "", "lever": choice,
                        "quantity": 1.0, "indicator": "G4", "note": note})
    return State(state.year, state.label, schools.reset_index(drop=True), teachers.reset_index(drop=True),
                 classes, actions, min_teachers)


def _split(schools, teachers, classes, code, parts):
    """School ``code`` → ``parts`` schools (code, code-2, …) with classes dealt out in turn and every stock
    divided in proportion to the students each part gets (rooms and teachers in whole units)."""
    here = (schools["school_code"] == code).to_numpy()
    row = schools.iloc[int(np.flatnonzero(here)[0])].to_dict()
    codes = [code] + [f"{code}-{k}" for k in range(2, parts + 1)]
    counts, classes_of = {}, {}
    mine = None
    if classes is not None:
        mine = classes[classes["school_code"] == code].sort_values(["section", "grade", "class_no"]).copy()
        part = np.arange(len(mine)) % parts
        mine["part"] = part
        section, students = mine["section"].to_numpy(), mine["students"].to_numpy(dtype=float)
        for sec in SECTIONS:
            at = section == sec
            got = np.bincount(part[at], weights=np.nan_to_num(students[at]), minlength=parts)
            counts[sec] = [float(v) for v in got]  # whole numbers of students: exact in any order
            classes_of[sec] = np.bincount(part[at], minlength=parts) if at.any() else None
    for sec in SECTIONS:
        if sum(counts.get(sec, [])) <= 0:
            counts[sec] = [float(x) for x in _share_ints(row[STUDENT_COLUMNS[sec]], [1] * parts)]
    weight = [sum(counts[s][k] for s in SECTIONS) for k in range(parts)]
    rows = []
    for k, new_code in enumerate(codes):
        new = {**row, "school_code": new_code}
        if k:
            new["school_name"] = f"{row['school_name']}（分设{k + 1}）"
        for sec in SECTIONS:
            new[STUDENT_COLUMNS[sec]] = int(counts[sec][k])
        rows.append(new)
    for col in (*FACILITY_COLUMNS, "music_rooms", "art_rooms", *CLASS_COLUMNS.values()):
        if col not in schools:
            continue
        if col in ("music_rooms", "art_rooms", "multimedia_classrooms", *CLASS_COLUMNS.values()):
            values = _share_ints(row[col], weight)
        else:
            values = [float(row[col]) * w / sum(weight) for w in weight]
        for k in range(parts):
            rows[k][col] = values[k]
    if mine is not None:
        for sec, col in CLASS_COLUMNS.items():
            if classes_of[sec] is not None:
                for k in range(parts):
                    rows[k][col] = int(classes_of[sec][k])
    schools = pd.concat([schools[~here], pd.DataFrame(rows, columns=schools.columns)], ignore_index=True)
    t_rows = []
    mask = (teachers["school_code"] == code).to_numpy()
    for tr in teachers[mask].to_dict("records"):
        shares = counts.get(tr["section"], [1] * parts)
        split_cols = {c: _share_ints(tr[c], shares) for c in TEACHER_COUNTS if c in tr and pd.notna(tr[c])}
        for k, new_code in enumerate(codes):
            t_rows.append({**tr, "school_code": new_code, **{c: v[k] for c, v in split_cols.items()}})
    teachers = pd.concat([teachers[~mask], pd.DataFrame(t_rows)], ignore_index=True)
    if mine is not None:
        mine["school_code"] = [codes[k] for k in part]
        classes = pd.concat([classes[classes["school_code"] != code], mine.drop(columns="part")],
                            ignore_index=True)
    return schools, teachers, classes, codes


def _divert(schools, teachers, classes, code, moved: dict[str, float]):
    """A new, empty school ``code-新`` takes ``moved`` students per section (from every grade alike)."""
    row = schools[schools["school_code"] == code].iloc[0]
    new_code = f"{code}-新"
    new = row.copy()
    new["school_code"], new["school_name"] = new_code, f"{row['school_name']}分流新校"
    for col in (*FACILITY_COLUMNS, "music_rooms", "art_rooms"):
        if col in new:
            new[col] = 0
    for col in ("music_rooms_m2", "art_rooms_m2"):
        new[col] = np.nan
    keep = schools["school_code"] == code
    need_teachers = {}
    new_classes = []
    classes = None if classes is None else classes.copy()  # the state's own table stays as it was
    for sec in SECTIONS:
        col = STUDENT_COLUMNS[sec]
        n_old = float(row[col])
        m = int(round(moved.get(sec, 0.0)))
        new[col] = m
        schools.loc[keep, col] = int(n_old - m)
        t_old = teachers[(teachers["school_code"] == code) & (teachers["section"] == sec)]["teachers"].sum()
        if m > 0:
            need_teachers[(new_code, sec)] = math.ceil(float(t_old) * m / n_old) if n_old > 0 else 0
        if classes is not None and m > 0:
            mine = classes[(classes["school_code"] == code) & (classes["section"] == sec)]
            for grade, g in mine.groupby("grade"):
                take = int(round(g["students"].sum() * m / n_old))
                per_class = _share_ints(g["students"].sum() - take, [1] * len(g))
                classes.loc[g.index, "students"] = per_class
                if take > 0:
                    size = g["students"].max()
                    k = max(1, math.ceil(take / max(size, 1)))
                    for j, v in enumerate(_share_ints(take, [1] * k), 1):
                        new_classes.append({"school_code": new_code, "section": sec, "grade": grade,
                                            "class_no": j, "students": v})
        if sec in CLASS_COLUMNS and classes is None and n_old > 0:
            per = float(row[CLASS_COLUMNS[sec]]) / n_old
            new[CLASS_COLUMNS[sec]] = math.ceil(per * m)
    if classes is not None:
        made = pd.DataFrame(new_classes, columns=["school_code", "section", "grade", "class_no", "students"])
        for sec, col in CLASS_COLUMNS.items():
            new[col] = int((made["section"] == sec).sum())
        classes = pd.concat([classes, made], ignore_index=True)
    schools = pd.concat([schools, pd.DataFrame([new])], ignore_index=True)
    zero = {c: 0 for c in TEACHER_COUNTS}
    t_new = [{"school_code": new_code, "section": sec, **zero} for sec in SECTIONS if new[STUDENT_COLUMNS[sec]] > 0]
    teachers = pd.concat([teachers, pd.DataFrame(t_new)], ignore_index=True)
    return schools, teachers, classes, new_code, need_teachers


# ------------------------------------------------------------------------------------------ G3, G5 needs


def room_needs(state: State, profile: dict, extra_classes: dict[str, int] | None = None) -> pd.DataFrame:
    """G3 per school: music/art rooms to build and existing rooms to enlarge so the school meets G3.

    Required rooms = max(1, ⌈(义务教育班数 + 新增班数) ÷ 12⌉) (guarantee.music_art_rooms). When only the smallest
    room's area is known and it is below the minimum, every existing room is enlarged (the worst case); with a
    total area, new rooms of the minimum area make up both the count and the area."""
    schools = state.schools
    if extra_classes:
        schools = schools.assign(classes_primary=schools["classes_primary"]
                                 + schools["school_code"].map(extra_classes).fillna(0))
    rooms = guarantee.music_art_rooms(schools, profile, reasons=False)
    rows = []
    fields = ["school_code", "school_name", "required_rooms", "classes",
              *(f"{room}_{f}" for room in ("music", "art") for f in ("rooms", "min_m2", "rooms_m2", "basis"))]
    for r in rooms[fields].to_dict("records"):
        req = int(r["required_rooms"])
        out = {"school_code": r["school_code"], "school_name": r["school_name"], "required_rooms": req,
               "classes": r["classes"]}
        for room in ("music", "art"):
            count = 0 if pd.isna(r[f"{room}_rooms"]) else int(r[f"{room}_rooms"])
            minimum = r[f"{room}_min_m2"]
            area = r[f"{room}_rooms_m2"]
            upgrade, build = 0, max(0, req - count)
            if not pd.isna(minimum) and count > 0:
                if r[f"{room}_basis"] == "total":
                    have = 0.0 if pd.isna(area) else float(area)
                    build = max(build, math.ceil(req - have / minimum - 1e-9))
                elif not meets(area, minimum, ">="):  # a missing area is not known to meet
                    upgrade = count
            out[f"{room}_build"], out[f"{room}_upgrade"], out[f"{room}_min_m2"] = build, upgrade, minimum
        rows.append(out)
    return pd.DataFrame(rows, columns=["school_code", "school_name", "required_rooms", "classes", "music_build",
                                       "music_upgrade", "music_min_m2", "art_build", "art_upgrade", "art_min_m2"])


def class_needs(state: State, profile: dict) -> pd.DataFrame:
    """G5 per school, section and grade: classes to open so that no class exceeds the cap (students shared
    evenly by the grade's classes): ⌈学生数 ÷ 班额上限⌉ − 现有班数; ``rebalance`` marks grades that only need
    their students evened out."""
    cols = ["school_code", "section", "grade", "students", "classes", "cap", "open", "rebalance"]
    if state.classes is None:  # typed even when empty: a boolean ``rebalance`` selects rows, not columns
        return pd.DataFrame(columns=cols).astype({"open": int, "rebalance": bool})
    sizes = guarantee.class_sizes(state.classes, state.schools, profile)
    by = sizes.groupby(["school_code", "section", "grade"], sort=True)
    g = pd.DataFrame({"students": by["students"].sum(), "classes": by["students"].size(), "cap": by["cap"].first(),
                      "largest": by["students"].max()}).reset_index()
    g["open"] = np.maximum(0, np.ceil(g["students"] / g["cap"] - 1e-9) - g["classes"]).astype(int)
    # a grade whose students fit its classes but one class is over the cap: even out the classes (no cost)
    g["rebalance"] = (g["open"] == 0) & (g["largest"] > g["cap"])
    return g[cols]
