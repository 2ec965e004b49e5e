"""The status vocabulary (判定用语): item statuses, projection statuses, report lights and how they map.

* Item status (评估事项判定, the ``status`` column of the item table): 达标 / 未达标 / 缺少数据 / 不适用 / 否决.
* Projection status (达标预测状态) of a projected value against its threshold: ``on_track`` / ``at_risk`` /
  ``off_track``; past years are ``observed``. A county's own annual target is ``met`` / ``not_met`` in its
  observed years; a past milestone (时间节点) judged from its year's observed items is ``met`` / ``missed``.
* Report light (交通灯) a reader sees: ``pass`` / ``at_risk`` / ``fail`` / ``unknown``.

:func:`light_of` is the single mapping from any of these (and from the spellings county files use) to a light.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

# Item statuses (评估事项判定).
PASS, FAIL, MISSING, NOT_APPLICABLE, VETO = "达标", "未达标", "缺少数据", "不适用", "否决"
ITEM_STATUSES = (PASS, FAIL, MISSING, NOT_APPLICABLE, VETO)

# Projection statuses (达标预测状态) and a county target's status in observed years (年度目标完成情况).
ON_TRACK, AT_RISK, OFF_TRACK, OBSERVED = "on_track", "at_risk", "off_track", "observed"
MET, NOT_MET = "met", "not_met"
MISSED = "missed"  # a past milestone whose year's items did not all pass (analysis.evaluate.milestones)
PROJECTION_ZH = {ON_TRACK: "预计达标", AT_RISK: "存在风险", OFF_TRACK: "预计不达标", OBSERVED: "实际值",
                 "": ""}  # "": a row without threshold has no status
TARGET_ZH = {**PROJECTION_ZH, MET: "已达成", NOT_MET: "未达成"}
PROJECTION_SEVERITY = {ON_TRACK: 0, AT_RISK: 1, OFF_TRACK: 2}

# Verdict of the county (评估结论, verdict.json); ``not_provided``: an evaluation (e.g. 学前教育) whose data the
# county did not hand in (preschool_verdict.json).
NOT_PROVIDED = "not_provided"
VERDICT_ZH = {"pass": "认定", "fail": "不予认定", NOT_PROVIDED: "未提供数据"}

# Report lights (交通灯), worst last.
LIGHTS = ("pass", "at_risk", "fail", "unknown")
LIGHT_ZH = {"pass": "达标", "at_risk": "有风险", "fail": "未达标", "unknown": "无数据"}
LIGHT_SEVERITY = {"pass": 0, "unknown": 1, "at_risk": 2, "fail": 3}

# An item row's light: a missing item is a risk to the verdict; 不适用 (not applicable) is left out ("n/a").
ITEM_LIGHT = {PASS: "pass", FAIL: "fail", VETO: "fail", MISSING: "at_risk", NOT_APPLICABLE: "n/a"}

# Every spelling accepted for a light: the codes above, booleans written as text, and the words county input
# files and earlier outputs use. The only place such spellings are listed.
SPELLINGS = {
    "pass": {"pass", "passed", "ok", MET, ON_TRACK, "true", "yes", PASS, "通过", "合格", PROJECTION_ZH[ON_TRACK], "是",
             VERDICT_ZH["pass"], "1", "1.0"},
    "at_risk": {AT_RISK, "at risk", "risk", "warning", "borderline", LIGHT_ZH["at_risk"], PROJECTION_ZH[AT_RISK],
                "风险", "待核实", "临界"},
    "fail": {"fail", "failed", NOT_MET, MISSED, OFF_TRACK, "false", "no", "veto", FAIL, "不达标", "不合格",
             PROJECTION_ZH[OFF_TRACK], VERDICT_ZH["fail"], "否", "0", "0.0"},
}


def is_missing(value: Any) -> bool:
    """None, NaN or pd.NA (a list or other non-scalar is not missing)."""
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def light_of(value: Any) -> str:
    """``pass`` / ``at_risk`` / ``fail`` / ``unknown`` from a boolean, a status code or a spelling above."""
    if is_missing(value):
        return "unknown"
    if isinstance(value, bool | np.bool_):
        return "pass" if value else "fail"
    word = str(value).strip().lower()
    for light, words in SPELLINGS.items():
        if word in words:
            return light
    return "unknown"


def worst_light(statuses: Iterable[Any]) -> str:
    """The worst of several statuses (fail > at_risk > unknown > pass); ``unknown`` when empty."""
    values = [s if s in LIGHT_SEVERITY else light_of(s) for s in statuses]
    return max(values, key=LIGHT_SEVERITY.get) if values else "unknown"
