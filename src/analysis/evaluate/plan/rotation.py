"""Teacher rotation (交流轮岗): who moves from which school to which, meeting G11 and lowering the R2/R3 CVs.

G11: teachers rotated in a year ≥ ``rotation_min`` (10%) of the teachers eligible, key teachers ≥
``key_share_min`` (20%) of those rotated (000_7663589297cde400.txt 附件2).

Greedy assignment within each section (primary teachers rotate among primary schools): one teacher at a time,
from the school with the highest value of the indicator to the one with the lowest. Moving one teacher from
giver g to receiver r changes the values by a = per/n_g and b = per/n_r; the weighted mean stays put
(n_g·a = n_r·b) and the weighted variance changes by c·(a + b − 2(x_g − x_r)), so a move is made only when
x_g − x_r > (a + b)/2: every move lowers that CV. A move is refused when the giver would lose any indicator it
meets (so a giving school never fails) or the R1 CV would go over its limit. When beneficial moves run out
before G11 is met, pairs of schools exchange teachers of the same kind (对调): two rotated teachers each, no stock
changes. A rotated key or specialist teacher is assumed to hold the degree above the required one.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.config import SECTIONS
from analysis.evaluate.indicators import indicator_spec
from analysis.evaluate.variation import WeightedCV
from analysis.standards.compare import meets

KINDS = {"key_teachers": ("R2", "骨干教师"), "pe_music_art_teachers": ("R3", "体育、音乐、美术教师")}
MOVE_COLUMNS = ["section", "from_school_code", "from_school_name", "to_school_code", "to_school_name", "kind",
                "kind_zh", "teachers", "key_teachers"]


def _judge(row: dict, profile: dict) -> tuple[set[str], bool]:
    """The indicators of R1–R7 one school-section's stocks meet, and whether it passes the 6-of-7 rule with the 85%
    floor (as indicators.indicator_values and indicators.school_compliance)."""
    out = []
    for ind in profile["resources"]:
        spec = indicator_spec(profile, ind)
        out.append((row[spec["numerator"]] * spec["per"] / row["students"], row[f"{ind}_std"]))
    value, std = np.array(out, dtype=float).T
    met = {ind for ind, ok in zip(profile["resources"], meets(value, std, ">="), strict=True) if ok}
    rule = profile["school_rule"]
    ratios = value / std
    passes = bool(meets(ratios, 1.0, ">=").sum() >= rule["min_met"] and meets(ratios.min(), rule["floor_ratio"], ">="))
    return met, passes


def rotation_target(teachers: pd.DataFrame, profile: dict) -> tuple[int, int, float, str]:
    """(teachers to rotate, of whom key teachers, eligible teachers, note) for G11."""
    g = profile["guarantee"]["G11"]
    part = teachers[teachers["section"].isin(SECTIONS)]
    eligible = pd.to_numeric(part.get("rotation_eligible"), errors="coerce") if "rotation_eligible" in part else None
    note = ""
    if eligible is None or eligible.isna().all():
        total, note = float(part["teachers"].sum()), "教师表无“符合交流条件教师数”，按专任教师总数估计"
    else:
        total = float(eligible.fillna(0).sum())
    need = math.ceil(g["rotation_min"] * total - 1e-9)
    return need, math.ceil(g["key_share_min"] * need - 1e-9), total, note


def assign_rotation(values: pd.DataFrame, teachers: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """Moves (one row per giver, receiver and kind) for one year, from the school-section values after the plan
    (school_indicators layout: stocks, students, standards). Rows of ``MOVE_COLUMNS``."""
    need, need_key, _, _ = rotation_target(teachers, profile)
    limit, comparator = profile["cv"]["limits"], profile["cv"]["comparator"]
    stocks = {indicator_spec(profile, ind)["numerator"] for ind in profile["resources"]}
    needed = ["school_code", "school_name", "students", "teachers", "teachers_above_degree", *KINDS,
              *sorted(stocks), *(f"{ind}_std" for ind in profile["resources"])]
    part = values[list(dict.fromkeys(needed))]  # the columns the moves read: a row per school-section as a dict
    rows = {sec: part[values["section"].astype(str) == sec].to_dict("records") for sec in SECTIONS}
    moves: list[dict] = []
    moved = {"total": 0, "key": 0}

    cvs = {sec: WeightedCV([r["students"] for r in part], "R1") for sec, part in rows.items()}  # moves keep students

    def r1_cv(part: list[dict], sec: str) -> float:
        return cvs[sec]([r["teachers_above_degree"] * 100 / r["students"] for r in part])

    def beneficial(field: str, quota: int, is_key: bool) -> None:
        ind = KINDS[field][0]
        per = float(indicator_spec(profile, ind)["per"])
        for _ in range(quota):
            candidates = []
            for sec, part in rows.items():
                if len(part) < 2:
                    continue
                x = np.array([r[field] * per / r["students"] for r in part])
                order = np.argsort(x, kind="stable")
                for gi, ri in ((g, r) for g in order[::-1][:6] for r in order[:4]):
                    giver, lo = part[gi], part[ri]
                    gain = x[gi] - x[ri] - (per / giver["students"] + per / lo["students"]) / 2
                    if gi != ri and gain > 1e-12 and giver[field] >= 1 and giver["teachers"] >= 2:
                        candidates.append((gain, sec, gi, ri))
            if not any(_try_move(rows[sec], gi, ri, field, is_key, sec)
                       for _, sec, gi, ri in sorted(candidates, key=lambda c: -c[0])):
                return

    def _try_move(part: list[dict], gi: int, ri: int, field: str, is_key: bool, sec: str) -> bool:
        """Move one teacher from part[gi] to part[ri] unless the giver loses an indicator or R1's CV breaks."""
        giver, lo = part[gi], part[ri]
        before, passed = _judge(giver, profile)
        r1_before = r1_cv(part, sec)
        change = (field, "teachers", "teachers_above_degree") if giver["teachers_above_degree"] >= 1 else (
            field, "teachers")
        for f in change:
            giver[f] -= 1
            lo[f] += 1
        r1_broken = meets(r1_before, limit[sec], comparator) and not meets(r1_cv(part, sec), limit[sec], comparator)
        after, passes = _judge(giver, profile)
        if not before <= after or (passed and not passes) or r1_broken:
            for f in change:
                giver[f] += 1
                lo[f] -= 1
            return False
        moves.append({"section": sec, "from_school_code": giver["school_code"],
                      "from_school_name": giver["school_name"], "to_school_code": lo["school_code"],
                      "to_school_name": lo["school_name"], "kind": field, "kind_zh": KINDS[field][1],
                      "teachers": 1, "key_teachers": int(is_key)})
        moved["total"] += 1
        moved["key"] += int(is_key)
        return True

    def exchanges(count: int, is_key: bool) -> None:
        """Pairs of schools swap teachers of one kind (no stock changes): 2 rotated teachers per pair."""
        field = "key_teachers" if is_key else "teachers"
        pool = [(sec, r) for sec, part in rows.items() for r in sorted(part, key=lambda r: -r[field])
                if r[field] >= 1]
        k = 0
        while count > 0 and len(pool) >= 2:
            sec, a = pool[k % len(pool)]
            partner = next((r for s, r in pool if s == sec and r is not a), None)
            if partner is None:
                k += 1
                if k > 2 * len(pool):
                    return
                continue
            for g, r in ((a, partner), (partner, a)):
                moves.append({"section": sec, "from_school_code": g["school_code"], "from_school_name": g["school_name"],
                              "to_school_code": r["school_code"], "to_school_name": r["school_name"],
                              "kind": "exchange_key" if is_key else "exchange", "kind_zh": "对调交流（骨干教师）"
                              if is_key else "对调交流", "teachers": 1, "key_teachers": int(is_key)})
            moved["total"] += 2
            moved["key"] += 2 * int(is_key)
            count -= 2
            k += 1

    beneficial("key_teachers", need_key, True)
    if moved["key"] < need_key:
        exchanges(need_key - moved["key"], True)
    beneficial("pe_music_art_teachers", max(0, need - moved["total"]), False)
    if moved["total"] < need:
        exchanges(need - moved["total"], False)
    if not moves:
        return pd.DataFrame(columns=MOVE_COLUMNS)
    out = pd.DataFrame(moves)
    return out.groupby([c for c in MOVE_COLUMNS if c not in ("teachers", "key_teachers")], sort=False,
                       as_index=False)[["teachers", "key_teachers"]].sum()[MOVE_COLUMNS]


