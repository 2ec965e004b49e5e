"""The milestone schedule (时间节点) of a profile, as the seed words it, with past ones judged from observed data.

A milestone (profile ``milestones``) has ``year`` (``null`` when the seed gives none, e.g. 001 "适时接受国家认定"),
``date_zh`` (the seed's wording of the date, e.g. "2022年5月", "2026年8月前"), ``assess`` (true: the standards must
be met then; false: a procedural deadline such as a self-evaluation report) and ``source`` (the seed line).

Timing against the evaluation year: a milestone of an earlier year is **past** and judged from that year's
observed items (met = every item of the year passed; missed = the items that did not), never projected; one of
the evaluation year is **current** (judged from this year's items); a later one is **future** (projected by
step 05); one without a year is **undated** (时间未定).
"""

from __future__ import annotations

import pandas as pd

from analysis.standards.status import FAIL, MET, MISSED, MISSING, VETO

SCHEDULE_COLUMNS = ["milestone_id", "milestone_zh", "year", "date_zh", "assess", "timing", "timing_zh", "status",
                    "status_zh", "basis", "source"]
TIMING_ZH = {"past": "已过", "current": "本年", "future": "未到", "undated": "时间未定"}
STATUS_ZH = {MET: "已达成", MISSED: "未达成", "no_data": "无该年数据", "projected": "见预测",
             "undated": "时间未定", "procedural": "程序性节点（不判定）"}


def dated(profile: dict) -> list[dict]:
    """Milestones with a year, oldest first (the ones a chart or a deadline can use)."""
    return sorted((m for m in profile.get("milestones", []) if m.get("year") is not None), key=lambda m: int(m["year"]))


def projected(profile: dict, base_year: int) -> list[dict]:
    """Milestones step 05 projects to: dated, assessed (``assess`` not false) and after the base year."""
    return [m for m in dated(profile) if m.get("assess", True) is not False and int(m["year"]) > base_year]


def _judge(items: pd.DataFrame | None) -> tuple[str, str]:
    """met / missed / no_data from one year's items (extras do not decide, as in the verdict)."""
    if items is None or items.empty:
        return "no_data", "没有该年的评估结果（items）"
    part = items[items["area"] != "extra"] if "area" in items else items
    bad = part[part["status"].isin([FAIL, VETO, MISSING])]
    if bad.empty:
        return MET, f"该年 {len(part)} 项评估事项均达标"
    ids = list(dict.fromkeys(bad["parent_id"].astype(str)))
    more = f" 等 {len(ids)} 项" if len(ids) > 12 else ""
    return MISSED, f"该年未达标或缺少数据：{'、'.join(ids[:12])}{more}"


def milestone_schedule(profile: dict, year: int, items_by_year: dict[int, pd.DataFrame] | None = None
                       ) -> pd.DataFrame:
    """Every milestone of the profile with its timing against ``year`` and, when past or current, met / missed."""
    items_by_year = items_by_year or {}
    rows = []
    for m in profile.get("milestones", []):
        y = m.get("year")
        assess = m.get("assess", True) is not False
        if y is None:
            timing, status, basis = "undated", "undated", "文件未规定年份"
        else:
            y = int(y)
            timing = "past" if y < year else "current" if y == year else "future"
            if not assess:
                status, basis = "procedural", "程序性时间节点，按期完成即可"
            elif timing == "future":
                status, basis = "projected", "见各时间节点达标预测"
            else:
                status, basis = _judge(items_by_year.get(y))
        rows.append({"milestone_id": m.get("id", ""), "milestone_zh": m.get("zh", ""), "year": y,
                     "date_zh": m.get("date_zh") or (f"{y}年" if y is not None else ""), "assess": assess,
                     "timing": timing, "timing_zh": TIMING_ZH[timing], "status": status,
                     "status_zh": STATUS_ZH[status], "basis": basis, "source": m.get("source", "")})
    frame = pd.DataFrame(rows, columns=SCHEDULE_COLUMNS)
    frame["year"] = frame["year"].astype("Int64")
    return frame


def deadline_text(m: dict) -> str:
    """How a task list names a milestone's deadline: "2026年9月—12月 市级综合督导评估"."""
    when = m.get("date_zh") or (f"{m['year']}年" if m.get("year") is not None else "时间未定")
    return f"{when} {m.get('zh', '')}".strip()
