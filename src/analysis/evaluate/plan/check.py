"""Applying a plan to the tables and judging the result with the evaluation code itself (方案复核).

:func:`apply_plan` turns the rows of a plan (``plan.csv`` layout, or the county's own 整改方案) into the tables of
a milestone year: teachers hired or appointed, m², equipment, rooms and classes added, schools split or relieved,
teachers rotated. :func:`evaluate_tables` then runs the step-02/03/04 functions on them, and :func:`plan_check`
compares every rule the plan touches before and after (6-of-7 per school-section, each CV, G3, G4, G5, G11).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.config import SECTION_ZH
from analysis.evaluate import guarantee, indicators, variation
from analysis.evaluate.plan.costs import Lever
from analysis.evaluate.plan.rotation import apply_rotation
from analysis.evaluate.plan.state import State, restructure_oversized
from analysis.standards.compare import meets
from analysis.standards.status import FAIL, PASS

G4_LEVERS = ("split_school", "new_school")
PLAN_FIELDS = ("year", "school_code", "section", "lever", "quantity", "to_school_code", "detail")  # what applying reads
SPECIALISTS = ("pe_teachers", "music_teachers", "art_teachers")
CHECK_COLUMNS = ["year", "milestone", "scope", "school_code", "school_name", "section", "rule", "rule_zh", "before",
                 "after", "limit", "comparator", "passes_before", "passes_after", "claimed", "ok"]


def _hire_specialists(t: pd.DataFrame, t_key: pd.Series, hires: list[dict]) -> None:
    """PE/music/art hires (体育、音乐、美术教师) one at a time, each to the specialist column its school-section
    has fewest of (first of PE, music, art on a tie); ``t`` changed in place, one write per column."""
    if not hires:
        return
    rows_of: dict[str, list[int]] = {}
    for i, k in enumerate(t_key):
        rows_of.setdefault(k, []).append(i)
    values = t[list(SPECIALISTS)].to_numpy(dtype=float, copy=True)  # a missing value stays missing, as in pandas
    for r in hires:
        sec = r["section"] if isinstance(r.get("section"), str) else ""
        rows = rows_of.get(f"{r['school_code']}|{sec}")
        if not rows:
            continue
        for _ in range(int(round(float(r["quantity"])))):
            col = int(np.argmin(np.nansum(values[rows], axis=0)))  # pandas' sum skips missing values
            values[rows, col] += 1
    for j, col in enumerate(SPECIALISTS):
        t[col] = values[:, j]


def g4_choices(plan: pd.DataFrame, year: int) -> dict[str, str]:
    """School code → G4 lever (拆分 / 新建分流) of the plan rows due by ``year``."""
    if not len(plan):
        return {}
    rows = plan[(plan["year"].astype(int) <= year) & plan["lever"].isin(G4_LEVERS)]
    return dict(zip(rows["school_code"].astype(str), rows["lever"], strict=True))


def apply_plan(state: State, plan: pd.DataFrame, profile: dict, levers: dict[str, Lever], settings: dict,
               restructured: State | None = None) -> State:
    """``state`` (a milestone year, before any action) with every plan row due by its year applied.

    ``restructured``: ``state`` with the plan's G4 rows (:func:`g4_choices`) already applied, e.g. the planner's
    own restructuring of that year, so they are not worked out again."""
    rows = plan[plan["year"].astype(int) <= state.year] if len(plan) else plan
    if restructured is not None:
        state = restructured
    elif chosen := g4_choices(rows, state.year):
        state = restructure_oversized(state, profile, levers, chosen)
    s, t = state.schools.copy(), state.teachers.copy()
    c = None if state.classes is None else _ClassEdits(state.classes, s, profile)
    flag = bool(settings.get("new_hires_above_degree", True))
    g3 = profile["guarantee"]["G3"]
    rotation = []
    records = rows[[f for f in PLAN_FIELDS if f in rows]].to_dict("records") if len(rows) else []
    # additive levers in one pass per column (a county-wide plan has thousands of rows)
    teacher_adds = {"hire_teacher": ("teachers", "teachers_above_degree"),
                    "hire_pe_music_art": ("teachers", *(("teachers_above_degree",) if flag else ())),
                    "train_key_teacher": ("key_teachers",)}
    school_adds = {"build_teaching_rooms": (("teaching_rooms_m2", 1.0),), "build_sports_area": (("sports_area_m2", 1.0),),
                   "buy_equipment": (("equipment_value_yuan", 1.0), ("equipment_value", 1 / 10_000)),  # 万元 column too
                   "multimedia_classroom": (("multimedia_classrooms", 1.0),)}
    t_key = t["school_code"].astype(str) + "|" + t["section"].astype(str)
    s_key = s["school_code"].astype(str)
    for lever, cols in teacher_adds.items():
        part = [r for r in records if r["lever"] == lever]
        if part:
            add = pd.Series([float(r["quantity"]) for r in part],
                            index=[f"{r['school_code']}|{r['section']}" for r in part]).groupby(level=0).sum()
            for col in cols:
                t[col] = t[col].astype(float) + t_key.map(add).fillna(0.0).to_numpy()
    for lever, cols in school_adds.items():
        part = [r for r in records if r["lever"] == lever]
        if part:
            add = pd.Series([float(r["quantity"]) for r in part],
                            index=[str(r["school_code"]) for r in part]).groupby(level=0).sum()
            for col, factor in cols:
                s[col] = s[col].astype(float) + s_key.map(add).fillna(0.0).to_numpy() * factor
    _hire_specialists(t, t_key, [r for r in records if r["lever"] == "hire_pe_music_art"])
    # the per-row levers on plain arrays (one pandas write per column at the end: a plan has thousands of rows)
    row_of = {code: i for i, code in enumerate(s_key)}
    cols = {col: s[col].to_numpy(dtype=float, copy=True) for room in ("music", "art")
            for col in (f"{room}_rooms", f"{room}_rooms_m2")}
    cols.update({f"classes_{sec}": s[f"classes_{sec}"].to_numpy(dtype=float, copy=True)
                 for sec in ("primary", "junior") if f"classes_{sec}" in s})
    basis = {room: s[f"{room}_rooms_m2_basis"].to_numpy() for room in ("music", "art")}
    for r in records:
        lever = r["lever"]
        if lever in teacher_adds or lever in school_adds:  # applied above
            continue
        if lever == "rotate_teacher":
            if int(r["year"]) == state.year:  # G11 counts one year's rotation
                rotation.append(r)
            continue
        code, q = str(r["school_code"]), float(r["quantity"])
        sec = r.get("section") if isinstance(r.get("section"), str) else ""
        i = row_of.get(code)
        if lever in ("music_room", "art_room") and i is not None:
            room = lever.split("_")[0]
            minimum = float(g3[f"{room}_room_min_m2"] or 0)
            rooms, area = cols[f"{room}_rooms"], cols[f"{room}_rooms_m2"]
            had = 0.0 if np.isnan(rooms[i]) else rooms[i]
            rooms[i] += q
            if basis[room][i] == "total":
                area[i] = (0.0 if np.isnan(area[i]) else area[i]) + q * minimum
            elif had == 0:
                area[i] = minimum
        elif lever in ("upgrade_music_room", "upgrade_art_room") and i is not None:
            room = lever.split("_")[1]
            minimum = float(g3[f"{room}_room_min_m2"] or 0)
            area = cols[f"{room}_rooms_m2"]
            area[i] = max(0.0 if np.isnan(area[i]) else area[i], minimum)
        elif lever == "rebalance_classes" and c is not None:
            c.open(code, sec, 0)
        elif lever == "open_class" and c is not None:
            c.open(code, sec, int(round(q)))
            if i is not None:
                cols[f"classes_{sec}"][i] += q
    for col, values in cols.items():
        if not np.array_equal(values, s[col].to_numpy(dtype=float), equal_nan=True):
            s[col] = values
    return State(state.year, state.label, s, _rotated(t, rotation, profile), None if c is None else c.frame(),
                 state.actions, state.min_teachers)


def _rotated(teachers: pd.DataFrame, rows: list[dict], profile: dict) -> pd.DataFrame:
    """The teacher table after one year's rotation rows (交流轮岗, ``rotate_teacher``)."""
    if not rows:
        return teachers
    moves = pd.DataFrame({"section": [r["section"] for r in rows],
                          "from_school_code": [str(r["school_code"]) for r in rows],
                          "to_school_code": [str(r["to_school_code"]) for r in rows],
                          "kind": [r["detail"] for r in rows],
                          "teachers": [int(r["quantity"]) for r in rows],
                          "key_teachers": [int(r["quantity"]) if "key" in r["detail"] else 0 for r in rows]})
    return apply_rotation(teachers, moves, profile)


