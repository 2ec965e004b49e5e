"""Government guarantee items G1–G15 (政府保障程度15项) and the item-row helpers shared by the verdict.

Sources: 000_7663589297cde400.txt 附件2（二） ("15项指标均要达到要求"), 002_fec0768d769eda13.txt 附件
("15项指标为刚性指标"); thresholds, comparators and item names come from the ``guarantee:`` section of the
standards profile, never from this code.

Three kinds of item (the ``kind`` column of ``items.csv``):

* ``computed`` — from the cleaned school, teacher and class tables (G3 rooms, G4 school size, G5 class size,
  G6 small-school funding, G9 training, G11 rotation, G12 certificates);
* ``reported`` — a number the county reports on the county-items sheet (G7, G8 pay, G13, G14, G15);
* ``evidence`` — 是/否 with evidence text on the county-items sheet (G1, G2, G10 and the yes/no parts of G8,
  G14, G15). Such an item is shown exactly as reported; a missing one is "缺少数据" and never assumed.

Every check gives one row of the common item table (:data:`ITEM_COLUMNS`): a multi-part item such as G11 gives
one row per part (``item_id`` G11_rotation, G11_key_share) with the same ``parent_id`` (G11).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from analysis.config import SECTION_ZH
from analysis.data.columns import TABLES, YES_NO
from analysis.standards.compare import meets
from analysis.standards.status import FAIL, MISSING, NOT_APPLICABLE, PASS

# ---------------------------------------------------------------------------------------------------------------
# Item rows (评估事项) shared by guarantee, quality, recognition and verdict.

COMPARATOR_ZH = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "="}

ITEM_COLUMNS = [
    "item_id", "parent_id", "area", "area_zh", "name_zh", "value", "value_text", "unit", "threshold", "comparator",
    "passed", "status", "evidence", "lead_department", "cooperating_departments", "kind", "note", "severity",
]
AREA_ZH = {
    "veto": "不予认定情形",
    "recognition": "社会认可度",
    "resource_cv": "资源配置·校际差异系数",
    "resource_schools": "资源配置·校校达标",
    "guarantee": "政府保障程度",
    "quality": "教育质量",
    # 学前教育普及普惠 (analysis.evaluate.preschool), 004_bc97163581bd74c7.txt 附件1 A1–A4
    "preschool_veto": "学前·一票否决事项",
    "preschool_universal": "学前·普及普惠水平",
    "preschool_guarantee": "学前·政府保障情况",
    "preschool_quality": "学前·保教质量保障",
    "preschool_recognition": "学前·社会认可度",
    "extra": "附加要求（省、县文件）",
}


class CountyItemError(ValueError):
    """A county-items value the evaluation cannot read (names file, row, item and column)."""


def status_of(passed: bool | None) -> str:
    return MISSING if passed is None else PASS if passed else FAIL


def item_row(item_id: str, area: str, name_zh: str, *, parent_id: str | None = None, value: Any = None,
             unit: str = "", threshold: Any = None, comparator: str = "", status: str = MISSING,
             evidence: str = "", kind: str = "computed", note: str = "", value_text: str | None = None) -> dict:
    """One row of the item table; ``passed`` follows from ``status`` (不适用 → empty)."""
    passed = None if status == NOT_APPLICABLE else status == PASS
    return {
        "item_id": item_id, "parent_id": parent_id or item_id, "area": area, "area_zh": AREA_ZH[area],
        "name_zh": name_zh, "value": value, "value_text": value_text if value_text is not None else
        format_value(value, unit), "unit": unit, "threshold": threshold, "comparator": comparator,
        "passed": passed, "status": status, "evidence": evidence, "lead_department": "",
        "cooperating_departments": "", "kind": kind, "note": note, "severity": None,
    }


DOCUMENT_NUMBER = re.compile(r"^[A-Z]\d+$")  # G5, Q9, V1, S1, P10: the numbers the evaluation documents use


def item_code(item_id: Any, parent_id: Any = None) -> str:
    """An item's number as the documents write it, for people (Excel 编号, task lists): G5_primary → G5,
    Q9_level → Q9, P10_total_yuan → P10; "" for checks the documents give no number (校校达标 R_schools_…,
    差异系数 CV_…, 附加要求 X_…: their Chinese name says what they are)."""
    number = parent_id if isinstance(parent_id, str) and parent_id else str(item_id or "")
    return number if DOCUMENT_NUMBER.match(number) else ""


def items_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows → the item table with :data:`ITEM_COLUMNS` (``passed`` as nullable boolean)."""
    frame = pd.DataFrame(rows, columns=ITEM_COLUMNS)
    frame["passed"] = frame["passed"].astype("boolean")
    for col in ("value", "threshold"):
        frame[col] = frame[col].astype(object)
    return frame


