"""County preschool evaluation (县域学前教育普及普惠督导评估), items P1–P37 and the preschool verdict.

Source: 004_bc97163581bd74c7.txt 附件1 (C1–C37 → P1–P37), the items of 《县域学前教育普及普惠督导评估办法》.
Every threshold, comparator, class cap, time window, item name and responsible section comes from the
``preschool:`` section of the standards profile; none is written here.

The second evaluation runs over the same machinery as the compulsory one: input tables of
:mod:`analysis.data.columns` (``kindergartens``, ``kg_classes``, ``kg_staff``, ``preschool_items``,
``preschool_spending``, ``preschool_incidents``, ``preschool_survey``), rows of the common item table
(:func:`analysis.evaluate.guarantee.item_row`), Wilson intervals of :mod:`analysis.evaluate.recognition`, departments
and failing-item order of :mod:`analysis.evaluate.verdict`.

* **computed** from the kindergarten rows: P1 gross enrollment (在园幼儿 ÷ 3—5岁人口), P2 inclusive coverage, P3
  public share, P7 public central kindergarten per township, P9 estate kindergartens, P10 spending never
  decreasing, P19/P35 incidents within the last two years, P22 supervision within 4 years, P23 responsible
  supervisors, P24 unlicensed kindergartens, P27 building standard, P28 classes within the caps, P30 vacant posts,
  P31 children per full-time teacher, P32 certificates, P37 recognition;
* **evidence**: the rest, 是/否 with evidence on the 学前教育县级指标 sheet, shown as reported and never assumed.

Verdict: 认定 only when no item fails or lacks data; P19/P35 failing (an incident within two years) fails it
outright (veto-like). Failing items in the order ``preschool.severity`` gives (veto first).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from analysis.data.columns import CLASS_TYPE_ZH
from analysis.evaluate import verdict as compulsory_verdict
from analysis.evaluate.guarantee import (
    AREA_ZH,
    county_item_index,
    evidence_row,
    item_number,
    item_row,
    items_frame,
    status_of,
)
from analysis.evaluate.projection.method import method_settings
from analysis.evaluate.projection.milestones import reach_year
from analysis.evaluate.projection.scenario import band_status, future_milestones
from analysis.evaluate.projection.trend import draw_pairs, trend_paths
from analysis.evaluate.recognition import recognition_table, recognition_warnings
from analysis.standards.compare import meets
from analysis.standards.departments import departments_source
from analysis.standards.status import (
    FAIL,
    MISSING,
    NOT_APPLICABLE,
    NOT_PROVIDED,
    PASS,
    PROJECTION_ZH,
    VERDICT_ZH,
)

SEVERITY_ZH = {1: "否决", 2: "普及普惠水平", 3: "社会认可度", 4: "政府保障", 5: "保教质量"}


def spec_of(profile: dict) -> dict:
    return profile["preschool"]


def area_of(item_id: str, profile: dict) -> str:
    return f"preschool_{spec_of(profile)['items'][item_id]['area']}"


def _row(parent: str, profile: dict, **kw) -> dict:
    """An item row of item ``parent`` (area and name from the profile; ``item_id=`` for one part of it)."""
    spec = spec_of(profile)["items"][parent]
    kw.setdefault("kind", spec.get("kind", "computed"))
    return item_row(kw.pop("item_id", parent), area_of(parent, profile), kw.pop("name_zh", spec["zh"]),
                    parent_id=parent, **kw)


def _names(frame: pd.DataFrame, limit: int = 12) -> str:
    names = frame["kg_name"].astype(str).tolist()
    return "、".join(names[:limit]) + (f" 等 {len(names)} 所" if len(names) > limit else "")


def _count_row(item_id: str, profile: dict, bad: pd.DataFrame, scope: int, what: str, evidence: str,
               unit: str = "所") -> dict:
    """A rule over kindergartens (or classes…): value = how many break it, threshold 0."""
    spec = spec_of(profile)["items"][item_id]
    note = f"{what} {len(bad)} {unit}（共 {scope} {unit}）"
    if len(bad) and "kg_name" in bad:
        note += "：" + _names(bad.drop_duplicates("kg_code"))
    return _row(item_id, profile, value=len(bad), unit=unit, threshold=spec["threshold"],
                comparator=spec["comparator"], status=status_of(meets(len(bad), spec["threshold"], spec["comparator"])),
                evidence=evidence, note=note)


# ---------------------------------------------------------------------------------------------------------------
# A1 普及普惠水平: P1–P3 (counts by kindergarten type).


def counted(kindergartens: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """The kindergartens whose children count in P1–P3 and P31 (licensed ones unless ``count_unlicensed``)."""
    if spec_of(profile).get("count_unlicensed"):
        return kindergartens
    return kindergartens[kindergartens["licensed"].astype("boolean").fillna(False).astype(bool)]


def enrollment_counts(kindergartens: pd.DataFrame, staff: pd.DataFrame | None, profile: dict) -> dict[str, float]:
    """在园幼儿 by type and full-time teachers of the counted kindergartens (the numbers behind P1–P3, P31)."""
    spec = spec_of(profile)
    kg = counted(kindergartens, profile)
    children = pd.to_numeric(kg["children"], errors="coerce").fillna(0)
    out = {"children": float(children.sum()),
           "children_public": float(children[kg["kg_type"].isin(spec["public_types"])].sum()),
           "children_inclusive": float(children[kg["kg_type"].isin(spec["inclusive_types"])].sum()),
           "kindergartens": float(len(kg))}
    if staff is not None:
        teachers = pd.to_numeric(staff.loc[staff["kg_code"].isin(kg["kg_code"]), "teachers"], errors="coerce")
        out["teachers"] = float(teachers.sum())
    return out


def universal_rows(counts: dict[str, float], items: dict[str, dict], profile: dict) -> list[dict]:
    """P1 gross enrollment, P2 inclusive coverage, P3 public share."""
    spec = spec_of(profile)
    rows = []
    population = item_number(items, spec["population_item"])
    source = items.get(spec["population_item"], {}).get("evidence", "")
    p1 = spec["items"]["P1"]
    if population is None or population <= 0:
        rows.append(_row("P1", profile, unit="比例", threshold=p1["threshold"], comparator=p1["comparator"],
                         status=MISSING, note=f"学前教育县级指标表中没有“{spec['population_item']}”（3—5岁人口数及来源）"))
    else:
        value = counts["children"] / population
        rows.append(_row("P1", profile, value=value, unit="比例", threshold=p1["threshold"], comparator=p1["comparator"],
                         status=status_of(meets(value, p1["threshold"], p1["comparator"])),
                         evidence=f"幼儿园基本情况表：在园幼儿数；3—5岁人口来源：{source or '未注明'}",
                         note=f"毛入园率 = 在园幼儿数 ÷ 3—5岁人口数 = {counts['children']:g} ÷ {population:g}"
                              + ("" if source else "；3—5岁人口未注明来源，请补充")))
    for item_id, key, what in (("P2", "children_inclusive", "公办园和普惠性民办园在园幼儿数"),
                               ("P3", "children_public", "公办园在园幼儿数")):
        s = spec["items"][item_id]
        if counts["children"] <= 0:
            rows.append(_row(item_id, profile, unit="比例", threshold=s["threshold"], comparator=s["comparator"],
                             status=MISSING, note="没有在园幼儿数"))
            continue
        value = counts[key] / counts["children"]
        rows.append(_row(item_id, profile, value=value, unit="比例", threshold=s["threshold"], comparator=s["comparator"],
                         status=status_of(meets(value, s["threshold"], s["comparator"])),
                         evidence="幼儿园基本情况表：办园类型、在园幼儿数",
                         note=f"{what} ÷ 在园幼儿数 = {counts[key]:g} ÷ {counts['children']:g}"))
    return rows


# ---------------------------------------------------------------------------------------------------------------
# A2 政府保障: P7, P9, P10, P19, P22–P24.


def township_centres(kindergartens: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """P7 per rural township (乡/镇; 街道 are urban): its licensed public central kindergartens; none fails."""
    public = kindergartens["kg_type"].isin(spec_of(profile)["public_types"])
    central = kindergartens["township_central"].astype("boolean").fillna(False).astype(bool)
    licensed = kindergartens["licensed"].astype("boolean").fillna(False).astype(bool)
    ok = kindergartens[public & central & licensed]
    suffixes = tuple(spec_of(profile)["rural_township_suffixes"])
    towns = sorted(t for t in kindergartens["township"].dropna().unique() if str(t).endswith(suffixes))
    per = ok.groupby("township")["kg_code"].size().reindex(towns, fill_value=0)
    return pd.DataFrame({"township": towns, "public_central": per.to_numpy(),
                         "passed": per.to_numpy() >= 1})


def p7_row(centres: pd.DataFrame, profile: dict) -> dict:
    bad = centres[~centres["passed"]]
    spec = spec_of(profile)["items"]["P7"]
    note = f"乡镇（街道）{len(centres)} 个，没有公办中心园的 {len(bad)} 个"
    if len(bad):
        note += "：" + "、".join(bad["township"])
    return _row("P7", profile, value=len(bad), unit="个", threshold=spec["threshold"], comparator=spec["comparator"],
                status=status_of(meets(len(bad), spec["threshold"], spec["comparator"])),
                evidence="幼儿园基本情况表：所在乡镇、办园类型、是否乡镇中心园", note=note)


def p9_row(kindergartens: pd.DataFrame, profile: dict) -> dict:
    """Estate kindergartens (小区配套园) not run as public or commissioned inclusive kindergartens."""
    estate = kindergartens[kindergartens["estate"].astype("boolean").fillna(False).astype(bool)]
    bad = estate[~estate["estate_operation"].isin(["public", "commissioned_inclusive"])]
    return _count_row("P9", profile, bad, len(estate), "未办成公办园或普惠性民办园的小区配套园",
                      "幼儿园基本情况表：小区配套园办园方式")


def spending_changes(spending: pd.DataFrame, year: int) -> pd.DataFrame:
    """P10 per year up to ``year``: total (元) and per child, and whether each fell against the year before."""
    part = spending[pd.to_numeric(spending["year"], errors="coerce") <= year].sort_values("year").copy()
    part["total_yuan"] = pd.to_numeric(part["total"], errors="coerce") * 10_000  # 万元 → 元 (a unit, not a rule)
    per = pd.to_numeric(part["per_child"], errors="coerce")
    children = pd.to_numeric(part["children"], errors="coerce")
    part["per_child_yuan"] = per.fillna(part["total_yuan"] / children.where(children > 0))
    for col in ("total_yuan", "per_child_yuan"):
        part[f"{col}_fell"] = part[col].diff() < 0
    return part[["year", "total_yuan", "per_child_yuan", "total_yuan_fell", "per_child_yuan_fell"]].reset_index(
        drop=True)


def p10_rows(spending: pd.DataFrame | None, year: int, profile: dict) -> list[dict]:
    name = {"total_yuan": "学前教育财政投入总额只增不减", "per_child_yuan": "学前教育生均财政投入只增不减"}
    if spending is None or len(spending) < 2:
        return [_row("P10", profile, item_id=f"P10_{c}", name_zh=n, unit="次", threshold=0, comparator="<=",
                     status=MISSING, note="没有至少两年的学前教育财政投入表") for c, n in name.items()]
    changes = spending_changes(spending, year)
    rows = []
    for col, zh in name.items():
        values = changes[col]
        if values.isna().any() or len(values) < 2:
            rows.append(_row("P10", profile, item_id=f"P10_{col}", name_zh=zh, unit="次", threshold=0, comparator="<=",
                             status=MISSING, note="部分年份缺少数据（生均须填报或可由在园幼儿数计算）"))
            continue
        fell = changes.loc[changes[f"{col}_fell"], "year"].astype(int).tolist()
        years = f"{int(changes['year'].min())}—{int(changes['year'].max())} 年"
        rows.append(_row("P10", profile, item_id=f"P10_{col}", name_zh=zh, value=len(fell), unit="次", threshold=0,
                         comparator="<=", status=PASS if not fell else FAIL,
                         evidence="学前教育财政投入表",
                         note=f"{years}：" + (f"{'、'.join(map(str, fell))} 年比上年减少" if fell else "逐年未减少")))
    return rows


def incident_rows(incidents: pd.DataFrame | None, year: int, profile: dict) -> list[dict]:
    """P19 safety accidents and P35 teacher-ethics incidents within the last ``incident_lookback_years`` years."""
    spec = spec_of(profile)
    first = year - int(spec["incident_lookback_years"]) + 1
    rows = []
    for item_id, kind in (("P19", "safety"), ("P35", "ethics")):
        s = spec["items"][item_id]
        if incidents is None:
            rows.append(_row(item_id, profile, unit="起", threshold=s["threshold"], comparator=s["comparator"],
                             status=MISSING, note="没有学前教育安全与师德事件表（没有事件时须提交只有表头的空表）"))
            continue
        years = pd.to_numeric(incidents["year"], errors="coerce")
        serious = incidents["serious"].astype("boolean").fillna(False).astype(bool)
        hit = incidents[(incidents["kind"] == kind) & serious & years.between(first, year)]
        note = f"{first}—{year} 年（评估前两年内）{len(hit)} 起"
        if len(hit):
            note += "：" + "；".join(str(d) for d in hit["description"].fillna("（未填说明）"))
        rows.append(_row(item_id, profile, value=len(hit), unit="起", threshold=s["threshold"],
                         comparator=s["comparator"], status=status_of(meets(len(hit), s["threshold"], s["comparator"])),
                         evidence="学前教育安全与师德事件表", note=note))
    return rows


def supervision(kindergartens: pd.DataFrame, year: int, profile: dict) -> pd.DataFrame:
    """P22 per kindergarten: supervised (办园行为督导评估) within the cycle, i.e. in ``year − cycle + 1 … year``."""
    cycle = int(spec_of(profile)["supervision_cycle_years"])
    last = pd.to_numeric(kindergartens["last_supervised"], errors="coerce")
    out = kindergartens[["kg_code", "kg_name", "township", "kg_type"]].copy()
    out["last_supervised"] = last
    out["window_from"] = year - cycle + 1
    out["passed"] = last.between(year - cycle + 1, year).to_numpy()
    return out


def p22_row(checked: pd.DataFrame, profile: dict) -> dict:
    bad = checked[~checked["passed"]]
    frm = int(checked["window_from"].iloc[0]) if len(checked) else ""
    return _count_row("P22", profile, bad, len(checked), f"{frm} 年以来未接受办园行为督导评估的幼儿园",
                      "幼儿园基本情况表：最近一次办园行为督导评估年份")


def p23_row(kindergartens: pd.DataFrame, profile: dict) -> dict:
    bad = kindergartens[kindergartens["supervisor"].isna()]
    return _count_row("P23", profile, bad, len(kindergartens), "没有挂牌责任督学的幼儿园",
                      "幼儿园基本情况表：责任督学")


def p24_row(kindergartens: pd.DataFrame, profile: dict) -> dict:
    bad = kindergartens[~kindergartens["licensed"].astype("boolean").fillna(False).astype(bool)]
    return _count_row("P24", profile, bad, len(kindergartens), "无证园", "幼儿园基本情况表：是否取得办园许可证")


# ---------------------------------------------------------------------------------------------------------------
# A3 保教质量: P27, P28, P30–P32.


def p27_row(kindergartens: pd.DataFrame, profile: dict) -> dict:
    since = int(spec_of(profile)["building_standard_from_year"])
    new = kindergartens[pd.to_numeric(kindergartens["design_year"], errors="coerce") >= since]
    bad = new[~new["meets_building_standard"].astype("boolean").fillna(False).astype(bool)]
    return _count_row("P27", profile, bad, len(new), f"{since} 年后规划设计但不符合（或未填）《幼儿园建设标准》的幼儿园",
                      "幼儿园基本情况表：规划设计年份、是否符合幼儿园建设标准")


def class_caps(kg_classes: pd.DataFrame, kindergartens: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """P28 per class: the cap of its type (《幼儿园工作规程》: 小班 25, 中班 30, 大班 35, 混龄班 30 — from the
    profile) and whether the class is within it (``<=``)."""
    caps = {k: v for k, v in spec_of(profile)["class_caps"].items() if k != "source"}
    out = kg_classes[["kg_code", "class_type", "class_no", "children"]].merge(
        kindergartens[["kg_code", "kg_name", "kg_type"]], on="kg_code", how="left")
    out["cap"] = out["class_type"].map(caps).astype(float)
    out["within"] = meets(pd.to_numeric(out["children"], errors="coerce"), out["cap"], "<=").astype(bool)
    return out


def p28_row(classes: pd.DataFrame | None, profile: dict) -> dict:
    s = spec_of(profile)["items"]["P28"]
    if classes is None or classes.empty:
        return _row("P28", profile, unit="比例", threshold=s["threshold"], comparator=s["comparator"], status=MISSING,
                    note="没有幼儿园班级表")
    value = float(classes["within"].mean())
    over = classes[~classes["within"]]
    by_type = over["class_type"].map(CLASS_TYPE_ZH).value_counts().to_dict()
    note = (f"符合班额规定的班级 {int(classes['within'].sum())} ÷ 全部班级 {len(classes)}；超额班级："
            + ("、".join(f"{t} {n} 个" for t, n in by_type.items()) or "无")
            + f"（上限：{spec_of(profile)['class_caps']['source']}）")
    return _row("P28", profile, value=value, unit="比例", threshold=s["threshold"], comparator=s["comparator"],
                status=status_of(meets(value, s["threshold"], s["comparator"])),
                evidence="幼儿园班级表：班级类型、幼儿数", note=note)


def p30_row(staff: pd.DataFrame | None, kindergartens: pd.DataFrame, profile: dict) -> dict:
    s = spec_of(profile)["items"]["P30"]
    public = kindergartens.loc[kindergartens["kg_type"].isin(spec_of(profile)["public_types"]), ["kg_code", "kg_name"]]
    part = staff.merge(public, on="kg_code") if staff is not None else pd.DataFrame()
    vacant = pd.to_numeric(part.get("vacant_posts"), errors="coerce") if len(part) else pd.Series(dtype=float)
    if part.empty or vacant.isna().all():
        return _row("P30", profile, unit="个", threshold=s["threshold"], comparator=s["comparator"], status=MISSING,
                    note="幼儿园教职工表没有公办园的空编未补数")
    bad = part[vacant > 0]
    total = float(vacant.sum())
    return _row("P30", profile, value=total, unit="个", threshold=s["threshold"], comparator=s["comparator"],
                status=status_of(meets(total, s["threshold"], s["comparator"])),
                evidence="幼儿园教职工表：空编未补数",
                note=f"公办园空编未补 {total:g} 个" + ("：" + _names(bad) if len(bad) else ""))


def p31_row(counts: dict[str, float], profile: dict) -> dict:
    s = spec_of(profile)["items"]["P31"]
    teachers = counts.get("teachers")
    if not teachers:
        return _row("P31", profile, unit="人", threshold=s["threshold"], comparator=s["comparator"], status=MISSING,
                    note="没有幼儿园专任教师数")
    value = counts["children"] / teachers
    return _row("P31", profile, value=value, unit="人", threshold=s["threshold"], comparator=s["comparator"],
                status=status_of(meets(value, s["threshold"], s["comparator"])),
                evidence="幼儿园基本情况、幼儿园教职工表",
                note=f"在园幼儿数 ÷ 专任教师数 = {counts['children']:g} ÷ {teachers:g}（1∶{value:.1f}）",
                value_text=f"1∶{value:.2f}")


def p32_row(staff: pd.DataFrame | None, profile: dict) -> dict:
    s = spec_of(profile)["items"]["P32"]
    if staff is None or staff["certified_teachers"].isna().any():
        return _row("P32", profile, unit="比例", threshold=s["threshold"], comparator=s["comparator"], status=MISSING,
                    note="幼儿园教职工表缺少持证专任教师数")
    certified = float(pd.to_numeric(staff["certified_teachers"]).sum())
    teachers = float(pd.to_numeric(staff["teachers"]).sum())
    value = certified / teachers if teachers else np.nan
    return _row("P32", profile, value=value, unit="比例", threshold=s["threshold"], comparator=s["comparator"],
                status=status_of(meets(value, s["threshold"], s["comparator"])) if teachers else MISSING,
                evidence="幼儿园教职工表", note=f"持证专任教师 {certified:g} ÷ 专任教师 {teachers:g}")


# ---------------------------------------------------------------------------------------------------------------
# A4 社会认可度: P37 with Wilson intervals per group (the compulsory survey code, the preschool settings).


def recognition_settings(profile: dict) -> dict:
    """A profile view whose ``recognition`` is the preschool one, for :mod:`analysis.evaluate.recognition`."""
    return {"recognition": spec_of(profile)["recognition"]}


def p37_table(survey: pd.DataFrame | None, profile: dict) -> pd.DataFrame | None:
    return recognition_table(survey, recognition_settings(profile)) if survey is not None else None


def p37_row(table: pd.DataFrame | None, profile: dict) -> dict:
    cfg = spec_of(profile)["recognition"]
    if table is None or table.empty or table.iloc[0]["answers"] == 0:
        return _row("P37", profile, unit="比例", threshold=cfg["threshold"], comparator=cfg["comparator"],
                    status=MISSING, note="没有学前教育社会认可度调查表")
    overall = table.iloc[0]
    value = float(overall["rate"])
    note = (f"有效问卷 {overall['respondents']} 份、有效回答 {overall['answers']} 个，满意 {overall['favourable']} 个；"
            f"{cfg['confidence']:.0%} 置信区间（Wilson）[{overall['ci_low']:.2%}, {overall['ci_high']:.2%}]")
    warnings = recognition_warnings(table)
    if warnings:
        note += "；注意：" + "；".join(warnings)
    return _row("P37", profile, value=value, unit="比例", threshold=cfg["threshold"], comparator=cfg["comparator"],
                status=status_of(meets(value, cfg["threshold"], cfg["comparator"])),
                evidence="学前教育社会认可度调查表", note=note)


# ---------------------------------------------------------------------------------------------------------------
# All items, the verdict.


def preschool_items(kindergartens: pd.DataFrame, kg_classes: pd.DataFrame | None, staff: pd.DataFrame | None,
                    county_items: pd.DataFrame | None, spending: pd.DataFrame | None,
                    incidents: pd.DataFrame | None, survey: pd.DataFrame | None, profile: dict, year: int
                    ) -> pd.DataFrame:
    """Every P1–P37 row in item order, with departments and severity (most severe = 1)."""
    spec = spec_of(profile)
    items = county_item_index(county_items)
    counts = enrollment_counts(kindergartens, staff, profile)
    classes = class_caps(kg_classes, kindergartens, profile) if kg_classes is not None else None
    universal = {r["item_id"]: r for r in universal_rows(counts, items, profile)}
    incident = {r["item_id"]: r for r in incident_rows(incidents, year, profile)}
    computed: dict[str, Callable[[], list[dict]]] = {
        "P1": lambda: [universal["P1"]], "P2": lambda: [universal["P2"]], "P3": lambda: [universal["P3"]],
        "P7": lambda: [p7_row(township_centres(kindergartens, profile), profile)],
        "P9": lambda: [p9_row(kindergartens, profile)],
        "P10": lambda: p10_rows(spending, year, profile),
        "P19": lambda: [incident["P19"]], "P35": lambda: [incident["P35"]],
        "P22": lambda: [p22_row(supervision(kindergartens, year, profile), profile)],
        "P23": lambda: [p23_row(kindergartens, profile)], "P24": lambda: [p24_row(kindergartens, profile)],
        "P27": lambda: [p27_row(kindergartens, profile)], "P28": lambda: [p28_row(classes, profile)],
        "P30": lambda: [p30_row(staff, kindergartens, profile)], "P31": lambda: [p31_row(counts, profile)],
        "P32": lambda: [p32_row(staff, profile)], "P37": lambda: [p37_row(p37_table(survey, profile), profile)],
    }
    rows: list[dict] = []
    for item_id, s in spec["items"].items():
        if s.get("applies", True) is False:
            rows.append(_row(item_id, profile, status=NOT_APPLICABLE, note="本评估口径不含此项"))
        elif item_id in computed:
            rows += computed[item_id]()
        else:
            rows.append(evidence_row(items, item_id, area_of(item_id, profile), s["zh"]))
    return assemble(items_frame(rows), profile)


def assemble(frame: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """Departments (004 附件1) and severity; a failing veto-like item (P19, P35) becomes severity 1."""
    spec = spec_of(profile)
    out = compulsory_verdict.assign_departments(frame, {"departments": spec["departments"]})
    out["severity"] = out["area"].str.removeprefix("preschool_").map(spec["severity"]).astype(int)
    veto = out["parent_id"].isin(spec["veto_items"]) & (out["status"] == FAIL)
    out.loc[veto, "severity"] = spec["severity"]["veto"]
    out.loc[veto, "area"] = "preschool_veto"
    out.loc[veto, "area_zh"] = AREA_ZH["preschool_veto"]
    out["passed"] = out["passed"].astype("boolean")
    return out


def preschool_verdict(items: pd.DataFrame | None, profile: dict, county: str, year: int, county_name: str = "",
                      warnings: list[str] | None = None) -> dict:
    """``preschool_verdict.json``: 认定 / 不予认定, or 未提供数据 when the county handed in no preschool tables."""
    head = {"county": county, "county_name": county_name or county, "year": int(year),
            "evaluation": spec_of(profile)["title"], "profile": profile.get("name", "")}
    if items is None:
        return {**head, "status": NOT_PROVIDED, "verdict": VERDICT_ZH[NOT_PROVIDED],
                "summary": "未提交学前教育数据（幼儿园基本情况等表），学前教育普及普惠部分未评估",
                "failing_items": [], "veto_triggered": [], "missing_items": [], "counts": {}, "departments": [],
                "warnings": []}
    bad = compulsory_verdict.failing_items(items)
    veto = items[items["area"] == "preschool_veto"]
    status = "pass" if bad.empty else "fail"
    reasons = []
    if len(veto):
        reasons.append("一票否决：" + "、".join(f"{r.item_id} {r.name_zh}" for r in veto.itertuples(index=False)))
    failed = bad.loc[bad["status"] == FAIL, "item_id"].tolist()
    missing = bad.loc[bad["status"] == MISSING, "item_id"].tolist()
    if failed:
        reasons.append(f"{len(failed)} 项未达标：{'、'.join(failed)}")
    if missing:
        reasons.append(f"{len(missing)} 项缺少数据：{'、'.join(missing)}")
    failing = [{"item_id": r.item_id, "parent_id": r.parent_id, "area": r.area, "name_zh": r.name_zh,
                "status": r.status, "value_text": r.value_text, "threshold": r.threshold, "comparator": r.comparator,
                "severity": int(r.severity), "severity_zh": SEVERITY_ZH[int(r.severity)],
                "lead_department": r.lead_department, "cooperating_departments": r.cooperating_departments}
               for r in bad.itertuples(index=False)]
    return {**head, "status": status, "verdict": VERDICT_ZH[status],
            "summary": "；".join(reasons) if reasons else "学前教育普及普惠各项均达标",
            "failing_items": failing, "veto_triggered": veto["item_id"].tolist(), "missing_items": missing,
            "counts": compulsory_verdict.area_counts(items),
            "departments": compulsory_verdict.department_summary(items).to_dict("records"),
            "department_source": departments_source(spec_of(profile)),
            "warnings": list(warnings or [])}


CLASS_CAP_COLUMNS = ["kg_code", "class_type", "class_no", "children", "kg_name", "kg_type", "cap", "within"]
RECOGNITION_COLUMNS = ["group", "respondents", "answers", "favourable", "rate", "ci_low", "ci_high", "passed",
                       "warning"]


def class_caps_frame() -> pd.DataFrame:
    """``kg_class_caps`` of a county without kindergarten classes (no rows)."""
    return pd.DataFrame(columns=CLASS_CAP_COLUMNS)


def recognition_frame() -> pd.DataFrame:
    """``preschool_recognition`` of a county without a preschool survey (no rows)."""
    return pd.DataFrame(columns=RECOGNITION_COLUMNS)


def empty_items() -> pd.DataFrame:
    """The item table of a county without preschool data (no rows, the common columns)."""
    return items_frame([])


def measures(kindergartens: pd.DataFrame | None, kg_classes: pd.DataFrame | None, staff: pd.DataFrame | None,
             county_items: pd.DataFrame | None, profile: dict, year: int) -> pd.DataFrame:
    """The county counts behind P1–P3, P28, P31 of one year (``preschool_measures.csv``, read by the projection)."""
    cols = ["year", "measure", "value"]
    if kindergartens is None:
        return pd.DataFrame(columns=cols)
    counts = enrollment_counts(kindergartens, staff, profile)
    population = item_number(county_item_index(county_items), spec_of(profile)["population_item"])
    counts["population_3_5"] = np.nan if population is None else population
    if kg_classes is not None:
        classes = class_caps(kg_classes, kindergartens, profile)
        counts["classes"], counts["classes_within"] = float(len(classes)), float(classes["within"].sum())
    return pd.DataFrame([{"year": int(year), "measure": k, "value": v} for k, v in counts.items()], columns=cols)


# ---------------------------------------------------------------------------------------------------------------
# Trends and projections of P1–P3, P28, P31 (the compulsory projection's trend and bootstrap, on county counts).
#
# Each count of ``preschool_measures`` (children by type, teachers, classes, classes within the caps) follows its
# mean annual growth rate (``trend_paths(growth=True)``), all with the same bootstrap draws of observed year pairs;
# the 3–5-year-old population comes from births when a series is given (population of year t = births of
# t−3, t−4, t−5: no deaths or migration), else from its own trend. Ratios are computed per replicate.

RATIOS = {  # item → (numerator, denominator) of the measures
    "P1": ("children", "population_3_5"), "P2": ("children_inclusive", "children"),
    "P3": ("children_public", "children"), "P28": ("classes_within", "classes"), "P31": ("children", "teachers"),
}
PROJECTION_COLUMNS = ["indicator", "year", "value", "low", "high", "threshold", "comparator", "status", "kind"]


def population_from_births(population: pd.DataFrame | None, years: list[int]) -> dict[int, float]:
    """3—5岁人口 per year: the reported population where given, else births of t−3, t−4 and t−5 when all known."""
    if population is None or population.empty:
        return {}
    pop = population.assign(year=pd.to_numeric(population["year"], errors="coerce")).set_index("year")
    births = pd.to_numeric(pop["births"], errors="coerce").dropna().to_dict()
    given = pd.to_numeric(pop["population_3_5"], errors="coerce").dropna().to_dict()
    out = {}
    for y in years:
        if y in given:
            out[y] = float(given[y])
        elif all(y - a in births for a in (3, 4, 5)):
            out[y] = float(sum(births[y - a] for a in (3, 4, 5)))
    return out


def milestones(profile: dict, base_year: int) -> list[dict]:
    """The preschool milestones after ``base_year`` (``preschool.milestones``, else the county's ``milestones``)."""
    return future_milestones({"milestones": spec_of(profile).get("milestones") or profile.get("milestones", [])},
                             base_year)


def project_preschool(measures_by_year: dict[int, pd.DataFrame], population: pd.DataFrame | None,
                      profile: dict) -> tuple[pd.DataFrame, list[str]]:
    """Observed P1–P3, P28, P31 per year and projections to the last milestone, with bands and status."""
    settings = method_settings(profile)
    spec = spec_of(profile)
    frames = [m for m in measures_by_year.values() if m is not None and len(m)]
    notes: list[str] = []
    if not frames:  # a county that handed in no preschool data (or only empty years)
        return pd.DataFrame(columns=PROJECTION_COLUMNS), ["没有学前教育历史数据"]
    panel = pd.concat(frames, ignore_index=True)
    wide = panel.pivot_table(index="measure", columns="year", values="value", aggfunc="first")
    years = sorted(int(y) for y in wide.columns)
    base = years[-1]
    rows = []
    for item_id in spec["projection_items"]:
        num, den = RATIOS[item_id]
        s = spec["items"][item_id]
        for y in years:
            a, b = wide.at[num, y] if num in wide.index else np.nan, wide.at[den, y] if den in wide.index else np.nan
            rows.append({"indicator": item_id, "year": y, "value": a / b if b and b > 0 else np.nan,
                         "threshold": s["threshold"], "comparator": s["comparator"], "status": "observed",
                         "kind": "observed"})
    ms = milestones(profile, base)
    window = [y for y in years if y > base - settings["trend_window_years"]]
    if len(window) < settings["min_history_years"] or not ms:
        notes.append(f"历史数据 {len(window)} 年（至少需要 {settings['min_history_years']} 年）或本年之后没有时间节点：只列实际值")
        return _finish_projection(rows), notes
    future = list(range(base + 1, int(ms[-1]["year"]) + 1))
    counts = [m for m in wide.index if m not in ("population_3_5", "kindergartens")]
    values = wide.loc[counts, window].to_numpy(dtype=float)
    draws = draw_pairs(len(window) - 1, len(future), settings)
    central, reps = trend_paths(values, window, draws, growth=True)
    paths = {m: (central[i], reps[:, i, :]) for i, m in enumerate(counts)}
    from_births = population_from_births(population, future)
    if "population_3_5" in wide.index and wide.loc["population_3_5", window].notna().all():
        pop_c, pop_r = trend_paths(wide.loc[["population_3_5"], window].to_numpy(float), window, draws, growth=True)
        pop_c, pop_r = pop_c[0], pop_r[:, 0, :]
        known = np.array([from_births.get(y, np.nan) for y in future])
        pop_c = np.where(np.isnan(known), pop_c, known)
        pop_r = np.where(np.isnan(known)[None, :], pop_r, known[None, :])
        paths["population_3_5"] = (pop_c, pop_r)
        notes.append(f"3—5岁人口：{len(from_births)} 个预测年份由出生人口推算，其余按趋势外推" if from_births
                     else "3—5岁人口按趋势外推（未提供出生人口）")
    lo, hi = settings["band"]
    for item_id in spec["projection_items"]:
        num, den = RATIOS[item_id]
        if num not in paths or den not in paths:
            continue
        s = spec["items"][item_id]
        with np.errstate(divide="ignore", invalid="ignore"):
            c = paths[num][0] / paths[den][0]
            r = paths[num][1] / paths[den][1]
        if item_id in ("P2", "P3", "P28"):  # shares stay within [0, 1]
            c, r = np.minimum(c, 1), np.minimum(r, 1)
        low, high = np.fmin(np.quantile(r, lo, axis=0), c), np.fmax(np.quantile(r, hi, axis=0), c)
        status = band_status(low, high, c, np.full(len(c), s["threshold"], dtype=float), s["comparator"])
        rows += [{"indicator": item_id, "year": y, "value": c[k], "low": low[k], "high": high[k],
                  "threshold": s["threshold"], "comparator": s["comparator"], "status": status[k],
                  "kind": "projected"} for k, y in enumerate(future)]
    return _finish_projection(rows), notes


def _finish_projection(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    for c in ("low", "high"):
        if c not in out:
            out[c] = np.nan
    order = {i: k for k, i in enumerate(RATIOS)}
    out = out.assign(_o=out["indicator"].map(order)).sort_values(["_o", "year"], kind="stable")
    return out[PROJECTION_COLUMNS].reset_index(drop=True)


def milestone_table(projection: pd.DataFrame, profile: dict, base_year: int) -> pd.DataFrame:
    """Per item: the status at each milestone and the first year from which it passes (预计达标年份)."""
    ms = milestones(profile, base_year)
    rows = []
    for item_id, part in projection.groupby("indicator", sort=False):
        part = part[part["year"] >= base_year].sort_values("year")
        s = spec_of(profile)["items"][item_id]
        row = {"item_id": item_id, "name_zh": s["zh"]}
        for m in ms:
            hit = part[part["year"] == int(m["year"])]
            row[f"{m['year']}年 {m['zh']}"] = (PROJECTION_ZH.get(hit["status"].iloc[0]) or "—") if len(hit) else "—"
        reach = reach_year(part["year"], part["value"], s["threshold"], s["comparator"])
        row["预计达标年份"] = ("现已达标" if reach == base_year else "未达标至最后节点" if np.isnan(reach)
                          else f"{int(reach)}")
        rows.append(row)
    return pd.DataFrame(rows)