def rotate(state: State, plan: pd.DataFrame, profile: dict) -> State:
    """``state`` (:func:`apply_plan` of the plan without its rotation rows) with the plan's rotation of that year:
    the same as :func:`apply_plan` of the whole plan, which applies the rotation last."""
    mine = (plan["lever"] == "rotate_teacher").to_numpy() & (plan["year"].astype(int) == state.year).to_numpy()
    rows = plan.loc[mine, [f for f in PLAN_FIELDS if f in plan]].to_dict("records")
    return State(state.year, state.label, state.schools, _rotated(state.teachers, rows, profile), state.classes,
                 state.actions, state.min_teachers)


class _ClassEdits:
    """The classes table while a plan opens classes and evens them out, row by row as the plan lists them: the
    students as plain lists, each school-section's rows by position, new classes appended; one table at the end
    (a plan has hundreds of class rows, and the county's whole table per row made this the slowest part of step 08).

    The needs are those of :func:`analysis.evaluate.plan.state.class_needs` (G5, ``guarantee.class_sizes``) for
    each school-section, worked out on its own rows."""

    def __init__(self, classes: pd.DataFrame, schools: pd.DataFrame, profile: dict) -> None:
        self.classes = classes
        self.caps = profile["guarantee"]["G5"]["max_class"]
        excluded = set(profile["guarantee"]["G4"]["exclude_types"])
        self.checked: dict[str, bool] = {}  # school → has G5 (a type not excluded; as in guarantee.class_sizes)
        for code, kind in zip(schools["school_code"].tolist(), schools["school_type"].tolist(), strict=True):
            self.checked[code] = self.checked.get(code, False) or kind not in excluded
        self.students = classes["students"].to_numpy(copy=True)  # the column's own type, as pandas writes it
        self.values = classes["students"].to_numpy(dtype=float).tolist()  # as read back: floats, new rows too
        self.grade = classes["grade"].to_numpy().tolist()
        self.class_no = classes["class_no"].to_numpy().tolist()
        self.rows: dict[tuple, list[int]] = {}
        for i, key in enumerate(zip(classes["school_code"].tolist(), classes["section"].tolist(), strict=True)):
            self.rows.setdefault(key, []).append(i)
        self.added: list[dict] = []

    def open(self, code: str, section: str, count: int) -> None:
        """Open ``count`` classes of school-section (``code``, ``section``) in the grades over the cap (most needed
        first) and share each grade's students evenly among its classes (also in the grades that only need
        evening out)."""
        if section not in self.caps or not self.checked.get(code, False):
            return  # no G5 check for this school-section (as in guarantee.class_sizes)
        cap = float(self.caps[section])
        mine = np.array(self.rows.get((code, section), []), dtype=int)
        grades = np.array([self.grade[i] for i in mine])
        students = np.array([self.values[i] for i in mine], dtype=float)
        needs = []
        for grade in sorted(set(grades.tolist())):  # grade order, as class_needs' sorted groupby
            at = grades == grade
            total, n = np.nansum(students[at]), int(at.sum())
            opens = max(0, int(np.ceil(total / cap - 1e-9)) - n)
            if opens > 0 or np.nanmax(students[at]) > cap:
                needs.append((opens, grade, mine[at]))
        needs.sort(key=lambda r: -r[0])  # most needed first; stable, so grade order on a tie
        for opens, grade, rows in needs:
            k = min(opens, count)
            count -= k
            if k <= 0 and opens > 0:  # no class left to open here (a grade that only needs evening out goes on)
                continue
            total = int(np.nansum(np.array([self.values[i] for i in rows], dtype=float)))
            n = len(rows) + k
            sizes = [total // n + (1 if j < total % n else 0) for j in range(n)]
            for i, size in zip(rows, sizes, strict=False):
                self._set(int(i), size)
            top = int(np.nanmax(np.array([self.class_no[i] for i in rows], dtype=float))) if len(rows) else 0
            for j in range(k):
                self._add({"school_code": code, "section": section, "grade": grade, "class_no": top + j + 1,
                           "students": sizes[len(rows) + j]})

    def _set(self, i: int, size: int) -> None:
        if i < len(self.students):
            self.students[i] = size
        else:
            self.added[i - len(self.students)]["students"] = size
        self.values[i] = float(size)

    def _add(self, row: dict) -> None:
        i = len(self.values)
        self.added.append(row)
        self.values.append(float(row["students"]))
        self.grade.append(row["grade"])
        self.class_no.append(row["class_no"])
        self.rows.setdefault((row["school_code"], row["section"]), []).append(i)

    def frame(self) -> pd.DataFrame:
        c = self.classes.copy()
        if not np.array_equal(self.students, c["students"].to_numpy(), equal_nan=True):
            c["students"] = self.students
        return pd.concat([c, pd.DataFrame(self.added)], ignore_index=True) if self.added else c


def evaluate_tables(state: State, profile: dict) -> dict:
    """The evaluation of steps 02–04 on one state: school indicators, CV table, G3, G4, G5 and G11 rows."""
    values, _ = indicators.evaluate(state.schools, state.teachers, profile)
    cv = variation.cv_table(values, profile)
    rooms = guarantee.music_art_rooms(state.schools, profile, reasons=False)  # the check needs the status only
    sizes = guarantee.school_size(state.schools, profile)
    classes = guarantee.class_sizes(state.classes, state.schools, profile) if state.classes is not None else None
    teacher = {r["item_id"]: r for r in guarantee.teacher_rows(state.teachers, profile)}
    return {"values": values, "cv": cv, "rooms": rooms, "sizes": sizes, "classes": classes, "teacher": teacher}


def rule_rows(ev: dict, profile: dict) -> dict[tuple, dict]:
    """Every checked rule of one evaluation (:func:`evaluate_tables`): key (scope, school code, section, rule) →
    {value, limit, comparator, passes, zh, name}."""
    out: dict[tuple, dict] = {}
    core = list(profile["resources"])
    v = ev["values"]
    min_met = float(profile["school_rule"]["min_met"])
    for code, sec, n_met, ok, name in zip(v["school_code"].tolist(), v["section"].astype(str).tolist(),
                                          v["n_met"].tolist(), v["school_pass"].tolist(), v["school_name"].tolist(),
                                          strict=True):
        out[("school", code, sec, "school_rule")] = {
            "value": float(n_met), "limit": min_met, "comparator": ">=", "passes": bool(ok),
            "zh": "校校达标（6项达标且其余不低于85%）", "name": name}
    cv = ev["cv"][ev["cv"]["indicator"].isin(core)]
    for sec, ind, value, limit, comparator, ok in zip(*(cv[c].tolist() for c in ("section", "indicator", "cv", "limit",
                                                                                 "comparator", "passed")), strict=True):
        out[("county", "", sec, f"{ind}_cv")] = {
            "value": float(value), "limit": float(limit), "comparator": comparator, "passes": bool(ok),
            "zh": f"{ind}差异系数", "name": ""}
    for key, table, zh in (("G3", ev["rooms"], "音乐、美术专用教室（G3）"), ("G4", ev["sizes"], "学校规模（G4）")):
        for code, status, name in zip(*(table[c].tolist() for c in ("school_code", "status", "school_name")),
                                      strict=True):
            out[("school", code, "", key)] = {
                "value": float(status == FAIL), "limit": 0.0, "comparator": "<=",
                "passes": status == PASS, "zh": zh, "name": name}
    if ev["classes"] is not None and len(ev["classes"]):
        by = ev["classes"].groupby(["school_code", "school_name", "section"], sort=False)
        g = pd.DataFrame({"largest": by["students"].max(), "cap": by["cap"].first()}).reset_index()
        for r in g.to_dict("records"):
            out[("school", r["school_code"], r["section"], "G5")] = {
                "value": float(r["largest"]), "limit": float(r["cap"]), "comparator": "<=",
                "passes": meets(r["largest"], r["cap"], "<="), "zh": "班额（G5，最大班额）", "name": r["school_name"]}
    for item in ("G11_rotation", "G11_key_share"):
        r = ev["teacher"][item]
        value = r.get("value")
        out[("county", "", "", item)] = {
            "value": float(value) if value is not None and not pd.isna(value) else np.nan,
            "limit": float(r["threshold"]), "comparator": r["comparator"], "passes": r["status"] == PASS,
            "zh": r["name_zh"], "name": ""}
    return out


def plan_check(b: dict[tuple, dict], a: dict[tuple, dict], year: int, milestone: str,
               claimed: set[tuple] | None = None) -> pd.DataFrame:
    """One row per rule (:func:`rule_rows` before and after the plan): value before and after, limit, passes;
    ``claimed`` = the keys the plan promises to pass (default: all); ``ok`` = passes after, or not claimed."""
    rows = []
    for key in dict.fromkeys([*b, *a]):
        scope, code, section, rule = key
        rb, ra = b.get(key), a.get(key)
        ref = ra or rb
        claim = claimed is None or key in claimed or (scope == "county" and claimed is not None
                                                      and ("county", "", section, rule) in claimed)
        passes_after = bool(ra["passes"]) if ra else None
        rows.append({"year": year, "milestone": milestone, "scope": "学校" if scope == "school" else "全县",
                     "school_code": code, "school_name": ref["name"], "section": SECTION_ZH.get(section, section),
                     "rule": rule, "rule_zh": ref["zh"], "before": rb["value"] if rb else np.nan,
                     "after": ra["value"] if ra else np.nan, "limit": ref["limit"], "comparator": ref["comparator"],
                     "passes_before": bool(rb["passes"]) if rb else None, "passes_after": passes_after,
                     "claimed": bool(claim and ra is not None),
                     "ok": bool(passes_after) if (claim and ra is not None) else True})
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def claimed_keys(solution_passing: set[str], cv_targets: set[tuple[str, str]], after: dict[tuple, dict],
                 rotation: bool) -> set[tuple]:
    """The rule keys (of :func:`rule_rows` after the plan) a plan claims: every rule of the schools it makes pass
    (a split school's parts with it), the CVs it targets, G11 when it rotates teachers."""
    passing = {c.split("-")[0] for c in solution_passing}
    keys = {key for key in after if key[0] == "school" and key[1].split("-")[0] in passing}
    keys |= {("county", "", sec, f"{ind}_cv") for sec, ind in cv_targets}
    if rotation:
        keys |= {("county", "", "", "G11_rotation"), ("county", "", "", "G11_key_share")}
    return keys
