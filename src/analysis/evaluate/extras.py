"""Extras (附加要求) that only some seeds add, from the county-items sheet of this and earlier years.

The profile's ``extras`` section lists them (national.yaml §9); only those with ``applies: true`` are evaluated.
Each part is one row of the common item table (area ``extra``), with one of three rules:

* ``ratio`` — numerator ÷ denominator × ``scale`` against the threshold (e.g. 001 every classroom networked:
  X_classrooms_networked_multimedia ÷ X_classrooms ≥ 1; 003 千人学位数: seats ÷ urban-and-town population × 1000 ≥ 84);
* ``value`` — one county item against the threshold (002 辍学率 ≤ 0; 003 service radius ≤ 1000 m);
* ``series`` — one county item over every year provided: each year against the year before with ``comparator``
  (001 两个只增不减: ≥), or its growth rate above the growth rate of ``reference`` (002 财政教育拨款增长高于财政经常性
  收入增长). Fewer than two years → 缺少数据.

Extras are reported and enter the task list; they never decide the verdict (no seed lists them among the
certification items).
"""

from __future__ import annotations

import pandas as pd

from analysis.evaluate.guarantee import (
    county_item_index,
    item_evidence,
    item_number,
    item_row,
    items_frame,
    ratio_row,
    status_of,
)
from analysis.standards.compare import meets
from analysis.standards.status import FAIL, MISSING, PASS

AREA = "extra"


def _ratio(items: dict, part: dict, parent: str, name: str) -> dict:
    scale = float(part.get("scale", 1))
    if scale == 1:
        return ratio_row(items, part["id"], part["numerator"], part["denominator"], AREA, name,
                         part["threshold"], part["comparator"], parent_id=parent, formula=part.get("formula", ""))
    num, den = item_number(items, part["numerator"]), item_number(items, part["denominator"])
    if num is None or den is None or den <= 0:
        absent = [i for i, v in ((part["numerator"], num), (part["denominator"], den)) if v is None or v <= 0]
        return item_row(part["id"], AREA, name, parent_id=parent, unit=part["unit"], threshold=part["threshold"],
                        comparator=part["comparator"], status=MISSING, kind="reported",
                        note="县级指标表中没有（或为0）：" + "、".join(absent))
    value = num / den * scale
    return item_row(part["id"], AREA, name, parent_id=parent, value=value, unit=part["unit"],
                    threshold=part["threshold"], comparator=part["comparator"],
                    status=status_of(meets(value, part["threshold"], part["comparator"])), kind="reported",
                    evidence=item_evidence(items, part["numerator"], part["denominator"]),
                    note=f"{part.get('formula', '')} = {num:g} ÷ {den:g} × {scale:g}")


def _value(items: dict, part: dict, parent: str, name: str) -> dict:
    rate = part.get("unit") == "比例"
    value = item_number(items, part["item"], rate=rate)
    if value is None:
        return item_row(part["id"], AREA, name, parent_id=parent, unit=part["unit"], threshold=part["threshold"],
                        comparator=part["comparator"], status=MISSING, kind="reported",
                        note=f"县级指标表中没有“{part['item']}”")
    return item_row(part["id"], AREA, name, parent_id=parent, value=value, unit=part["unit"],
                    threshold=part["threshold"], comparator=part["comparator"],
                    status=status_of(meets(value, part["threshold"], part["comparator"])), kind="reported",
                    evidence=item_evidence(items, part["item"]))


def yearly_values(by_year: dict[int, dict], item: str) -> dict[int, float]:
    """``year → value`` of a numeric county item over the years that report it."""
    out = {}
    for year, items in sorted(by_year.items()):
        value = item_number(items, item)
        if value is not None:
            out[year] = value
    return out


def _series(by_year: dict[int, dict], part: dict, parent: str, name: str) -> dict:
    values = yearly_values(by_year, part["item"])
    reference = yearly_values(by_year, part["reference"]) if part.get("reference") else None
    years = [y for y in values if reference is None or y in reference]
    base = dict(parent_id=parent, unit="年次", threshold=0, comparator="<=", kind="reported")
    if len(years) < 2:
        return item_row(part["id"], AREA, name, status=MISSING, **base,
                        note=f"需至少两年的“{part['item']}”" + (f"和“{part['reference']}”" if reference is not None
                                                             else "") + f"，现有 {len(years)} 年")
    broken, steps = [], []
    for prev, year in zip(years, years[1:], strict=False):
        if reference is not None:
            growth = values[year] / values[prev] - 1
            ref_growth = reference[year] / reference[prev] - 1
            ok = meets(growth, ref_growth, ">")
            steps.append(f"{year}年 {growth:+.2%}（对照 {ref_growth:+.2%}）")
        else:
            ok = meets(values[year], values[prev], part["comparator"])
            steps.append(f"{year}年 {values[year]:,.0f}")
        if not ok:
            broken.append(year)
    note = f"{years[0]}年 {values[years[0]]:,.0f}；" + "；".join(steps)
    if broken:
        note += "；不满足的年份：" + "、".join(map(str, broken))
    return item_row(part["id"], AREA, name, value=len(broken), status=FAIL if broken else PASS,
                    evidence=f"{years[0]}—{years[-1]}年县级指标表 {part['item']}", note=note,
                    value_text=f"{len(broken)} 个年份不满足（{years[0]}—{years[-1]}年）", **base)


def extra_items(county_items_by_year: dict[int, pd.DataFrame | None], profile: dict, year: int) -> pd.DataFrame:
    """Rows of every extra the profile switches on (area ``extra``); none → an empty item table."""
    by_year = {y: county_item_index(frame) for y, frame in county_items_by_year.items() if y <= year}
    items = by_year.get(year, {})
    rows: list[dict] = []
    for extra_id, spec in (profile.get("extras") or {}).items():
        if spec.get("applies") is not True:
            continue
        for part in spec["parts"]:
            name = part.get("zh") or spec["zh"]
            if part["rule"] == "ratio":
                row = _ratio(items, part, extra_id, name)
            elif part["rule"] == "value":
                row = _value(items, part, extra_id, name)
            elif part["rule"] == "series":
                row = _series(by_year, part, extra_id, name)
            else:
                raise ValueError(f"评估口径 extras.{extra_id}：未知规则 {part['rule']!r}（ratio/value/series）")
            row["note"] = "；".join(p for p in (row["note"], f"依据：{spec.get('source', '')}") if p)
            rows.append(row)
    return items_frame(rows)