def apply_rotation(teachers: pd.DataFrame, moves: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """The teacher table after the moves: stocks moved (key or PE/music/art teacher, teacher, above-degree), and
    ``rotated_teachers`` / ``rotated_key_teachers`` of the giving school-sections set to this year's moves."""
    t = teachers.copy()
    for col in ("rotated_teachers", "rotated_key_teachers"):
        t[col] = 0
    if "rotation_eligible" not in t or t["rotation_eligible"].isna().all():
        t["rotation_eligible"] = t["teachers"]
    key = t["school_code"].astype(str) + "|" + t["section"].astype(str)
    delta: dict[str, dict[str, float]] = {}  # column → school|section → change

    def move(code: str, sec: str, col: str, amount: float) -> None:
        delta.setdefault(col, {})
        delta[col][f"{code}|{sec}"] = delta[col].get(f"{code}|{sec}", 0.0) + amount

    above = dict(zip(key, t["teachers_above_degree"].astype(float), strict=True))
    special = {c: dict(zip(key, t[c].astype(float), strict=True)) for c in ("pe_teachers", "music_teachers",
                                                                            "art_teachers")}
    for m in moves.to_dict("records"):
        give, take, n = f"{m['from_school_code']}|{m['section']}", f"{m['to_school_code']}|{m['section']}", m["teachers"]
        move(m["from_school_code"], m["section"], "rotated_teachers", n)
        move(m["from_school_code"], m["section"], "rotated_key_teachers", m["key_teachers"])
        if m["kind"].startswith("exchange"):
            continue
        fields = ["teachers"]
        if m["kind"] == "key_teachers":
            fields.append("key_teachers")
        else:  # the specialist column the giver has most of
            col = max(special, key=lambda c: special[c].get(give, 0.0))
            special[col][give] = special[col].get(give, 0.0) - n
            special[col][take] = special[col].get(take, 0.0) + n
            fields.append(col)
        if above.get(give, 0.0) >= n:
            above[give] -= n
            above[take] = above.get(take, 0.0) + n
            fields.append("teachers_above_degree")
        for f in fields:
            delta.setdefault(f, {})
            delta[f][give] = delta[f].get(give, 0.0) - n
            delta[f][take] = delta[f].get(take, 0.0) + n
    for col, changes in delta.items():
        t[col] = t[col].astype(float) + key.map(changes).fillna(0.0).to_numpy()
    return t
