"""The task list per department (任务清单): each failing item and each school action with its deadline.

001_168bc896d16e4fd4.txt 四（二）1 asks that "所有项目均明确时间进度及责任人". For every unit the profile names for a
failing item (items: 未达标 / 否决 / 缺少数据, extras included) or for a school action of the rectification plan
(planning), one row: the unit, its role as the seed states it (牵头 / 配合, or the seed's own word such as
责任单位 / 责任科室 when it names no lead — standards.departments), the task and its deadline.

Deadline: a school action is due at the milestone it was planned for (planning ``milestone_year``); an item
is due at the next assessed milestone of this year or later. When every milestone is past (e.g. xinjiang, all in
2022) or the profile has none, the deadline is "尽快" and says why.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.evaluate.guarantee import item_code
from analysis.evaluate.milestones import deadline_text
from analysis.standards.departments import department_roles, role_zh
from analysis.standards.status import FAIL, MISSING, VETO

TASK_COLUMNS = ["department", "role", "task_kind", "item_id", "task", "schools", "deadline_year", "deadline",
                "status", "source"]
NO_UNIT = "（文件未列责任单位）"


def _next_milestone(profile: dict, year: int) -> dict | None:
    ahead = [m for m in profile.get("milestones", []) if m.get("assess", True) is not False
             and m.get("year") is not None and int(m["year"]) >= year]
    return min(ahead, key=lambda m: int(m["year"])) if ahead else None


def _milestone_of_year(profile: dict, year: int) -> dict | None:
    same = [m for m in profile.get("milestones", []) if m.get("year") is not None and int(m["year"]) == year
            and m.get("assess", True) is not False]
    return same[0] if same else None


def _units(lead: str, coop: str, responsible: str, word: str) -> list[tuple[str, str]]:
    """(unit, role) of a task: 牵头 / 配合 where the seed states a lead, else the seed's word (``word``)."""
    leads = [u for u in str(lead or "").split("、") if u]
    coops = [u for u in str(coop or "").split("、") if u]
    every = [u for u in str(responsible or "").split("、") if u] or leads + coops
    out = [(u, "牵头" if u in leads else "配合" if u in coops else word) for u in every]
    return out or [(NO_UNIT, "")]


def _overdue(profile: dict) -> str:
    past = [m for m in profile.get("milestones", []) if m.get("year") is not None]
    if not past:
        return "尽快（文件未规定时间节点）"
    last = max(past, key=lambda m: int(m["year"]))
    return f"尽快（最后时间节点 {deadline_text(last)} 已过）"


def item_text(item_id: Any, parent_id: Any, name_zh: Any) -> str:
    """``G5 小学初中所有班级…（小学）`` or, for an item without a reader's number, its name alone."""
    return f"{item_code(item_id, parent_id)} {name_zh}".strip()


def task_list(items: pd.DataFrame, planning: pd.DataFrame | None, profile: dict, year: int) -> pd.DataFrame:
    """Rows of :data:`TASK_COLUMNS`, ordered by department (first-named units first), then deadline."""
    word = role_zh(profile)
    nxt = _next_milestone(profile, year)
    item_deadline = (int(nxt["year"]), deadline_text(nxt)) if nxt else (pd.NA, _overdue(profile))
    rows = []
    bad = items[items["status"].isin([FAIL, VETO, MISSING])]
    for r in bad.itertuples(index=False):
        what = item_text(r.item_id, getattr(r, "parent_id", None), r.name_zh)
        if isinstance(r.value_text, str) and r.value_text:
            what += f"（现状 {r.value_text}）"
        for unit, role in _units(r.lead_department, r.cooperating_departments,
                                 getattr(r, "responsible_departments", ""), word):
            rows.append({"department": unit, "role": role, "task_kind": "评估事项", "item_id": r.item_id,
                         "task": what, "schools": "", "deadline_year": item_deadline[0],
                         "deadline": item_deadline[1], "status": r.status, "source": "items"})
    if planning is not None and len(planning):
        plan = planning.dropna(subset=["milestone_year"])
        for (y, indicator, action), part in plan.groupby(["milestone_year", "indicator", "action"], sort=True):
            y = int(y)
            m = _milestone_of_year(profile, y)
            deadline = deadline_text(m) if m else (f"{y}年" if y > year else _overdue(profile) if nxt is None
                                                   else f"{y}年（本年）")
            names = list(dict.fromkeys(part["school_name"].astype(str)))
            schools = "、".join(names[:10]) + (f" 等 {len(names)} 所" if len(names) > 10 else "")
            roles = department_roles(profile, str(indicator))
            units = _units(*("、".join(roles[k]) for k in ("lead", "cooperate", "responsible")), roles["role_zh"])
            for unit, role in units:
                rows.append({"department": unit, "role": role, "task_kind": "学校整改", "item_id": indicator,
                             "task": f"{indicator} {action}（{len(names)} 所学校）", "schools": schools,
                             "deadline_year": y, "deadline": deadline, "status": "", "source": "planning"})
    frame = pd.DataFrame(rows, columns=TASK_COLUMNS)
    if frame.empty:
        return frame
    first_seen = {u: i for i, u in enumerate(dict.fromkeys(frame["department"]))}
    frame["_unit"] = frame["department"].map(first_seen)
    frame["_year"] = pd.to_numeric(frame["deadline_year"], errors="coerce").fillna(9999)
    frame = frame.sort_values(["_unit", "_year", "task_kind"], kind="stable").drop(columns=["_unit", "_year"])
    frame["deadline_year"] = frame["deadline_year"].astype("Int64")
    return frame.reset_index(drop=True)


def department_overview(tasks: pd.DataFrame) -> pd.DataFrame:
    """Per department: tasks by kind and the earliest deadline (for the summary page)."""
    if tasks.empty:
        return pd.DataFrame(columns=["department", "roles", "items", "school_actions", "first_deadline"])
    rows = []
    for unit, part in tasks.groupby("department", sort=False):
        first = part.sort_values("deadline_year", na_position="last").iloc[0]
        rows.append({"department": unit, "roles": "、".join(sorted(set(part["role"]) - {""})),
                     "items": int((part["task_kind"] == "评估事项").sum()),
                     "school_actions": int((part["task_kind"] == "学校整改").sum()),
                     "first_deadline": first["deadline"]})
    return pd.DataFrame(rows)
