"""The plan to pass (达标整改方案, 一校一案): the cheapest costed actions per school, rotation and what-if.

:func:`make_plan` is the whole of step 08 (08_plan): milestone states (:mod:`.state`), the programme (:mod:`.model`), the
teacher rotation (:mod:`.rotation`), the plan rows with unit cost, cost, responsible departments and deadline,
and the re-evaluation of the plan by the evaluation code (:mod:`.check`). Which variant runs:

- no 整改预算 sheet: **minimum cost** to pass every school and CV at every milestone;
- with a 整改预算 sheet: the minimum-cost plan **spread over the years** with each period's spending within the
  years' budgets; if no such plan exists, the message names the binding constraint and the plan becomes the
  **maximum number of passing schools and CVs** within the total budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.evaluate import indicators
from analysis.evaluate.plan import check, costs, model, rotation, state
from analysis.evaluate.plan.costs import Lever
from analysis.evaluate.plan.state import PlanInfeasible, State
from analysis.standards.departments import departments

PLAN_COLUMNS = ["year", "school_code", "school_name", "section", "lever", "lever_zh", "quantity", "unit",
                "unit_cost", "cost", "indicator", "department", "deadline", "milestone", "to_school_code", "detail",
                "note"]
WAN = 10_000  # 1 万元 (a unit, not a threshold)


@dataclass
class PlanResult:
    """Everything step 08 (08_plan) saves and shows."""

    plan: pd.DataFrame
    check: pd.DataFrame
    rotation: pd.DataFrame
    variant: str
    message: str = ""
    notes: list[str] = field(default_factory=list)
    states: dict[int, State] = field(default_factory=dict)  # milestone year → state before any action
    rules: dict[int, tuple[dict, dict]] = field(default_factory=dict)  # year → check.rule_rows before, after


def budget_caps(budget: pd.DataFrame | None) -> dict[int, float]:
    """整改预算 rows → year → yuan (the sheet is in 万元)."""
    if budget is None or budget.empty:
        return {}
    return {int(y): float(b) * WAN for y, b in zip(budget["year"], budget["budget"], strict=True)}


def responsible_units(profile: dict, indicator: str) -> str:
    """责任单位 of a lever's indicator, lead first (``standards.departments``), as one text."""
    lead, cooperating = departments(profile, indicator)
    return "、".join([*lead, *cooperating])


def _period_years(base_year: int, years: list[int]) -> list[list[int]]:
    out, prev = [], base_year
    for y in years:
        out.append(list(range(prev + 1, y + 1)) or [y])
        prev = y
    return out


