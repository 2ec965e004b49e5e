"""The county verdict (县域评估结论): every item in one table and 认定 / 不予认定 with responsible departments.

Combines, for one county and year:

* resources — each section's school compliance (校校达标, from ``school_indicators.csv`` of step 02) as rows
  ``R_schools_primary`` / ``R_schools_junior`` (value = school-sections failing the 6-of-7 rule, threshold 0),
  and each core indicator's CV (from ``cv.csv`` of step 03) as rows ``CV_primary_R1`` … ``CV_junior_R7``;
* government guarantee G1–G15 (:mod:`analysis.guarantee`), quality Q1–Q9 (:mod:`analysis.quality`),
  social recognition S1 (:mod:`analysis.recognition`);
* veto items V1–V6 (不予认定, 000_7663589297cde400.txt 附件2（五）): county items, 是 = the situation exists.

Verdict: 认定 only when no veto is triggered and every applicable item passes; a missing item (缺少数据) is
not passed, so the county cannot be certified on it either. Profile variants: ``quality_items_are_veto``
(002: every quality item is 一票否决) and ``recognition.failing_is_veto`` (recognition below the threshold fails
certification outright). Failing items are listed in order of severity:

    1 veto (V1–V6 and veto-equivalent failures) > 2 recognition > 3 resource CV > 4 school compliance >
    5 government guarantee > 6 quality; within a level, in item order.

Departments come from the ``departments:`` section of the profile (000 附件2, 区→县; first listed = lead).
"""

from __future__ import annotations

import pandas as pd

from analysis import config
from analysis.data import catalog
from analysis.evaluate.guarantee import (
    county_item_index,
    item_evidence,
    item_row,
    item_yes_no,
    items_frame,
)
from analysis.standards.departments import department_roles, departments_source
from analysis.standards.status import FAIL, MISSING, NOT_APPLICABLE, PASS, VERDICT_ZH, VETO

SEVERITY = {"veto": 1, "recognition": 2, "resource_cv": 3, "resource_schools": 4, "guarantee": 5, "quality": 6,
            "extra": 7}
SEVERITY_ZH = {1: "否决", 2: "社会认可度", 3: "差异系数", 4: "校校达标", 5: "政府保障", 6: "教育质量", 7: "附加要求"}
SECTION_ZH = {s: config.SECTION_ZH[s] for s in config.SECTIONS}  # compulsory sections only




# ---------------------------------------------------------------------------------------------------------------
# Inputs from steps 02 and 03 (edge I/O).




# ---------------------------------------------------------------------------------------------------------------
# Resource rows.


def _source(name: str) -> str:
    """Evidence naming an earlier step's dataset by its Chinese title and step (never its file name)."""
    ds = catalog.dataset(name)
    return f"{ds.title_zh}（{ds.step}）"