def format_value(value: Any, unit: str) -> str:
    """Display text of an item value (rounding only here, never in the stored value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str):
        return value
    if unit == "比例":
        return f"{float(value):.2%}"
    if unit in ("元",):
        return f"{float(value):,.0f} 元"
    if isinstance(value, int | np.integer) or float(value).is_integer():
        return f"{int(value)} {unit}".strip()
    return f"{float(value):.4g} {unit}".strip()


def build_area(specs: dict, builders: dict, area: str, profile: dict) -> pd.DataFrame:
    """Rows of every item of an area in profile order; an item the profile marks ``applies: false`` is 不适用."""
    rows: list[dict] = []
    for item_id, spec in specs.items():
        if spec.get("applies", True) is False:
            rows.append(not_applicable_row(item_id, area, spec, profile))
            continue
        rows += builders[item_id]()
    return items_frame(rows)


def not_applicable_row(item_id: str, area: str, spec: dict, profile: dict) -> dict:
    return item_row(item_id, area, spec["zh"], status=NOT_APPLICABLE, kind=spec.get("kind", "evidence"),
                    note=f"评估口径“{profile.get('title', profile.get('name', ''))}”不含此项")


# ---------------------------------------------------------------------------------------------------------------
# County items sheet (县级指标).


def county_item_index(county_items: pd.DataFrame | None) -> dict[str, dict]:
    """``item_id`` → {value, unit, evidence, row} of the cleaned county-items table (None → empty)."""
    if county_items is None or county_items.empty:
        return {}
    out: dict[str, dict] = {}
    for pos, r in enumerate(county_items.to_dict("records")):
        item_id = str(r.get("item_id") or "").strip()
        if not item_id:
            continue
        row = r.get("source_row", pos + 2)
        if item_id in out:
            raise CountyItemError(f"{TABLES['county_items'].title}第 {row} 行：指标编号 {item_id} 重复"
                                  f"（第 {out[item_id]['row']} 行已有）")
        out[item_id] = {"value": r.get("value"), "unit": _text(r.get("unit")), "evidence": _text(r.get("evidence")),
                        "row": row, "name": _text(r.get("item_name"))}
    return out


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip()


def _where(entry: dict, item_id: str) -> str:
    return f"{TABLES['county_items'].title}第 {entry['row']} 行，指标编号 {item_id}，列“数值”"


def item_number(items: dict[str, dict], item_id: str, *, rate: bool = False) -> float | None:
    """A numeric county item (None when absent or empty). ``rate``: 0–1 decimal or "98%"; 98 alone is an error."""
    from analysis.data.cleaning import parse_number  # lazy: cleaning imports the reader stack

    entry = items.get(item_id)
    if entry is None or _text(entry["value"]) == "":
        return None
    try:
        number = parse_number(entry["value"])
    except ValueError:
        raise CountyItemError(f"{_where(entry, item_id)}：值 {entry['value']!r} 不是数字"
                              f"（应为{'0–1 的比例或带 % 的百分数' if rate else '数值'}）") from None
    if number is None:
        return None
    if rate and not 0 <= number <= 1:
        raise CountyItemError(f"{_where(entry, item_id)}：比例 {entry['value']!r} 不在 0–1 之间"
                              f"（百分数请写成“97.5%”或 0.975）")
    if number < 0:
        raise CountyItemError(f"{_where(entry, item_id)}：值 {entry['value']!r} 不能为负")
    return number


def item_yes_no(items: dict[str, dict], item_id: str) -> bool | None:
    """A 是/否 county item (None when absent or empty)."""
    entry = items.get(item_id)
    if entry is None:
        return None
    text = unicodedata.normalize("NFKC", _text(entry["value"])).replace(" ", "")
    if text == "":
        return None
    key = text.upper() if text.isascii() else text
    if key not in YES_NO:
        raise CountyItemError(f"{_where(entry, item_id)}：值 {entry['value']!r} 应为 是/否")
    return YES_NO[key]


def item_evidence(items: dict[str, dict], *item_ids: str) -> str:
    """Evidence text of the given county items, de-duplicated, joined with ；."""
    texts = [items[i]["evidence"] for i in item_ids if i in items and items[i]["evidence"]]
    return "；".join(dict.fromkeys(texts))


def evidence_row(items: dict[str, dict], item_id: str, area: str, name_zh: str, *, parent_id: str | None = None,
                 county_item: str | None = None) -> dict:
    """A yes/no item shown exactly as reported (是 = met); absent → 缺少数据, never assumed."""
    key = county_item or item_id
    answer = item_yes_no(items, key)
    if answer is None:
        return item_row(item_id, area, name_zh, parent_id=parent_id, kind="evidence", status=MISSING,
                        note=f"县级指标表中没有“{key}”（是/否及佐证材料），不作推定")
    evidence = item_evidence(items, key)
    note = "" if evidence else "未填写佐证材料，请补充"
    return item_row(item_id, area, name_zh, parent_id=parent_id, value="是" if answer else "否", threshold="是",
                    comparator="=", status=PASS if answer else FAIL, evidence=evidence, kind="evidence", note=note)


def reported_rate_row(items: dict[str, dict], item_id: str, county_item: str, area: str, name_zh: str,
                      threshold: float, comparator: str, *, parent_id: str | None = None) -> dict:
    """A rate the county reports (e.g. 就近划片入学比例) compared with its threshold."""
    value = item_number(items, county_item, rate=True)
    if value is None:
        return item_row(item_id, area, name_zh, parent_id=parent_id, kind="reported", unit="比例",
                        threshold=threshold, comparator=comparator, status=MISSING,
                        note=f"县级指标表中没有“{county_item}”")
    return item_row(item_id, area, name_zh, parent_id=parent_id, value=value, unit="比例", threshold=threshold,
                    comparator=comparator, status=status_of(meets(value, threshold, comparator)),
                    evidence=item_evidence(items, county_item), kind="reported")


def ratio_row(items: dict[str, dict], item_id: str, numerator: str, denominator: str, area: str, name_zh: str,
              threshold: float, comparator: str, *, parent_id: str | None = None, formula: str = "") -> dict:
    """A rate computed from two reported counts (e.g. 随迁子女在公办学校就读数 ÷ 符合条件的随迁子女数)."""
    num, den = item_number(items, numerator), item_number(items, denominator)
    if num is None or den is None:
        absent = [i for i, v in ((numerator, num), (denominator, den)) if v is None]
        return item_row(item_id, area, name_zh, parent_id=parent_id, kind="reported", unit="比例",
                        threshold=threshold, comparator=comparator, status=MISSING,
                        note="县级指标表中没有 " + "、".join(absent))
    if den <= 0:
        raise CountyItemError(f"{_where(items[denominator], denominator)}：分母 {den:g} 必须大于 0")
    value = num / den
    return item_row(item_id, area, name_zh, parent_id=parent_id, value=value, unit="比例", threshold=threshold,
                    comparator=comparator, status=status_of(meets(value, threshold, comparator)),
                    evidence=item_evidence(items, numerator, denominator), kind="reported",
                    note=f"{formula} = {num:g} ÷ {den:g}")


# ---------------------------------------------------------------------------------------------------------------
# Which schools each per-school rule covers.


def compulsory_students(schools: pd.DataFrame) -> pd.Series:
    """Compulsory-stage students (义务教育阶段在校生) = primary + junior."""
    return schools["students_primary"].fillna(0) + schools["students_junior"].fillna(0)


def compulsory_classes(schools: pd.DataFrame) -> pd.Series:
    return schools["classes_primary"].fillna(0) + schools["classes_junior"].fillna(0)


def rule_scope(schools: pd.DataFrame, profile: dict, *, small_points: bool) -> pd.Series:
    """Schools a per-school G rule covers: compulsory students, not a special-education or vocational school.

    ``small_points=False`` also leaves out teaching points below ``exclusions.teaching_point_min_students``
    (the R1–R7 scope; 003_1c8462c5537f038e.txt holds "50人以上教学点" to the G3 room standard).
    """
    excl = profile["exclusions"]
    n = compulsory_students(schools)
    keep = (n > 0) & ~schools["school_type"].isin(excl["school_types"])
    if not small_points:
        keep &= ~((schools["school_type"] == "teaching_point") & (n < excl["teaching_point_min_students"]))
    return keep


def require_columns(frame: pd.DataFrame, columns: list[str], table: str) -> None:
    """``table`` is the id of the input table (analysis.data.columns.TABLES): the message names it in Chinese."""
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ValueError(f"{TABLES[table].title}（{table}）缺少列 {absent}")


def _school_names(frame: pd.DataFrame, limit: int = 12) -> str:
    names = frame["school_name"].astype(str).tolist()
    more = f" 等 {len(names)} 所" if len(names) > limit else ""
    return "、".join(names[:limit]) + more


# ---------------------------------------------------------------------------------------------------------------
# G3 music and art rooms (音乐、美术专用教室).


def _area_variants(part: pd.DataFrame, classes: np.ndarray, variants: list[dict]) -> np.ndarray:
    """Index of the first matching lower-area variant per school (-1: the standard areas apply)."""
    chosen = np.full(len(part), -1)
    for k, variant in enumerate(variants):
        when = variant.get("when", {})
        match = np.ones(len(part), dtype=bool)
        if "founded_before" in when:
            year = pd.to_numeric(part.get("founded_year"), errors="coerce").to_numpy(dtype=float)
            match &= ~np.isnan(year) & (year < when["founded_before"])
        if "urban_rural" in when:
            match &= part["urban_rural"].isin(when["urban_rural"]).to_numpy()
        if "max_classes" in when:
            match &= classes <= when["max_classes"]
        chosen = np.where((chosen == -1) & match, k, chosen)
    return chosen


def music_art_rooms(schools: pd.DataFrame, profile: dict, reasons: bool = True) -> pd.DataFrame:
    """G3 per school: rooms required = max(1, ⌈义务教育班数 ÷ 12⌉) for music and for art; room areas.

    Area basis per column (``music_rooms_m2_basis``): ``per_room_min`` → the reported area is the smallest room
    and must reach the minimum; ``total`` → total area ≥ required rooms × minimum (a weaker check, reported as
    such). A province's lower areas for older or small rural schools come from ``G3.area_variants``.
    Vectorised (the projection runs it on every bootstrap replicate); ``reasons=False`` skips the sentences.
    """
    spec = profile["guarantee"]["G3"]
    cols = ["school_code", "school_name", "school_type", "classes_primary", "classes_junior", "music_rooms",
            "music_rooms_m2", "music_rooms_m2_basis", "art_rooms", "art_rooms_m2", "art_rooms_m2_basis"]
    require_columns(schools, cols, "schools")
    small = spec.get("include_small_teaching_points", True)  # "所有小学、初中" (national.yaml G3)
    part = schools[rule_scope(schools, profile, small_points=small)].reset_index(drop=True)
    classes = (pd.to_numeric(part["classes_primary"], errors="coerce").fillna(0)
               + pd.to_numeric(part["classes_junior"], errors="coerce").fillna(0)).to_numpy(dtype=float)
    required = np.maximum(int(spec["min_rooms"]), np.ceil(classes / spec["classes_per_room"])).astype(int)
    variants = spec.get("area_variants") or []
    chosen = _area_variants(part, classes, variants)
    out = pd.DataFrame({"school_code": part["school_code"], "school_name": part["school_name"],
                        "school_type": part["school_type"], "urban_rural": part.get("urban_rural"),
                        "classes": classes, "required_rooms": required,
                        "area_variant": np.array([v["zh"] for v in variants] + [""], dtype=object)[chosen]})
    any_fail = np.zeros(len(part), dtype=bool)
    any_missing = np.zeros(len(part), dtype=bool)
    for room in ("music", "art"):
        key = f"{room}_room_min_m2"
        minima = [(variant.get(key, spec[key])) for variant in variants] + [spec[key]]  # chosen -1: the standard
        minimum = np.array([np.nan if m is None else m for m in minima], dtype=float)[chosen]
        no_standard = np.array([m is None for m in minima], dtype=bool)[chosen]
        count = pd.to_numeric(part[f"{room}_rooms"], errors="coerce").to_numpy(dtype=float)
        area = pd.to_numeric(part[f"{room}_rooms_m2"], errors="coerce").to_numpy(dtype=float)
        basis = part[f"{room}_rooms_m2_basis"].to_numpy()
        missing = np.isnan(count) | (~no_standard & (np.nan_to_num(count) != 0) & np.isnan(area))
        count_ok = count >= required
        needed = np.where(basis == "total", required * minimum, minimum)
        with np.errstate(invalid="ignore"):
            area_ok = no_standard | ((count > 0) & meets(area, needed, ">="))
        out[f"{room}_rooms"], out[f"{room}_rooms_m2"], out[f"{room}_basis"] = count, area, basis
        out[f"{room}_min_m2"] = np.where(no_standard, np.nan, minimum)
        out[f"{room}_count_ok"] = pd.arrays.BooleanArray(count_ok, missing)
        out[f"{room}_area_ok"] = pd.arrays.BooleanArray(np.asarray(area_ok, dtype=bool), missing)
        any_missing |= missing
        any_fail |= ~missing & ~(count_ok & area_ok)
    out["status"] = np.where(any_fail, FAIL, np.where(any_missing, MISSING, PASS))
    out["passed"] = out["status"] == PASS
    out["reason"] = _g3_reasons(out) if reasons else ""
    return out


def _g3_reasons(rooms: pd.DataFrame) -> list[str]:
    """One sentence per school saying what G3 required and what fell short."""
    sentences = []
    for r in rooms.to_dict("records"):
        parts = []
        for room, zh in (("music", "音乐"), ("art", "美术")):
            count, area, minimum, required = r[f"{room}_rooms"], r[f"{room}_rooms_m2"], r[f"{room}_min_m2"], r[
                "required_rooms"]
            if pd.isna(r[f"{room}_count_ok"]):
                parts.append(f"{zh}室数量或面积未填")
                continue
            if not r[f"{room}_count_ok"]:
                parts.append(f"{zh}室{int(count)}间，少{required - int(count)}间")
            if count > 0 and not r[f"{room}_area_ok"]:
                parts.append(f"{zh}室合计面积{area:g}㎡＜{required}×{minimum:g}㎡" if r[f"{room}_basis"] == "total"
                             else f"{zh}室最小一间{area:g}㎡＜{minimum:g}㎡")
        head = f"{r['classes']:g}个班需音乐室、美术室各{r['required_rooms']}间"
        sentences.append(head + ("；" + "；".join(parts) if parts else "，数量与面积均达标"))
    return sentences


def g3_row(rooms: pd.DataFrame, profile: dict) -> dict:
    """G3 item: number of schools whose music/art rooms fall short (threshold 0)."""
    spec = profile["guarantee"]["G3"]
    return school_rule_row("G3", spec, rooms, f"{TABLES['schools'].title}音乐、美术专用教室数与面积",
                            extra=_g3_basis_note(rooms, spec))


def _g3_basis_note(rooms: pd.DataFrame, spec: dict) -> str:
    if rooms.empty:
        return ""
    total = ((rooms["music_basis"] == "total") | (rooms["art_basis"] == "total")).sum()
    parts = ["面积口径：每间最小面积 ≥ 标准" if total < len(rooms) else ""]
    if total:
        parts.append(f"{total} 所学校只报合计面积，按“合计面积 ≥ 应配间数 × 标准面积”检查（较弱）")
    if spec.get("art_room_min_m2") is None:
        parts.append("本口径未规定美术室面积，只查间数")
    variants = rooms["area_variant"].replace("", np.nan).dropna()
    if len(variants):
        parts.append(f"{len(variants)} 所学校按降低面积标准：" + "；".join(sorted(set(variants))))
    return "；".join(p for p in parts if p)


def school_rule_row(item_id: str, spec: dict, table: pd.DataFrame, evidence: str, *, extra: str = "",
                     parent_id: str | None = None, name_zh: str | None = None, kind: str = "computed") -> dict:
    """Per-school rule → item row: value = schools failing, threshold 0; missing data is shown, not assumed."""
    name = name_zh or spec["zh"]
    if table.empty:
        return item_row(item_id, "guarantee" if item_id.startswith("G") else "quality", name, parent_id=parent_id,
                        unit="所", threshold=0, comparator="<=", status=MISSING, kind=kind,
                        note="没有适用的学校数据")
    failing = table[table["status"] == FAIL]
    missing = table[table["status"] == MISSING]
    status = FAIL if len(failing) else MISSING if len(missing) else PASS
    notes = [f"适用学校 {len(table)} 所，不达标 {len(failing)} 所"]
    if len(failing):
        notes.append("不达标：" + _school_names(failing))
    if len(missing):
        notes.append(f"缺少数据 {len(missing)} 所：" + _school_names(missing))
    if extra:
        notes.append(extra)
    area = "guarantee" if item_id.startswith("G") else "quality"
    return item_row(item_id, area, name, parent_id=parent_id, value=len(failing), unit="所", threshold=0,
                    comparator="<=", status=status, evidence=evidence, kind=kind, note="；".join(notes))


# ---------------------------------------------------------------------------------------------------------------
# G4 school size (学校规模), G5 class size (班额).


def school_size(schools: pd.DataFrame, profile: dict, reasons: bool = True) -> pd.DataFrame:
    """G4 per school: compulsory-stage students against the cap (2000; 九年/十二年一贯制 2500).

    Vectorised (the projection runs it on every bootstrap replicate); ``reasons=False`` skips the sentences."""
    spec = profile["guarantee"]["G4"]
    scope = compulsory_students(schools).gt(0) & ~schools["school_type"].isin(spec["exclude_types"])
    part = schools.loc[scope, ["school_code", "school_name", "school_type", "urban_rural"]].copy()
    part["students"] = compulsory_students(schools)[scope]
    combined = part["school_type"].isin(spec["combined_types"])
    part["cap"] = np.where(combined, spec["max_students_combined"], spec["max_students"])
    ok = meets(part["students"].to_numpy(dtype=float), part["cap"].to_numpy(), "<=")
    part["passed"] = ok
    part["status"] = np.where(ok, PASS, FAIL)
    part["reason"] = [f"义务教育阶段{n:g}人{'≤' if o else '＞'}{cap:g}人"
                      for n, cap, o in zip(part["students"], part["cap"], ok, strict=True)] if reasons else ""
    return part.reset_index(drop=True)


def g4_row(sizes: pd.DataFrame, profile: dict) -> dict:
    spec = profile["guarantee"]["G4"]
    return school_rule_row("G4", spec, sizes, f"{TABLES['schools'].title}小学、初中在校生数",
                            extra=f"上限：小学、初中 {spec['max_students']} 人，九年一贯制、十二年一贯制学校义务教育阶段 "
                                  f"{spec['max_students_combined']} 人")


def class_sizes(classes: pd.DataFrame, schools: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """G5 per class (班额): primary and junior classes of the G4 schools against their cap."""
    spec = profile["guarantee"]["G5"]
    caps = spec["max_class"]
    require_columns(classes, ["school_code", "section", "grade", "class_no", "students"], "classes")
    keep = schools.loc[~schools["school_type"].isin(profile["guarantee"]["G4"]["exclude_types"]),
                       ["school_code", "school_name", "school_type"]]
    part = classes[classes["section"].isin(list(caps))].merge(keep, on="school_code", how="inner")
    part = part[["school_code", "school_name", "school_type", "section", "grade", "class_no", "students"]].copy()
    part["cap"] = part["section"].map(caps).astype(float)
    part["oversized"] = ~np.asarray(meets(part["students"].to_numpy(dtype=float), part["cap"].to_numpy(), "<="))
    return part.sort_values(["section", "school_code", "grade", "class_no"], kind="stable").reset_index(drop=True)


def class_size_summary(sizes: pd.DataFrame) -> pd.DataFrame:
    """Per section: classes, oversized classes (大班额), their share, largest and mean class size."""
    rows = []
    for section, part in sizes.groupby("section", sort=False):
        rows.append({"section": section, "cap": part["cap"].iloc[0], "classes": len(part),
                     "oversized": int(part["oversized"].sum()), "oversized_share": part["oversized"].mean(),
                     "max_size": part["students"].max(), "mean_size": part["students"].mean(),
                     "schools_with_oversized": part.loc[part["oversized"], "school_code"].nunique()})
    order = {"primary": 0, "junior": 1}
    return pd.DataFrame(rows).sort_values("section", key=lambda s: s.map(order)).reset_index(drop=True)


def g5_rows(sizes: pd.DataFrame | None, profile: dict) -> list[dict]:
    """G5 per section: value = the largest class, threshold = the cap (every class ≤ cap ⇔ largest ≤ cap)."""
    spec = profile["guarantee"]["G5"]
    if sizes is None:
        return [item_row(f"G5_{s}", "guarantee", f"{spec['zh']}（{SECTION_ZH[s]}）", parent_id="G5", unit="人",
                         threshold=cap, comparator="<=", status=MISSING,
                         note="没有班级学生数表，无法逐班检查班额") for s, cap in spec["max_class"].items()]
    summary = class_size_summary(sizes).set_index("section")
    rows = []
    for section, cap in spec["max_class"].items():
        name = f"{spec['zh']}（{SECTION_ZH[section]}）"
        if section not in summary.index:
            rows.append(item_row(f"G5_{section}", "guarantee", name, parent_id="G5", unit="人", threshold=cap,
                                 comparator="<=", status=NOT_APPLICABLE, note="该学段没有班级"))
            continue
        s = summary.loc[section]
        over = sizes[(sizes["section"] == section) & sizes["oversized"]]
        note = (f"共 {int(s['classes'])} 个班，超过 {cap} 人的大班额 {int(s['oversized'])} 个"
                f"（占 {s['oversized_share']:.1%}），涉及 {int(s['schools_with_oversized'])} 所学校")
        if len(over):
            note += "：" + _school_names(over.drop_duplicates("school_code"))
        rows.append(item_row(f"G5_{section}", "guarantee", name, parent_id="G5", value=s["max_size"], unit="人",
                             threshold=cap, comparator="<=", status=status_of(meets(s["max_size"], cap, "<=")),
                             evidence=TABLES["classes"].title, note=note, value_text=f"最大班额 {s['max_size']:g} 人"))
    return rows


# ---------------------------------------------------------------------------------------------------------------
# G6 small village schools funded as 100 students (不足100名学生村小和教学点按100名学生核定公用经费).


def small_school_funding(schools: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """G6 per small village school / teaching point: approved public funds ≥ per-student quota × 100.

    The quota is the school's reported 生均公用经费 (``public_funds_per_student``), the per-student base rate
    the county applies; the approved total is 公用经费总额 (``public_funds_total``).
    """
    spec = profile["guarantee"]["G6"]
    n = compulsory_students(schools)
    # 村小 = rural primary schools; 教学点 wherever they are (national.yaml G6)
    kinds = ((schools["school_type"].isin(spec["village_types"]) & schools["urban_rural"].isin(spec["village_urban_rural"]))
             | schools["school_type"].isin(spec["any_location_types"]))
    scope = kinds & (n > 0) & (n < spec["floor_students"])
    part = schools.loc[scope, ["school_code", "school_name", "school_type", "urban_rural"]].copy()
    part["students"] = n[scope]
    for col in ("public_funds_per_student", "public_funds_total"):
        part[col] = pd.to_numeric(schools.loc[scope, col], errors="coerce") if col in schools else np.nan
    part["required_total"] = part["public_funds_per_student"] * spec["floor_students"]
    statuses, reasons = [], []
    for r in part.itertuples(index=False):
        if pd.isna(r.public_funds_per_student) or pd.isna(r.public_funds_total):
            statuses.append(MISSING)
            reasons.append("生均公用经费或公用经费总额未填")
            continue
        ok = meets(r.public_funds_total, r.required_total, ">=")
        statuses.append(PASS if ok else FAIL)
        reasons.append(f"{r.students:g}人，核定{r.public_funds_total:,.0f}元{'≥' if ok else '＜'}"
                       f"{r.public_funds_per_student:g}元×{spec['floor_students']}人＝{r.required_total:,.0f}元")
    part["status"] = statuses
    part["passed"] = [s == PASS for s in statuses]
    part["reason"] = reasons
    return part.reset_index(drop=True)


def g6_row(funding: pd.DataFrame, items: dict[str, dict], profile: dict) -> dict:
    spec = profile["guarantee"]["G6"]
    if len(funding) and (funding["status"] == MISSING).all() and item_yes_no(items, spec["county_item"]) is not None:
        return evidence_row(items, "G6", "guarantee", spec["zh"], county_item=spec["county_item"])
    if funding.empty:
        return item_row("G6", "guarantee", spec["zh"], value=0, unit="所", threshold=0, comparator="<=",
                        status=PASS, evidence=TABLES["schools"].title,
                        note=f"县域内没有不足{spec['floor_students']}名学生的村小和教学点")
    return school_rule_row("G6", spec, funding, f"{TABLES['schools'].title}生均公用经费、公用经费总额")


# ---------------------------------------------------------------------------------------------------------------
# Teacher items: G9 training, G11 rotation, G12 certificates (from the teacher table, compulsory sections).


def teacher_totals(teachers: pd.DataFrame) -> pd.DataFrame:
    """County totals of the compulsory-section teacher rows (primary, junior) and which schools lack a column."""
    part = teachers[teachers["section"].isin(["primary", "junior"])]
    cols = ["teachers", "trained_360h", "certified_teachers", "rotation_eligible", "rotated_teachers",
            "rotated_key_teachers"]
    rows = []
    for col in cols:
        values = pd.to_numeric(part[col], errors="coerce") if col in part else pd.Series(np.nan, index=part.index)
        lacking = part.loc[values.isna(), "school_code"].unique().tolist()
        rows.append({"column": col, "total": float(values.sum()) if values.notna().any() else np.nan,
                     "rows": len(part), "missing_rows": int(values.isna().sum()), "missing_schools": lacking})
    return pd.DataFrame(rows).set_index("column")


def _teacher_zh(column_id: str) -> str:
    return TABLES["teachers"].column(column_id).zh


def _teacher_rate_row(item_id: str, parent_id: str, name_zh: str, totals: pd.DataFrame, numerator: str,
                      denominator: str, threshold: float, comparator: str, formula: str) -> dict:
    num, den = totals.loc[numerator], totals.loc[denominator]
    evidence = f"{TABLES['teachers'].title}小学、初中学段 {int(num['rows'])} 行"
    if pd.isna(num["total"]) or pd.isna(den["total"]) or den["total"] <= 0:
        return item_row(item_id, "guarantee", name_zh, parent_id=parent_id, unit="比例", threshold=threshold,
                        comparator=comparator, status=MISSING, evidence=evidence,
                        note=f"专任教师情况表没有“{_teacher_zh(numerator)}”或“{_teacher_zh(denominator)}”数据")
    value = num["total"] / den["total"]
    note = f"{formula} = {num['total']:g} ÷ {den['total']:g}"
    status = status_of(meets(value, threshold, comparator))
    gaps = num["missing_rows"] + den["missing_rows"]
    if gaps:  # a county rate over part of the schools is not the county's rate
        status = MISSING
        note += f"；{gaps} 行缺少数据（学校：{'、'.join(map(str, num['missing_schools'] + den['missing_schools']))}），未计入"
    return item_row(item_id, "guarantee", name_zh, parent_id=parent_id, value=value, unit="比例",
                    threshold=threshold, comparator=comparator, status=status, evidence=evidence, note=note)


def teacher_rows(teachers: pd.DataFrame, profile: dict) -> list[dict]:
    """G9 (360学时培训完成率), G11 (交流轮岗比例, 骨干教师占比), G12 (持证上岗率)."""
    g = profile["guarantee"]
    totals = teacher_totals(teachers)
    return [
        _teacher_rate_row("G9", "G9", g["G9"]["zh"], totals, "trained_360h", "teachers", g["G9"]["threshold"],
                          g["G9"]["comparator"], "完成360学时培训人数 ÷ 专任教师数"),
        _teacher_rate_row("G11_rotation", "G11", "交流轮岗教师占符合交流条件教师的比例", totals, "rotated_teachers",
                          "rotation_eligible", g["G11"]["rotation_min"], g["G11"]["comparator"],
                          "本年交流轮岗教师数 ÷ 符合交流条件教师数"),
        _teacher_rate_row("G11_key_share", "G11", "骨干教师占交流轮岗教师的比例", totals, "rotated_key_teachers",
                          "rotated_teachers", g["G11"]["key_share_min"], g["G11"]["comparator"],
                          "交流轮岗骨干教师数 ÷ 交流轮岗教师数"),
        _teacher_rate_row("G12", "G12", g["G12"]["zh"], totals, "certified_teachers", "teachers",
                          g["G12"]["threshold"], g["G12"]["comparator"], "持有教师资格证人数 ÷ 专任教师数"),
    ]


# ---------------------------------------------------------------------------------------------------------------
# County-reported items: G7, G8, G13, G14, G15 and the evidence items G1, G2, G10.


def g7_row(items: dict[str, dict], schools: pd.DataFrame | None, profile: dict) -> dict:
    """G7 特殊教育学校生均公用经费: the county figure; else the lowest special school's 生均公用经费."""
    spec = profile["guarantee"]["G7"]
    value = item_number(items, spec["county_item"])
    evidence, note, kind = item_evidence(items, spec["county_item"]), "", "reported"
    if value is None and schools is not None and "public_funds_per_student" in schools:
        special = schools[schools["school_type"] == "special_ed_school"]
        funds = pd.to_numeric(special["public_funds_per_student"], errors="coerce").dropna()
        if len(funds):
            value, kind = float(funds.min()), "computed"
            evidence = f"{TABLES['schools'].title}特殊教育学校生均公用经费"
            note = f"县级指标表未报，取 {len(funds)} 所特殊教育学校中的最低值"
    if value is None:
        return item_row("G7", "guarantee", spec["zh"], unit=spec["unit"], threshold=spec["threshold"],
                        comparator=spec["comparator"], status=MISSING, kind="reported",
                        note=f"县级指标表中没有“{spec['county_item']}”，学校表中也没有特殊教育学校经费")
    return item_row("G7", "guarantee", spec["zh"], value=value, unit=spec["unit"], threshold=spec["threshold"],
                    comparator=spec["comparator"], status=status_of(meets(value, spec["threshold"], spec["comparator"])),
                    evidence=evidence, kind=kind, note=note)


