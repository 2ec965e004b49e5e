"""The cheapest plan to pass (最低成本整改方案): a mixed-integer programme solved by HiGHS (``scipy.optimize.milp``).

Decision variables, per target year (milestone) t — cumulative additions from this year's stock:

- per school-section: teachers hired above the required degree, PE/music/art teachers hired, key teachers trained
  or appointed (integers);
- per school: m² of teaching rooms and of sports area, yuan of equipment (continuous), multimedia classrooms,
  music and art rooms built or enlarged, classes opened (integers);
- binaries ``y`` (indicator reaches its standard) and ``p`` (the school passes everything the plan targets).

Constraints for a school that passes (p = 1), with need = standard × students ÷ per:
stock + additions ≥ need·y for each of R1–R7, stock + additions ≥ 85%·need (the floor), Σy ≥ 6 (000 附件2
备注1); G3 rooms ≥ required (per 12 classes, each room at least the minimum area); G5 classes opened so that no
class exceeds the cap, each new class staffed at the section's current teachers-per-class; key teachers never
outnumber teachers. G4 is settled before the programme (:func:`analysis.evaluate.plan.state.restructure_oversized`).

The CV limits (CV = S / mean ≤ L) are not linear but ``S − L·mean`` is convex in the indicator values (S is a
weighted Euclidean norm of the deviations), so its tangent planes are valid cuts: at a point x̄,
Σᵢ wᵢ (x̄ᵢ − m̄)/S̄ · xᵢ ≤ L·Σᵢ wᵢ xᵢ. The planner solves, measures every CV exactly with
:func:`analysis.evaluate.variation.weighted_cv`, and for each violated CV adds the tangent plane at the point
where the segment from a point inside the limit to the new solution crosses the limit (extended supporting
hyperplanes), then solves again. Because every cut holds for every feasible plan, a plan found by cuts alone is
optimal for the exact CV rule (aimed ``CV_MARGIN`` inside the limit). The rounds that only place cuts are
solved to ``INTERIM_GAP``; a plan meeting every CV is solved again to ``MIP_GAP`` before it is returned, unless
its solve already proved that gap. When
``CUT_ROUNDS`` rounds do not close a CV, or from the second round on a round no longer halves the largest CV
excess (``STALL_RATIO``, large programmes only), the planner keeps what it adds and raises every school below the CV floor of the current
plan to it: the plan then passes the exact rule but is no longer proven cheapest (the step's notes say so).

Variants: ``minimum cost`` (every school and CV passes by each milestone; optional annual budget caps per period)
and ``maximum passing`` within a total budget (most schools and CVs passing, then the cheapest such plan).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from analysis.config import SECTION_ZH, SECTIONS
from analysis.evaluate import indicators
from analysis.evaluate.plan.costs import Lever
from analysis.evaluate.plan.state import PlanInfeasible, State, class_needs, room_needs
from analysis.evaluate.planning import cv_floor
from analysis.evaluate.variation import WeightedCV, weighted_cv
from analysis.standards.compare import meets

TEACHER_LEVERS = ("hire_teacher", "hire_pe_music_art", "train_key_teacher")
FACILITY_LEVERS = {"teaching_rooms_m2": "build_teaching_rooms", "sports_area_m2": "build_sports_area",
                   "equipment_value_yuan": "buy_equipment", "multimedia_classrooms": "multimedia_classroom"}
ROOM_LEVERS = ("music_room", "art_room", "upgrade_music_room", "upgrade_art_room")
INTEGER_LEVERS = {*TEACHER_LEVERS, "multimedia_classroom", *ROOM_LEVERS, "open_class"}
# Kelley's iterates approach the CV limit from outside; aiming the cuts 0.01% inside it (0.50 → 0.49995) makes
# them land inside the exact limit in finitely many rounds. The check still uses the exact limit.
CV_MARGIN = 1e-4
MAX_ROUNDS = 60
# After this many rounds of cuts a CV still over its limit is closed with a floor (raise every school below the
# CV floor of the current plan to it): always feasible, exact CV re-checked, but no longer proven cheapest.
CUT_ROUNDS = 4
# Relative optimality gap of the solve that gives the plan; a round that only places cuts needs a good plan, not
# a proven optimum (its gap is wider, which saves most of the branching), and when such a plan meets every CV it
# is solved again at MIP_GAP before it is returned.
MIP_GAP = 1e-6
INTERIM_GAP = 1e-4
# From the second round of cuts on, a round whose largest CV excess is not below STALL_RATIO × the previous one
# hands over to the floor (Kelley's cuts can creep towards a limit in high dimension; a method setting).
STALL_RATIO = 0.5
# ... in programmes with more integer variables than this only (a small county's rounds take milliseconds, so it
# gets every round of cuts and the proven optimum).
STALL_MIN_INTEGERS = 1000


@dataclass
class Stage:
    """One target year of the programme: its state, evaluated values and needs."""

    state: State
    values: pd.DataFrame
    rooms: pd.DataFrame
    classes: pd.DataFrame
    cap: float | None = None  # budget of the years up to this milestone (after the previous one), 元


@dataclass
class Solution:
    """Quantities per lever and entity at every stage (cumulative), cost per stage, CV rounds, passes."""

    quantities: pd.DataFrame  # stage, year, lever, school_code, section, quantity (cumulative)
    period_cost: list[float]
    fixed_cost: list[float]
    rounds: int
    passing: dict[int, set[str]] = field(default_factory=dict)  # year → school codes the plan makes pass
    cv_targets: dict[int, set[tuple[str, str]]] = field(default_factory=dict)  # year → (section, indicator)
    status: str = ""
    floor_round: int = 0  # with status "floor": the round after which the floor closed the remaining CVs


class _Program:
    """Sparse MILP under construction: variables with bounds, costs and integrality, and rows kept as the
    (row, column, value) triplets of the constraint matrix, so each solve builds it in one go."""

    def __init__(self) -> None:
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.integer: list[int] = []
        self.names: list[tuple] = []
        self.index: dict[tuple, int] = {}
        self.row_lb: list[float] = []
        self.row_ub: list[float] = []
        self._r: list[int] = []
        self._c: list[int] = []
        self._d: list[float] = []
        self.gap = np.inf  # relative optimality gap the last solve proved

    def var(self, name: tuple, lb: float = 0.0, ub: float = np.inf, integer: bool = False) -> int:
        if name in self.index:
            return self.index[name]
        self.index[name] = len(self.names)
        self.names.append(name)
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(int(integer))
        return self.index[name]

    def row(self, coefs: dict[int, float], lb: float = -np.inf, ub: float = np.inf) -> None:
        self._r += [len(self.row_lb)] * len(coefs)
        self._c += coefs.keys()
        self._d += coefs.values()
        self.row_lb.append(lb)
        self.row_ub.append(ub)

    def pop_row(self) -> None:
        """Drop the last row added."""
        last = len(self.row_lb) - 1
        start = len(self._r)
        while start and self._r[start - 1] == last:
            start -= 1
        del self._r[start:], self._c[start:], self._d[start:], self.row_lb[-1], self.row_ub[-1]

    def solve(self, objective: np.ndarray, time_limit: float = 60.0, gap: float = MIP_GAP) -> np.ndarray | None:
        n, m = len(self.names), len(self.row_lb)
        a = coo_matrix((self._d, (self._r, self._c)), shape=(m, n)).tocsr()
        cons = [LinearConstraint(a, self.row_lb, self.row_ub)] if m else []
        res = milp(objective, constraints=cons, integrality=np.array(self.integer),
                   bounds=Bounds(np.array(self.lb), np.array(self.ub)),
                   options={"time_limit": time_limit, "mip_rel_gap": gap, "presolve": True})
        found = res.x is not None and res.status in (0, 1)
        self.gap = float(getattr(res, "mip_gap", None) or 0.0) if found and res.status == 0 else np.inf
        return res.x if found else None


def prepare_stage(state: State, profile: dict, cap: float | None = None) -> Stage:
    """Evaluate the state with the step-02 code and list its G3 and G5 needs."""
    values, _ = indicators.evaluate(state.schools, state.teachers, profile)
    opens = class_needs(state, profile)
    extra = opens.groupby("school_code")["open"].sum().to_dict() if len(opens) else {}
    rooms = room_needs(state, profile, {k: int(v) for k, v in extra.items() if v})
    return Stage(state, values, rooms, opens, cap)


def _teacher_ratios(state: State, keys: list[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """Teachers per class of each school-section now (a new class gets as many); 0 without classes."""
    t = state.teachers
    teachers = t.groupby(["school_code", "section"])["teachers"].sum().to_dict()  # counts: exact in any order
    first = state.schools.drop_duplicates("school_code").set_index("school_code")
    out = {}
    for code, section in keys:
        classes = float(first.at[code, f"classes_{section}"]) if code in first.index else 0.0
        out[(code, section)] = float(teachers.get((code, section), 0)) / classes if classes > 0 else 0.0
    return out


def _fixed_cost(state: State, levers: dict[str, Lever]) -> float:
    return sum(levers[a["lever"]].unit_cost * a["quantity"] for a in state.actions)


class Planner:
    """Builds and solves the programme for a list of stages (milestones in order)."""

    def __init__(self, stages: list[Stage], profile: dict, levers: dict[str, Lever], settings: dict,
                 maximise_passing: bool = False, budget: float | None = None, with_cv: bool = True) -> None:
        self.stages, self.profile, self.levers, self.settings = stages, profile, levers, settings
        self.maximise, self.budget, self.with_cv = maximise_passing, budget, with_cv
        self.p = _Program()
        self.core = list(profile["resources"])
        self.rule = profile["school_rule"]
        self.cost_terms: list[dict[int, float]] = [dict() for _ in stages]  # per stage: var → unit cost
        self.pass_vars: list[dict[str, int]] = [dict() for _ in stages]
        self.cv_vars: list[dict[tuple[str, str], int]] = [dict() for _ in stages]
        self.values_expr: list[dict[tuple[int, str], tuple[float, dict[int, float]]]] = [dict() for _ in stages]
        self.cuts = 0
        self.floored = False
        self.floor_round = 0  # the round after which the floor closed the CVs the cuts had not
        self._inside: dict[tuple[int, str, str], np.ndarray] = {}
        self._build()
        # per stage and section: school codes in the order of the stage's values, and their students
        self._sections: list[dict[str, tuple[list[str], np.ndarray]]] = []
        for stage in stages:
            sections = stage.values["section"].astype(str)
            self._sections.append({sec: (stage.values.loc[sections == sec, "school_code"].tolist(),
                                         stage.values.loc[sections == sec, "students"].to_numpy(dtype=float))
                                   for sec in SECTIONS if (sections == sec).any()})
        self._exprs: dict[tuple[int, str, str], tuple] = {}

    # -------------------------------------------------------------------------------------------- building
    def _lever_var(self, t: int, lever: str, code: str, section: str = "") -> int:
        key = (t, lever, code, section)
        if key in self.p.index:
            return self.p.index[key]
        available = self.levers[lever].available
        v = self.p.var(key, 0.0, np.inf if available else 0.0, integer=lever in INTEGER_LEVERS)
        if available:
            self.cost_terms[t][v] = self.levers[lever].unit_cost
        if t > 0 and (t - 1, lever, code, section) in self.p.index:  # additions only accumulate
            self.p.row({v: 1.0, self.p.index[(t - 1, lever, code, section)]: -1.0}, lb=0.0)
            if available:  # the period pays only for what it adds
                self.cost_terms[t][self.p.index[(t - 1, lever, code, section)]] = -self.levers[lever].unit_cost
        return v

    def _pass_var(self, t: int, code: str) -> int:
        if code not in self.pass_vars[t]:
            lb = 0.0 if self.maximise else 1.0
            self.pass_vars[t][code] = self.p.var((t, "pass", code, ""), lb, 1.0, integer=True)
        return self.pass_vars[t][code]

    def _build(self) -> None:
        flag = bool(self.settings.get("new_hires_above_degree", True))
        stocks = [indicators.indicator_spec(self.profile, ind)["numerator"] for ind in self.core]
        fields = list(dict.fromkeys(["school_code", "section", "share", "students", "teachers", "key_teachers", *stocks,
                                     *(f"{i}_std" for i in self.core)]))  # what _section_rows reads
        for t, stage in enumerate(self.stages):
            st = stage.state
            opens = stage.classes[stage.classes["open"] > 0]
            opened = opens.groupby(["school_code", "section"])["open"].sum().to_dict()
            teacher_keys = set(zip(stage.values["school_code"], stage.values["section"].astype(str), strict=True))
            teacher_keys |= set(opened) | set(st.min_teachers)
            ratio = _teacher_ratios(st, list(opened))
            for code, sec in sorted(teacher_keys):
                h1 = self._lever_var(t, "hire_teacher", code, sec)
                h3 = self._lever_var(t, "hire_pe_music_art", code, sec)
                p = self._pass_var(t, code)
                need_classes = opened.get((code, sec), 0)
                coefs = {h1: 1.0, h3: 1.0}
                if need_classes:
                    o = self._lever_var(t, "open_class", code, sec)
                    self.p.row({o: 1.0, p: -float(need_classes)}, lb=0.0)
                    coefs[o] = -ratio[(code, sec)]
                need_t = st.min_teachers.get((code, sec), 0)
                if need_classes or need_t:
                    self.p.row({**coefs, p: -float(need_t)}, lb=0.0)
            for r in stage.values[fields].to_dict("records"):
                self._section_rows(t, r, flag)
            for r in stage.rooms.to_dict("records"):
                p = self._pass_var(t, r["school_code"])
                for lever, need in (("music_room", r["music_build"]), ("art_room", r["art_build"]),
                                    ("upgrade_music_room", r["music_upgrade"]),
                                    ("upgrade_art_room", r["art_upgrade"])):
                    if need > 0:
                        v = self._lever_var(t, lever, r["school_code"])
                        self.p.row({v: 1.0, p: -float(need)}, lb=0.0)
            if self.maximise:
                for sec in SECTIONS:
                    if (stage.values["section"].astype(str) == sec).sum() >= 2:
                        for ind in self.core:
                            self.cv_vars[t][(sec, ind)] = self.p.var((t, "cv", sec, ind), 0.0, 1.0, integer=True)
        fixed = [_fixed_cost(s.state, self.levers) for s in self.stages]
        self.fixed = fixed
        total = self._total_cost_terms()
        if self.budget is not None:
            self.p.row(total, ub=self.budget - sum(fixed))
        for t, stage in enumerate(self.stages):
            if stage.cap is not None:
                self.p.row(self.cost_terms[t], ub=stage.cap - fixed[t])

    def _section_rows(self, t: int, r: dict, flag: bool) -> None:
        code, sec = r["school_code"], str(r["section"])
        p = self._pass_var(t, code)
        h1 = self._lever_var(t, "hire_teacher", code, sec)
        h3 = self._lever_var(t, "hire_pe_music_art", code, sec)
        k = self._lever_var(t, "train_key_teacher", code, sec)
        share = float(r["share"])
        ys = {}
        for ind in self.core:
            spec = indicators.indicator_spec(self.profile, ind)
            field = spec["numerator"]
            if field == "teachers_above_degree":
                coefs = {h1: 1.0, **({h3: 1.0} if flag else {})}
            elif field == "key_teachers":
                coefs = {k: 1.0}
            elif field == "pe_music_art_teachers":
                coefs = {h3: 1.0}
            elif field in FACILITY_LEVERS:
                coefs = {self._lever_var(t, FACILITY_LEVERS[field], code): share}
            else:
                coefs = {}
            base = float(r[field])
            need = float(r[f"{ind}_std"]) * float(r["students"]) / float(spec["per"])
            y = self.p.var((t, "met", code, sec, ind), 0.0, 1.0, integer=True)
            ys[y] = 1.0
            self.p.row({**coefs, y: -need}, lb=-base)
            self.p.row({**coefs, p: -self.rule["floor_ratio"] * need}, lb=-base)
            self.values_expr[t][(code, sec, ind)] = (base, coefs, float(spec["per"]) / float(r["students"]))
        self.p.row({**ys, p: -float(self.rule["min_met"])}, lb=0.0)
        # key teachers are teachers: appointing more than the school has is impossible
        self.p.row({k: 1.0, h1: -1.0, h3: -1.0}, ub=float(r["teachers"]) - float(r["key_teachers"]))

    def _total_cost_terms(self) -> dict[int, float]:
        total: dict[int, float] = {}
        for terms in self.cost_terms:
            for v, c in terms.items():
                total[v] = total.get(v, 0.0) + c
        return total

    # -------------------------------------------------------------------------------------------- CV cuts
    def _values(self, t: int, x: np.ndarray | None, sec: str, ind: str) -> tuple[np.ndarray, np.ndarray, list]:
        """Indicator ``ind`` of every school of section ``sec`` at stage ``t`` with the additions ``x`` (none:
        this year's values), their students and their keys of ``values_expr``."""
        key = (t, sec, ind)
        if key not in self._exprs:  # (base + Σ coef·x) · scale as arrays, the terms of each school in their order
            codes, n = self._sections[t][sec]
            keys = [(c, sec, ind) for c in codes]
            exprs = [self.values_expr[t][k] for k in keys]
            terms = []
            for rank in range(max((len(e[1]) for e in exprs), default=0)):
                rows = [i for i, e in enumerate(exprs) if len(e[1]) > rank]
                pairs = [list(exprs[i][1].items())[rank] for i in rows]
                terms.append((np.array(rows, dtype=int), np.array([v for v, _ in pairs], dtype=int),
                              np.array([c for _, c in pairs], dtype=float)))
            self._exprs[key] = (keys, n, np.array([e[0] for e in exprs], dtype=float),
                                np.array([e[2] for e in exprs], dtype=float), terms)
        keys, n, base, scale, terms = self._exprs[key]
        add = np.zeros(len(keys))
        if x is not None:
            for rows, variables, coefs in terms:
                add[rows] += coefs * x[variables]
        return (base + add) * scale, n, keys

    def _cut(self, t: int, sec: str, ind: str, x: np.ndarray | None) -> bool:
        """Add the tangent cut of CV(sec, ind) at ``x`` if it is violated there; True if a cut was added."""
        limit = float(self.profile["cv"]["limits"][sec])
        vals, n, keys = self._values(t, x, sec, ind)
        if len(vals) < 2 or meets(weighted_cv(vals, n, ind), limit, self.profile["cv"]["comparator"]):
            return False
        target = limit * (1 - CV_MARGIN)
        points = [vals, self._boundary_point(t, sec, ind, vals, n, target)]
        f = cv_floor(vals, n, target, "<=")
        if f is not None:
            # around the CV floor of this point (the lowest schools raised alike, a natural optimum) and that
            # point with each raised school raised further: the curvature the LP needs not to pour everything
            # into one school
            floor = np.maximum(vals, f)
            points.append(floor)
            for i in np.flatnonzero(vals < f) if x is None else ():
                bumped = floor.copy()
                bumped[i] += 0.25 * (f - vals[i]) + 0.05 * f
                points.append(self._boundary_point(t, sec, ind, bumped, n, target))
        for point in points:
            self._tangent(t, sec, ind, point, n, keys, target)
        return True

    def _floor(self, t: int, sec: str, ind: str, x: np.ndarray) -> bool:
        """Every school below the CV floor of the current plan's values must reach it (a restriction, not a cut:
        the plan stays feasible and is re-checked, but is then only a good plan, not a proven optimum)."""
        limit = float(self.profile["cv"]["limits"][sec])
        vals, n, keys = self._values(t, x, sec, ind)
        if len(vals) < 2 or meets(weighted_cv(vals, n, ind), limit, self.profile["cv"]["comparator"]):
            return False
        f = cv_floor(vals, n, limit * (1 - CV_MARGIN), "<=")
        self.floored = True
        for key in keys:  # keep what the plan already adds here, so the floored values are max(current, f)
            for v in self.values_expr[t][key][1]:
                self.p.lb[v] = max(self.p.lb[v], float(x[v]))
        for i in np.flatnonzero(vals < f):
            base, terms, scale = self.values_expr[t][keys[i]]
            coefs = dict(terms)
            if self.maximise:
                coefs[self.cv_vars[t][(sec, ind)]] = -f / scale
                self.p.row(coefs, lb=-base)
            else:
                self.p.row(coefs, lb=f / scale - base)
        return True

    def _tangent(self, t: int, sec: str, ind: str, vals: np.ndarray, n: np.ndarray, keys: list, target: float
                 ) -> None:
        """The cut Σᵢ (wᵢ(x̄ᵢ − m̄)/S̄ − L·wᵢ)·xᵢ ≤ 0 at the values ``vals`` (valid for every plan)."""
        w = n / n.sum()
        mean = float((w * vals).sum())
        s = float(np.sqrt((w * (vals - mean) ** 2).sum()))
        if s <= 0:
            return
        g = w * (vals - mean) / s - target * w
        coefs: dict[int, float] = {}
        rhs = 0.0
        for gi, key in zip(g, keys, strict=True):
            base, terms, scale = self.values_expr[t][key]
            rhs -= gi * base * scale
            for v, c in terms.items():
                coefs[v] = coefs.get(v, 0.0) + gi * c * scale
        if self.maximise:
            q = self.cv_vars[t][(sec, ind)]
            big = self._cut_bound(coefs) - rhs
            coefs[q] = big
            rhs += big
        self.p.row(coefs, ub=rhs)
        self.cuts += 1

    def _boundary_point(self, t: int, sec: str, ind: str, outside: np.ndarray, n: np.ndarray, limit: float
                        ) -> np.ndarray:
        """The point where the segment from a point inside the CV limit to ``outside`` crosses the limit.

        Inside point: this year's values with every school below the CV floor for 90% of the limit raised to
        it (:func:`analysis.evaluate.planning.cv_floor`), strictly inside the limit. A tangent plane there supports the feasible set itself
        (extended supporting hyperplane method), so far fewer rounds are needed than with cuts at the iterate."""
        key = (t, sec, ind)
        if key not in self._inside:
            base, _, _ = self._values(t, None, sec, ind)
            f = cv_floor(base, n, 0.9 * limit, "<=")  # strictly inside: cuts at the boundary then move on
            self._inside[key] = base if f is None else np.maximum(base, f)
        inside = self._inside[key]
        if weighted_cv(inside, n, ind) > limit:
            return outside
        cv, step = WeightedCV(n, ind), outside - inside
        lo, hi = 0.0, 1.0  # fraction of the way from inside to outside
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if cv(inside + mid * step) <= limit else (lo, mid)
        return inside + hi * step

    def _cut_bound(self, coefs: dict[int, float]) -> float:
        """An upper bound of Σ coefs·x over the variables' bounds (for the big-M of an optional CV)."""
        hi = 0.0
        for v, c in coefs.items():
            if c > 0:
                ub = self.p.ub[v]
                hi += c * (ub if np.isfinite(ub) else 0.0)
        return hi

    def _cv_pairs(self, t: int) -> list[tuple[str, str]]:
        return [(sec, ind) for sec in SECTIONS if len(self._sections[t].get(sec, ((), ()))[0]) >= 2
                for ind in self.core]

    # -------------------------------------------------------------------------------------------- solving
    def solve(self, time_limit: float = 60.0) -> Solution:
        if self.maximise:
            self._bound_additions()
        if self.with_cv:
            for t in range(len(self.stages)):
                for sec, ind in self._cv_pairs(t):
                    self._cut(t, sec, ind, None)
        x, rounds, confirm, last_excess = None, 0, False, np.inf
        while rounds < MAX_ROUNDS:
            rounds += 1
            final = confirm or not self.with_cv
            x = self._solve_once(time_limit, MIP_GAP if final else INTERIM_GAP)
            if x is None:
                raise PlanInfeasible(self._diagnose())
            x = self._rounded(x)
            if not self.with_cv:
                break
            added = False
            excess = self._cv_excess(x)
            # cuts that no longer halve the largest CV excess will not close it soon: each round costs a full
            # solve, so the floor takes over (deterministic: it depends on the plans only, never on time)
            stalled = (rounds >= 2 and excess > STALL_RATIO * last_excess
                       and sum(self.p.integer) > STALL_MIN_INTEGERS)
            last_excess = excess
            for t in range(len(self.stages)):
                for sec, ind in self._cv_pairs(t):
                    if self.maximise and x[self.cv_vars[t][(sec, ind)]] < 0.5:
                        continue
                    if rounds >= CUT_ROUNDS or stalled:
                        floored = self._floor(t, sec, ind, x)
                        self.floor_round = self.floor_round or (rounds if floored else 0)
                        added |= floored
                    else:
                        added |= self._cut(t, sec, ind, x)
            if not added and (final or self.p.gap <= MIP_GAP):
                return self._solution(x, rounds)
            confirm = not added  # every CV met by an interim plan not proven optimal: solve it to MIP_GAP, check again
        if not self.with_cv:
            return self._solution(x, rounds)
        raise PlanInfeasible(f"差异系数约束在 {MAX_ROUNDS} 轮割平面后仍未收敛，请检查数据或放宽目标")

    def _cv_excess(self, x: np.ndarray) -> float:
        """The largest relative excess CV / limit − 1 over the CVs the plan must meet (0 when all are met)."""
        worst = 0.0
        for t in range(len(self.stages)):
            for sec, ind in self._cv_pairs(t):
                if self.maximise and x[self.cv_vars[t][(sec, ind)]] < 0.5:
                    continue
                vals, n, _ = self._values(t, x, sec, ind)
                worst = max(worst, weighted_cv(vals, n, ind) / float(self.profile["cv"]["limits"][sec]) - 1)
        return worst

    def _solve_once(self, time_limit: float, gap: float = MIP_GAP) -> np.ndarray | None:
        n = len(self.p.names)
        cost = np.zeros(n)
        for v, c in self._total_cost_terms().items():
            cost[v] += c
        if not self.maximise:
            return self.p.solve(cost, time_limit, gap)
        gain = np.zeros(n)
        for t in range(len(self.stages)):
            for v in (*self.pass_vars[t].values(), *self.cv_vars[t].values()):
                gain[v] = -1.0
        x = self.p.solve(gain, time_limit, gap)
        if x is None:
            return None
        count_gap = self.p.gap
        best = -float(gain @ x)
        keep = {v: 1.0 for v in np.flatnonzero(gain)}
        self.p.row(keep, lb=best - 0.5)
        try:
            return self.p.solve(cost, time_limit, gap)
        finally:
            self.p.pop_row()
            self.p.gap = max(self.p.gap, count_gap)

    def _bound_additions(self) -> None:
        """Finite upper bounds (big-M of the optional CVs): never more than raising the section's value to the
        largest of its standard and the county's highest value (beyond that a school only widens the gaps)."""
        for t, stage in enumerate(self.stages):
            top = {(sec, ind): float(stage.values.loc[stage.values["section"].astype(str) == sec, ind].max())
                   for sec in SECTIONS for ind in self.core if (stage.values["section"].astype(str) == sec).any()}
            bound: dict[int, float] = {}
            for (code, sec, ind), (base, coefs, scale) in self.values_expr[t].items():
                row = stage.values[(stage.values["school_code"] == code) & (stage.values["section"].astype(str) == sec)]
                target = max(float(row[f"{ind}_std"].iloc[0]), top[(sec, ind)]) / scale
                for v, c in coefs.items():
                    bound[v] = max(bound.get(v, 0.0), math.ceil(max(target - base, 0.0) / c) + 1)
            for v, b in bound.items():
                if np.isinf(self.p.ub[v]):
                    self.p.ub[v] = b

    def _rounded(self, x: np.ndarray) -> np.ndarray:
        """Integers exact; areas and money rounded up to 0.01 so the solver's tolerance never leaves a gap."""
        out = x.copy()
        ints = np.array(self.p.integer, dtype=bool)
        out[ints] = np.round(out[ints])
        out[~ints] = np.ceil(np.maximum(out[~ints], 0) * 100 - 1e-6) / 100
        return out

    def _solution(self, x: np.ndarray, rounds: int) -> Solution:
        rows = []
        for v, name in enumerate(self.p.names):
            if len(name) == 4 and name[1] in self.levers and x[v] > 1e-9:
                t, lever, code, sec = name
                rows.append({"stage": t, "year": self.stages[t].state.year, "lever": lever, "school_code": code,
                             "section": sec, "quantity": float(x[v])})
        q = pd.DataFrame(rows, columns=["stage", "year", "lever", "school_code", "section", "quantity"])
        period = [sum(c * x[v] for v, c in terms.items()) for terms in self.cost_terms]
        passing = {s.state.year: {c for c, v in self.pass_vars[t].items() if x[v] > 0.5}
                   for t, s in enumerate(self.stages)}
        cvs = {s.state.year: ({k for k, v in self.cv_vars[t].items() if x[v] > 0.5} if self.maximise
                              else set(self._cv_pairs(t)) if self.with_cv else set())
               for t, s in enumerate(self.stages)}
        status = "floor" if self.floored else "optimal"
        return Solution(q, period, self.fixed, rounds, passing, cvs, status, self.floor_round)

    # -------------------------------------------------------------------------------------------- diagnosis
    def _diagnose(self) -> str:
        """Name the binding constraint of an infeasible programme (Chinese, for the report)."""
        unavailable = [lv.zh for lv in self.levers.values() if not lv.available]
        for t, stage in enumerate(self.stages):
            year = stage.state.year
            for r in stage.values.to_dict("records"):
                reach, floor = [], True
                for ind in self.core:
                    base, coefs, scale = self.values_expr[t][(r["school_code"], str(r["section"]), ind)]
                    can_add = any(np.isinf(self.p.ub[v]) or self.p.ub[v] > 0 for v in coefs)
                    std = float(r[f"{ind}_std"])
                    met = meets(base * scale, std, ">=")
                    reach.append(met or can_add)
                    floor &= met or can_add or meets(base * scale, self.rule["floor_ratio"] * std, ">=")
                if sum(reach) < self.rule["min_met"] or not floor:
                    missing = [i for i, ok in zip(self.core, reach, strict=True) if not ok]
                    return (f"{year}年“{r['school_name']}”（{SECTION_ZH.get(str(r['section']), r['section'])}）无法达到"
                            f"“{self.rule['min_met']}项达标、其余不低于{self.rule['floor_ratio']:.0%}”的要求："
                            f"{'、'.join(missing)}没有可用的整改措施（成本单价表中未提供单价：{'、'.join(unavailable)}）")
            for r in stage.rooms.to_dict("records"):
                for lever, need in (("music_room", r["music_build"]), ("art_room", r["art_build"]),
                                    ("upgrade_music_room", r["music_upgrade"]), ("upgrade_art_room", r["art_upgrade"])):
                    if need > 0 and not self.levers[lever].available:
                        return (f"{year}年“{r['school_name']}”音乐、美术专用教室不达标（G3），需要“{self.levers[lever].zh}”"
                                f"{need}间，但成本单价表未提供该措施单价")
            opens = stage.classes[stage.classes["open"] > 0]
            if len(opens) and not self.levers["open_class"].available:
                return (f"{year}年有 {opens['school_code'].nunique()} 所学校存在超过上限的大班额（G5），需要增设教学班"
                        f"{int(opens['open'].sum())}个，但成本单价表未提供“{self.levers['open_class'].zh}”单价")
        spent = 0.0
        for stage, fixed in zip(self.stages, self.fixed, strict=True):
            if stage.cap is not None:
                spent += stage.cap
                if fixed > stage.cap:
                    return (f"{stage.state.year}年预算 {stage.cap / 1e4:,.0f} 万元不足以支付学校规模整改（G4）的"
                            f"固定费用 {fixed / 1e4:,.0f} 万元")
        if any(s.cap is not None for s in self.stages):
            return ("逐年预算上限是制约因素：在各年预算内无法使所有学校和差异系数按时达标。"
                    "请提高预算、推迟时间节点，或查看“预算内最多达标”方案")
        if self.budget is not None:
            return f"总预算 {self.budget / 1e4:,.0f} 万元不足以支付学校规模整改（G4）的固定费用"
        return "在现有措施下无法同时满足全部学校达标与差异系数要求"