def resource_rows(school_indicators: pd.DataFrame, cv: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """校校达标 per section and each core indicator's CV as item rows (values unrounded)."""
    rule = profile["school_rule"]
    core = list(profile["resources"])
    rows = []
    for section, zh in SECTION_ZH.items():
        part = school_indicators[school_indicators["section"] == section]
        name = f"{zh}校校达标：7项指标至少{rule['min_met']}项达标，其余不低于标准的{rule['floor_ratio']:.0%}"
        if part.empty:
            rows.append(item_row(f"R_schools_{section}", "resource_schools", name, parent_id="R_schools",
                                 status=NOT_APPLICABLE, note="该学段没有参评学校"))
            continue
        passed = part["school_pass"].astype(str).str.lower().isin(["true", "1"])
        failing = part[~passed]
        note = f"参评 {len(part)} 所，未达标 {len(failing)} 所"
        if len(failing):
            listed = [f"{r.school_name}（{r.missed}）" for r in failing.head(15).itertuples(index=False)]
            note += "：" + "、".join(listed) + (f" 等 {len(failing)} 所" if len(failing) > 15 else "")
        row = item_row(f"R_schools_{section}", "resource_schools", name, parent_id="R_schools",
                       value=len(failing), unit="所", threshold=0, comparator="<=",
                       status=PASS if failing.empty else FAIL, kind="computed",
                       evidence=_source("school_indicators"), note=note)
        missed = sorted({i for m in failing["missed"].dropna() for i in str(m).split(";") if i in core},
                        key=core.index)
        row["_departments"] = _merge_departments(profile, missed or core)
        rows.append(row)
    for r in cv[cv["core"].astype(str).str.lower().isin(["true", "1"])].itertuples(index=False):
        zh = SECTION_ZH.get(r.section, r.section)
        passed = str(r.passed).lower() in ("true", "1")
        note = f"加权均值 {r.weighted_mean:.4g}，标准差 {r.std:.4g}，{int(r.n_schools)} 所学校"
        if isinstance(r.note, str) and r.note:
            note += f"；{r.note}"
        row = item_row(f"CV_{r.section}_{r.indicator}", "resource_cv", f"{zh}{r.indicator}差异系数（{r.name_zh}）",
                       parent_id=f"CV_{r.section}", value=float(r.cv), unit="", threshold=float(r.limit),
                       comparator=r.comparator, status=PASS if passed else FAIL, kind="computed",
                       evidence=_source("cv"), note=note, value_text=f"{r.cv:.4f}")
        row["_departments"] = _merge_departments(profile, [r.indicator])
        rows.append(row)
    frame = items_frame(rows)
    frame["_departments"] = [r.get("_departments") for r in rows]
    return frame


def _merge_departments(profile: dict, item_ids: list[str]) -> dict[str, list[str]]:
    """Departments of several indicators with the roles the seed states (standards.departments): a named lead
    leads, the other units cooperate; ``responsible`` keeps every unit in the seed's order (each unit once)."""
    roles = [department_roles(profile, i) for i in item_ids]
    leads = list(dict.fromkeys(u for r in roles for u in r["lead"]))
    rest = [u for r in roles for u in r["cooperate"] if u not in leads]
    responsible = list(dict.fromkeys(u for r in roles for u in r["responsible"]))
    return {"lead": leads, "cooperate": list(dict.fromkeys(rest)), "responsible": responsible}


# ---------------------------------------------------------------------------------------------------------------
# Veto rows.


def veto_rows(county_items: pd.DataFrame | None, profile: dict) -> pd.DataFrame:
    """V1–V6: county item 是 → the veto is triggered (否决); 否 → 达标; absent → 缺少数据 (never assumed)."""
    items = county_item_index(county_items)
    rows = []
    for item_id, spec in profile["veto"].items():
        answer = item_yes_no(items, item_id)
        if answer is None:
            rows.append(item_row(item_id, "veto", spec["zh"], kind="evidence", status=MISSING, value=None,
                                 threshold="否", comparator="=",
                                 note=f"县级指标表中没有“{item_id}”（是/否及佐证材料），不作推定"))
            continue
        evidence = item_evidence(items, item_id)
        rows.append(item_row(item_id, "veto", spec["zh"], value="是" if answer else "否", threshold="否",
                             comparator="=", status=VETO if answer else PASS, evidence=evidence, kind="evidence",
                             note=("存在该情形，一票否决" if answer else "") + ("" if evidence else "；未填写佐证材料")))
    return items_frame(rows)


# ---------------------------------------------------------------------------------------------------------------
# Combining.


def veto_equivalent(items: pd.DataFrame, profile: dict) -> pd.Series:
    """Rows whose failure decides the verdict alone: V items set to 是, failing quality items when the profile
    makes them 一票否决 (002), failing recognition when ``recognition.failing_is_veto``."""
    hard = items["status"].isin([FAIL, VETO])
    veto = items["status"] == VETO
    if profile.get("quality_items_are_veto"):
        veto |= (items["area"] == "quality") & hard
    if profile["recognition"].get("failing_is_veto"):
        veto |= (items["area"] == "recognition") & hard
    return veto


def assign_departments(items: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """Fill ``lead_department`` / ``cooperating_departments`` from the profile's ``departments`` (by parent
    item; a row may carry its own ``_departments`` {lead, cooperate}, e.g. 校校达标 from the missed indicators)."""
    own = items["_departments"] if "_departments" in items else pd.Series([None] * len(items), index=items.index)
    leads, coops, responsible = [], [], []
    for parent, units in zip(items["parent_id"], own, strict=True):
        if not isinstance(units, dict):
            units = _merge_departments(profile, [parent])
        leads.append("、".join(units["lead"]))
        coops.append("、".join(units["cooperate"]))
        responsible.append("、".join(units["responsible"]))
    out = items.drop(columns=["_departments"], errors="ignore").copy()
    out["lead_department"], out["cooperating_departments"] = leads, coops
    out["responsible_departments"] = responsible  # every unit the seed names, in its order (standards.departments)
    return out


def assemble_items(parts: list[pd.DataFrame], profile: dict) -> pd.DataFrame:
    """One item table: departments filled, severity set, rows in area order (veto first) then item order."""
    frames = [p for p in parts if p is not None and len(p)]
    items = assign_departments(pd.concat(frames, ignore_index=True), profile)
    items["severity"] = items["area"].map(SEVERITY).astype(int)
    items.loc[veto_equivalent(items, profile), "severity"] = SEVERITY["veto"]
    items["_area_order"] = items["area"].map(SEVERITY)
    items = items.sort_values("_area_order", kind="stable").drop(columns="_area_order").reset_index(drop=True)
    items["passed"] = items["passed"].astype("boolean")
    return items


def failing_items(items: pd.DataFrame) -> pd.DataFrame:
    """Rows not passed (未达标, 否决, 缺少数据), most severe first, then in item order."""
    bad = items[items["status"].isin([FAIL, VETO, MISSING])]
    return bad.sort_values("severity", kind="stable")


def area_counts(items: pd.DataFrame) -> dict:
    """Per area, counted by item (parent_id: a multi-part item passes only if every part passes)."""
    out = {}
    for area, part in items.groupby("area", sort=False):
        status = part.groupby("parent_id", sort=False)["status"].agg(_item_status)
        out[area] = {"area_zh": part["area_zh"].iloc[0], "items": int(len(status)),
                     "passed": int((status == PASS).sum()), "failed": int(status.isin([FAIL, VETO]).sum()),
                     "missing": int((status == MISSING).sum()), "not_applicable": int((status == NOT_APPLICABLE).sum())}
    return out


def _item_status(statuses: pd.Series) -> str:
    s = set(statuses)
    for level in (VETO, FAIL, MISSING):
        if level in s:
            return level
    return PASS if PASS in s else NOT_APPLICABLE


def department_summary(items: pd.DataFrame) -> pd.DataFrame:
    """Per department: failing checks (item ids) it leads (牵头) and those it cooperates on (配合)."""
    bad = failing_items(items)
    rows: dict[str, dict] = {}
    for r in bad.itertuples(index=False):
        units = [(u, "lead") for u in r.lead_department.split("、")]
        units += [(u, "cooperate") for u in r.cooperating_departments.split("、")]
        named = {u for u, _ in units}
        units += [(u, "responsible") for u in str(getattr(r, "responsible_departments", "") or "").split("、")
                  if u not in named]  # the seed names no lead: responsible only
        for unit, role in units:
            if not unit:
                continue
            entry = rows.setdefault(unit, {"department": unit, "lead": [], "cooperate": [], "responsible": []})
            if r.item_id not in entry[role]:
                entry[role].append(r.item_id)
    out = pd.DataFrame(list(rows.values()), columns=["department", "lead", "cooperate", "responsible"])
    if out.empty:
        return out.assign(n_lead=[], n_cooperate=[], n_responsible=[])
    out["n_lead"], out["n_cooperate"] = out["lead"].map(len), out["cooperate"].map(len)
    out["n_responsible"] = out["responsible"].map(len)
    return out.sort_values(["n_lead", "n_cooperate", "n_responsible"], ascending=False,
                           kind="stable").reset_index(drop=True)


def county_verdict(items: pd.DataFrame, profile: dict, county: str, year: int,
                   warnings: list[str] | None = None, county_name: str = "") -> dict:
    """The verdict document (``verdict.json``)."""
    extras = failing_items(items[items["area"] == "extra"])  # reported, never decide 认定 (national.yaml §9)
    items = items[items["area"] != "extra"]
    veto = items[veto_equivalent(items, profile)]
    bad = failing_items(items)
    status = "pass" if bad.empty else "fail"
    failing = [{"item_id": r.item_id, "parent_id": r.parent_id, "area": r.area, "name_zh": r.name_zh,
                "status": r.status, "value": r.value, "value_text": r.value_text, "threshold": r.threshold,
                "comparator": r.comparator, "severity": int(r.severity), "severity_zh": SEVERITY_ZH[int(r.severity)],
                "lead_department": r.lead_department, "cooperating_departments": r.cooperating_departments,
                "kind": r.kind} for r in bad.itertuples(index=False)]
    departments = department_summary(items)
    reasons = []
    declared = veto[veto["area"] == "veto"]
    if len(declared):
        reasons.append("存在不予认定情形：" + "、".join(f"{r.item_id} {r.name_zh}" for r in declared.itertuples(index=False)))
    equivalent = veto[veto["area"] != "veto"]
    if len(equivalent):
        reasons.append("按评估口径视同一票否决：" + "、".join(f"{r.item_id} {r.name_zh}未达标"
                                                 for r in equivalent.itertuples(index=False)))
    failed = bad.loc[bad["status"].isin([FAIL, VETO]), "item_id"].tolist()
    missing = bad.loc[bad["status"] == MISSING, "item_id"].tolist()
    if failed:
        reasons.append(f"{len(failed)} 项未达标：{'、'.join(failed)}")
    if missing:
        reasons.append(f"{len(missing)} 项缺少数据：{'、'.join(missing)}")
    return {
        "county": county, "county_name": county_name or county, "year": int(year),
        "profile": profile.get("name", ""), "profile_title": profile.get("title", ""),
        "verdict": VERDICT_ZH[status], "status": status,
        "summary": "；".join(reasons) if reasons else "所有评估事项均达标，无一票否决情形",
        "veto_triggered": [{"item_id": r.item_id, "name_zh": r.name_zh, "status": r.status, "evidence": r.evidence,
                            "note": r.note} for r in veto.itertuples(index=False)],
        "failing_items": failing,
        "missing_items": [f["item_id"] for f in failing if f["status"] == MISSING],
        "counts": area_counts(items),
        "departments": departments.to_dict("records"),
        "department_source": departments_source(profile),
        "severity_order": [SEVERITY_ZH[i] for i in sorted(SEVERITY_ZH)],
        "rules": {"quality_items_are_veto": bool(profile.get("quality_items_are_veto")),
                  "recognition_failing_is_veto": bool(profile["recognition"].get("failing_is_veto")),
                  "recognition_comparator": profile["recognition"]["comparator"],
                  "monitoring_sources": list(profile.get("monitoring_sources", []))},
        "warnings": list(warnings or []),
        "extras_not_met": [{"item_id": r.item_id, "name_zh": r.name_zh, "status": r.status}
                           for r in extras.itertuples(index=False)],
    }


def display_table(items: pd.DataFrame, profile: dict | None = None) -> pd.DataFrame:
    """Items grouped by area (severity order), failing ones first within each area, Chinese headers.

    With ``profile``, departments are filled first (for a part of the table shown before assembly).
    """
    if profile is not None:
        items = assign_departments(items, profile)
    order = {VETO: 0, FAIL: 1, MISSING: 2, PASS: 3, NOT_APPLICABLE: 4}
    view = items.assign(_area=items["area"].map(SEVERITY), _bad=items["status"].map(order))
    view = view.sort_values(["_area", "_bad"], kind="stable")
    cols = {"area_zh": "领域", "item_id": "编号", "name_zh": "评估事项", "value_text": "实际值", "comparator": "比较",
            "threshold": "标准", "status": "结果", "lead_department": "牵头单位", "cooperating_departments": "配合单位",
            "kind": "数据来源类型", "evidence": "佐证/数据来源", "note": "说明"}
    out = view[list(cols)].rename(columns=cols).reset_index(drop=True)
    out["比较"] = out["比较"].map(lambda c: {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}.get(c, c))
    return out