def g8_rows(items: dict[str, dict], profile: dict) -> list[dict]:
    """G8: teacher pay ≥ civil-servant pay (the county's own figure is the threshold) and performance pay."""
    spec = profile["guarantee"]["G8"]
    teacher, civil = item_number(items, "G8_teacher_pay"), item_number(items, "G8_civil_servant_pay")
    name = "教师平均工资收入水平不低于当地公务员平均工资收入水平"
    if teacher is None or civil is None:
        pay = item_row("G8_pay", "guarantee", name, parent_id="G8", unit=spec["unit"], comparator=spec["comparator"],
                       threshold=civil, status=MISSING, kind="reported",
                       note="县级指标表缺少 G8_teacher_pay 或 G8_civil_servant_pay")
    else:
        pay = item_row("G8_pay", "guarantee", name, parent_id="G8", value=teacher, unit=spec["unit"],
                       threshold=civil, comparator=spec["comparator"],
                       status=status_of(meets(teacher, civil, spec["comparator"])), kind="reported",
                       evidence=item_evidence(items, "G8_teacher_pay", "G8_civil_servant_pay"),
                       note=f"教师 {teacher:,.0f} 元，公务员 {civil:,.0f} 元，相差 {teacher - civil:+,.0f} 元")
    performance = evidence_row(items, "G8_performance_pay", "guarantee", "按规定足额核定教师绩效工资总量",
                               parent_id="G8")
    return [pay, performance]