def plan_rows(solution: model.Solution, stages: list[model.Stage], levers: dict[str, Lever], profile: dict,
              periods: list[list[int]], caps: dict[int, float]) -> pd.DataFrame:
    """Per-period additions of the solution as plan rows, spread over each period's years within the caps."""
    q = solution.quantities
    quantity: dict[int, dict[tuple, float]] = {}  # stage → (lever, school, section) → cumulative quantity
    for t, lever, code, sec, value in zip(*(q[c].tolist() for c in ("stage", "lever", "school_code", "section",
                                                                     "quantity")), strict=True):
        quantity.setdefault(t, {})[(lever, code, sec)] = value
    rows = []
    names = {}
    for st in stages:
        names.update(zip(st.state.schools["school_code"].tolist(), st.state.schools["school_name"].tolist(),
                         strict=True))
    seen_g4 = set()
    for t, st in enumerate(stages):
        for a in st.state.actions:  # G4 once, in the first period that needs it
            if (a["school_code"], a["lever"]) in seen_g4:
                continue
            seen_g4.add((a["school_code"], a["lever"]))
            rows.append({"stage": t, "school_code": a["school_code"], "section": "", "lever": a["lever"],
                         "quantity": a["quantity"], "note": a["note"]})
        even = st.classes[st.classes["rebalance"]].groupby(["school_code", "section"]).size()
        for (code, sec), grades in even.items():  # G5 without cost: even out the classes of a grade
            if (code, sec, "rebalance") not in seen_g4:
                seen_g4.add((code, sec, "rebalance"))
                rows.append({"stage": t, "school_code": code, "section": sec, "lever": "rebalance_classes",
                             "quantity": float(grades), "note": ""})
        prev = quantity.get(t - 1, {}) if t else None
        for key, value in quantity.get(t, {}).items():
            add = value - (float(prev.get(key, 0.0)) if prev is not None else 0.0)
            if add > 1e-9:
                rows.append({"stage": t, "lever": key[0], "school_code": key[1], "section": key[2],
                             "quantity": round(add, 2), "note": ""})
    out = []
    units: dict[str, str] = {}  # indicator → 责任单位
    for r in rows:
        lever = levers[r["lever"]]
        if lever.indicator not in units:
            units[lever.indicator] = responsible_units(profile, lever.indicator)
        years = periods[r["stage"]]
        milestone = stages[r["stage"]].state
        base = {"school_code": r["school_code"], "school_name": names.get(r["school_code"], r["school_code"]),
                "section": r["section"], "lever": lever.id, "lever_zh": lever.zh, "unit": lever.unit,
                "unit_cost": lever.unit_cost, "indicator": lever.indicator,
                "department": units[lever.indicator], "deadline": f"{milestone.year}年",
                "milestone": milestone.label, "to_school_code": "", "detail": "", "note": r["note"]}
        out.append({**base, "year": years[0], "quantity": r["quantity"], "_stage": r["stage"]})
    plan = pd.DataFrame(out)
    if plan.empty:
        return pd.DataFrame(columns=PLAN_COLUMNS)
    plan = _spread(plan, periods, caps)
    plan["cost"] = (plan["quantity"] * plan["unit_cost"]).round(2)
    return plan[PLAN_COLUMNS].sort_values(["year", "school_code", "section", "lever"], kind="stable",
                                          ignore_index=True)


def _spread(plan: pd.DataFrame, periods: list[list[int]], caps: dict[int, float]) -> pd.DataFrame:
    """Rows of a multi-year period dealt out to its years in order, each year's spending within its cap
    (integer quantities split in whole units). Without caps everything starts in the period's first year."""
    if not caps:
        return plan.drop(columns="_stage")
    out = []
    for t, years in enumerate(periods):
        part = plan[plan["_stage"] == t].to_dict("records")
        room = {y: caps.get(y, np.inf) for y in years}
        for r in part:
            left = r["quantity"]
            whole = r["unit"] in ("人", "间", "班", "所")
            for k, y in enumerate(years):
                if left <= 1e-9:
                    break
                price = r["unit_cost"] or 0.0
                fit = left if price == 0 or k == len(years) - 1 else min(left, room[y] / price)
                if whole:
                    fit = float(np.floor(fit + 1e-9))
                if fit <= 0:
                    continue
                room[y] -= fit * price
                left -= fit
                out.append({**r, "year": y, "quantity": round(fit, 2)})
    return pd.DataFrame(out).drop(columns="_stage")