def g13_rows(items: dict[str, dict], profile: dict) -> list[dict]:
    spec = profile["guarantee"]["G13"]
    return [reported_rate_row(items, f"G13_{s}", f"G13_{s}", "guarantee",
                              f"城区和镇区公办{zh}（不含寄宿制学校）就近划片入学比例", spec[s], spec["comparator"],
                              parent_id="G13") for s, zh in (("primary", "小学"), ("junior", "初中"))]


def g14_rows(items: dict[str, dict], profile: dict) -> list[dict]:
    spec = profile["guarantee"]["G14"]
    return [reported_rate_row(items, "G14_quota_share", "G14_quota_share", "guarantee", "优质高中招生名额分配比例",
                              spec["threshold"], spec["comparator"], parent_id="G14"),
            evidence_row(items, "G14_rural_tilt", "guarantee", "名额分配向农村初中倾斜", parent_id="G14")]


def g15_rows(items: dict[str, dict], profile: dict) -> list[dict]:
    spec = profile["guarantee"]["G15"]
    return [evidence_row(items, "G15_care_system", "guarantee", "留守儿童关爱体系健全", parent_id="G15"),
            ratio_row(items, "G15_migrant", "G15_migrant_public", "G15_migrant_eligible", "guarantee",
                      "符合条件的随迁子女在公办学校和政府购买服务的民办学校就读的比例", spec["threshold"],
                      spec["comparator"], parent_id="G15",
                      formula="在公办学校和政府购买服务民办学校就读数 ÷ 符合条件的随迁子女数")]