def _with_rotation(plan: pd.DataFrame, after: dict[int, State], levers: dict[str, Lever], profile: dict
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rotation rows for every milestone year (G11 is a yearly rule), from the state after the plan."""
    lever = levers["rotate_teacher"]
    if not lever.available:
        return plan, pd.DataFrame(columns=["year", *rotation.MOVE_COLUMNS])
    units = responsible_units(profile, lever.indicator)
    rows, moves_all = [], []
    for year, st in after.items():
        values, _ = indicators.evaluate(st.schools, st.teachers, profile)
        moves = rotation.assign_rotation(values, st.teachers, profile)
        moves_all.append(moves.assign(year=year))
        for m in moves.to_dict("records"):
            rows.append({"year": year, "school_code": m["from_school_code"], "school_name": m["from_school_name"],
                         "section": m["section"], "lever": lever.id, "lever_zh": lever.zh,
                         "quantity": float(m["teachers"]), "unit": lever.unit, "unit_cost": lever.unit_cost,
                         "cost": float(m["teachers"]) * lever.unit_cost, "indicator": "G11",
                         "department": units, "deadline": f"{year}年",
                         "milestone": st.label, "to_school_code": m["to_school_code"], "detail": m["kind"],
                         "note": f"{m['kind_zh']}：{m['from_school_name']} → {m['to_school_name']}"})
    moves = pd.concat(moves_all, ignore_index=True) if moves_all else pd.DataFrame()
    if rows:
        plan = pd.concat([plan, pd.DataFrame(rows)], ignore_index=True)[PLAN_COLUMNS]
    return plan, moves


def load_optional(load, name: str) -> pd.DataFrame | None:
    """A dataset that may be an empty file (e.g. ``enrollment_projection`` of a county's first year, when no
    projection was possible): ``None`` then."""
    try:
        return load(name)
    except pd.errors.EmptyDataError:
        return None


def milestone_states(tables: dict, enrollment: pd.DataFrame | None, planned: pd.DataFrame | None,
                     milestones: list[dict], base_year: int) -> dict[int, State]:
    """State before any action at each milestone (the current year when no milestone lies ahead)."""
    targets = milestones or [{"year": base_year, "zh": "本学年"}]
    return {int(m["year"]): state.milestone_state(tables["schools"], tables["teachers"], tables.get("classes"),
                                                  enrollment, planned, int(m["year"]), m["zh"]) for m in targets}


def make_plan(tables: dict, enrollment: pd.DataFrame | None, planned: pd.DataFrame | None, profile: dict,
              milestones: list[dict], base_year: int, unit_costs: pd.DataFrame | None = None,
              budget: pd.DataFrame | None = None, time_limit: float = 60.0) -> PlanResult:
    """The optimised plan for every milestone, with rotation and its check (see the module docstring)."""
    levers = costs.lever_table(unit_costs)
    settings = costs.settings()
    raw = milestone_states(tables, enrollment, planned, milestones, base_year)
    years = list(raw)
    caps = budget_caps(budget)
    periods = _period_years(base_year, years)
    notes, message, variant = [], "", "最低成本（各时间节点全部达标）"
    try:
        fixed = {y: state.restructure_oversized(s, profile, levers) for y, s in raw.items()}
    except PlanInfeasible as exc:
        return PlanResult(pd.DataFrame(columns=PLAN_COLUMNS), pd.DataFrame(columns=check.CHECK_COLUMNS),
                          pd.DataFrame(), "无可行方案", str(exc), notes, raw)
    period_caps = [sum(caps.get(y, 0.0) for y in ys) if caps else None for ys in periods]
    stages = [model.prepare_stage(fixed[y], profile, cap) for y, cap in zip(years, period_caps, strict=True)]
    try:
        solution = model.Planner(stages, profile, levers, settings).solve(time_limit)
        if caps:
            variant = "分年实施（每年不超过整改预算）"
    except PlanInfeasible as exc:
        if not caps:
            return PlanResult(pd.DataFrame(columns=PLAN_COLUMNS), pd.DataFrame(columns=check.CHECK_COLUMNS),
                              pd.DataFrame(), "无可行方案", str(exc), notes, raw)
        message = str(exc)
        variant = "预算内最多达标"
        for st in stages:
            st.cap = None
        total = sum(v for y, v in caps.items() if y <= years[-1])
        solution = model.Planner(stages, profile, levers, settings, maximise_passing=True,
                                 budget=total).solve(time_limit)
    plan = plan_rows(solution, stages, levers, profile, periods, caps)
    after = {y: check.apply_plan(raw[y], plan, profile, levers, settings, _same_g4(fixed[y], plan)) for y in years}
    plan, moves = _with_rotation(plan, after, levers, profile)
    checks, rules = [], {}
    for y in years:
        done = check.rotate(after[y], plan, profile)  # = apply_plan of the plan with its rotation
        rules[y] = (check.rule_rows(check.evaluate_tables(raw[y], profile), profile),
                    check.rule_rows(check.evaluate_tables(done, profile), profile))
        claimed = check.claimed_keys(solution.passing.get(y, set()), solution.cv_targets.get(y, set()), rules[y][1],
                                     rotation=bool(len(moves)))
        checks.append(check.plan_check(*rules[y], y, raw[y].label, claimed))
    notes.append(f"割平面迭代 {solution.rounds} 轮（差异系数按精确公式复核）")
    if solution.status == "floor":
        notes.append(f"差异系数的割平面在第 {solution.floor_round} 轮后收敛过慢，其余差异系数改用“差异系数底线”约束"
                     "（把低于底线的学校提高到底线）完成：方案满足全部规则，但不再保证费用最低")
    return PlanResult(plan, pd.concat(checks, ignore_index=True), moves, variant, message, notes, raw, rules)


def _same_g4(fixed: State, plan: pd.DataFrame) -> State | None:
    """The planner's restructured state of that year when the plan's G4 rows due by then are exactly its own
    choices (:func:`state.restructure_oversized` of them gives that state again); None otherwise."""
    mine = {a["school_code"]: a["lever"] for a in fixed.actions}
    return fixed if check.g4_choices(plan, fixed.year) == mine else None


def whatif(tables: dict, enrollment: pd.DataFrame | None, planned: pd.DataFrame | None, profile: dict,
           milestones: list[dict], base_year: int, scenarios: dict[str, pd.DataFrame | None],
           unit_costs: pd.DataFrame | None = None, result: PlanResult | None = None) -> pd.DataFrame:
    """Per milestone and scenario (name → plan rows, None = no action): school-sections passing, CVs passing,
    G3/G4/G5 schools failing, G11, cost to date — the verdict with and without each plan.

    ``result``: :func:`make_plan` of the same inputs; its states and its check's evaluations before and after
    its plan are reused for the scenarios without action and with that plan."""
    levers = costs.lever_table(unit_costs)
    settings = costs.settings()
    known = result.rules if result is not None else {}
    states = result.states if known else milestone_states(tables, enrollment, planned, milestones, base_year)
    rows = []
    for name, plan_frame in scenarios.items():
        mine = bool(known) and plan_frame is not None and plan_frame.equals(result.plan)
        for y, raw in states.items():
            if y in known and (plan_frame is None or mine):
                rules = known[y][1 if mine else 0]
            else:
                st = raw if plan_frame is None else check.apply_plan(raw, plan_frame, profile, levers, settings)
                rules = check.rule_rows(check.evaluate_tables(st, profile), profile)
            failed = [v["zh"] + (f"（{v['name']}）" if v["name"] else "") for v in rules.values() if not v["passes"]]
            schools = [v for k, v in rules.items() if k[3] == "school_rule"]
            cvs = [v for k, v in rules.items() if k[3].endswith("_cv")]
            cost = 0.0 if plan_frame is None or plan_frame.empty else float(
                plan_frame.loc[plan_frame["year"].astype(int) <= y, "cost"].fillna(0).sum())
            rows.append({"scenario": name, "year": y, "milestone": raw.label,
                         "schools_passing": sum(v["passes"] for v in schools), "school_sections": len(schools),
                         "cv_passing": sum(v["passes"] for v in cvs), "cvs": len(cvs),
                         "g3_failing": sum(not v["passes"] for k, v in rules.items() if k[3] == "G3"),
                         "g4_failing": sum(not v["passes"] for k, v in rules.items() if k[3] == "G4"),
                         "g5_failing": sum(not v["passes"] for k, v in rules.items() if k[3] == "G5"),
                         "g11_passes": all(v["passes"] for k, v in rules.items() if k[3].startswith("G11")),
                         "all_pass": not failed, "cost_to_date": cost,
                         "failing": "、".join(failed[:8]) + (f" 等{len(failed)}项" if len(failed) > 8 else "")})
    return pd.DataFrame(rows)


def county_plan_rows(county_plan: pd.DataFrame | None, unit_costs: pd.DataFrame | None) -> pd.DataFrame | None:
    """The county's own 整改方案 (cleaned) in plan layout; missing unit costs and costs from the cost table."""
    if county_plan is None or county_plan.empty:
        return None
    levers = costs.lever_table(unit_costs)
    out = county_plan.copy()
    out["school_code"] = out["school_code"].astype(str)
    out["section"] = out["section"].fillna("")
    price = out["lever"].map(lambda k: levers[k].unit_cost)
    out["unit_cost"] = out["unit_cost"].fillna(price) if "unit_cost" in out else price
    out["cost"] = out["cost"].fillna(out["quantity"] * out["unit_cost"]) if "cost" in out else (
        out["quantity"] * out["unit_cost"])
    for col in PLAN_COLUMNS:
        if col not in out:
            out[col] = ""
    out["detail"] = out["detail"].replace("", "exchange")
    return out[PLAN_COLUMNS]