def guarantee_items(schools: pd.DataFrame, teachers: pd.DataFrame, classes: pd.DataFrame | None,
                    county_items: pd.DataFrame | None, profile: dict) -> pd.DataFrame:
    """All G1–G15 rows (one per check) in item order; items the profile leaves out are "不适用"."""
    items = county_item_index(county_items)
    g = profile["guarantee"]
    sizes = class_sizes(classes, schools, profile) if classes is not None else None
    builders: dict[str, Callable[[], list[dict]]] = {
        "G1": lambda: [evidence_row(items, "G1", "guarantee", g["G1"]["zh"])],
        "G2": lambda: [evidence_row(items, "G2", "guarantee", g["G2"]["zh"])],
        "G3": lambda: [g3_row(music_art_rooms(schools, profile), profile)],
        "G4": lambda: [g4_row(school_size(schools, profile), profile)],
        "G5": lambda: g5_rows(sizes, profile),
        "G6": lambda: [g6_row(small_school_funding(schools, profile), items, profile)],
        "G7": lambda: [g7_row(items, schools, profile)],
        "G8": lambda: g8_rows(items, profile),
        "G10": lambda: [evidence_row(items, "G10", "guarantee", g["G10"]["zh"])],
        "G13": lambda: g13_rows(items, profile),
        "G14": lambda: g14_rows(items, profile),
        "G15": lambda: g15_rows(items, profile),
    }
    teacher = {r["item_id"]: r for r in teacher_rows(teachers, profile)}
    builders["G9"] = lambda: [teacher["G9"]]
    builders["G11"] = lambda: [teacher["G11_rotation"], teacher["G11_key_share"]]
    builders["G12"] = lambda: [teacher["G12"]]
    return build_area(g, builders, "guarantee", profile)
